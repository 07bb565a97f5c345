// SPDX-License-Identifier: MIT
// The Deployments pages against a real `ferry server`, seeded over REST: a
// registered model with two versions (no model files: nothing is served
// here), a deployment with a rollout moved one step on, one with a shadow,
// and a gateway's per-target figures reported the way `ferry serve` does.
// The empty state and the list refreshing by itself; the detail's live
// figures; pause, resume and rollback through their confirmations, with the
// history row and its reason; an action on a deployment that changed
// meanwhile refused with the server's message. Any console error or failed
// request fails the test.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { api, launch, startServer, withPage } from "../support/server.mjs";

const D = "api/2.0/ferry/deployments/";
let srv, browser;
before(async () => {
  srv = await startServer();
  const exp = (await api(srv.url, "experiments/create", { name: "deploy-exp" })).experiment_id;
  const run = (await api(srv.url, "runs/create", { experiment_id: exp, run_name: "train" })).run;
  // the training data, as mlflow.log_input records it: the deployment page's provenance shows it
  await api(srv.url, "runs/log-inputs", { run_id: run.info.run_id, datasets: [{
    dataset: { name: "transactions", digest: "d1g3st", source_type: "local", source: "/data/transactions.csv" },
    tags: [{ key: "mlflow.data.context", value: "training" }] }] });
  await api(srv.url, "registered-models/create", { name: "fraud" });
  for (let i = 0; i < 2; i++)
    await api(srv.url, "model-versions/create", { name: "fraud", source: run.info.artifact_uri + "/model", run_id: run.info.run_id });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

// One gateway's figures for the current second (deployments/stats/report,
// what `ferry serve` sends): hist is "v1;SUM_US;BUCKET:COUNT"; bucket 40
// holds ~1.5 ms, bucket 56 ~6 ms.
async function report(gateway, rows) {
  const second_ms = Math.floor(Date.now() / 1000) * 1000;
  const stats = rows.map(([target, requests, errors, hist]) =>
    ({ deployment: "fraud", revision: 1, gateway, target, second_ms, requests, errors, client_errors: 0, hist }));
  await api(srv.url, D + "stats/report", { stats });
}

const dialog = (page) => page.getByRole("dialog");
const phase = (page) => page.locator("dl.facts .phase").textContent();

test("deployments: the empty state, then the list as deployments arrive", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url);
    await page.getByRole("link", { name: "Deployments" }).click();
    await page.getByRole("heading", { name: "Deployments" }).waitFor();
    await page.getByText("ferry deployments apply -f spec.yaml").waitFor();
    assert.equal(await page.getByRole("link", { name: "Deployments" }).getAttribute("aria-current"), "page");
    // applied meanwhile (as the CLI would): the list picks them up by itself (the
    // versions have no files: the server's check of them is skipped)
    await api(srv.url, D + "apply", { no_check: true, spec: {
      name: "fraud",
      targets: [{ model: "models:/fraud/1", weight: 90 }, { model: "models:/fraud/2" }],
      rollout: { steps: [10, 25, 50, 100], interval: "1h", min_requests: 200, guards: { max_error_rate: 0.2 } },
      promote_alias: "champion",
    } });
    await api(srv.url, D + "step", { name: "fraud" }); // the controller's move: 10% -> 25%
    await api(srv.url, D + "apply", { no_check: true, spec_yaml:
      "name: fraud-shadow\ntargets:\n  - {model: \"models:/fraud/1\", weight: 100}\nshadow:\n  - {model: \"models:/fraud/2\"}\nshadow_sample: 0.5\n" });
    const row = page.locator("table.deployments tbody tr", { has: page.getByRole("link", { name: "fraud", exact: true }) });
    await row.waitFor();
    const cells = await row.locator("td").allInnerTexts();
    assert.equal(cells[1], "1"); // revision: a step is status, not a revision
    assert.match(cells[2], /progressing/);
    assert.match(cells[3], /fraud\/1 75%/);
    assert.match(cells[3], /fraud\/2 25%/);
    assert.equal(cells[4], "step 2 of 4: 25%");
    const other = page.locator("table.deployments tbody tr", { has: page.getByRole("link", { name: "fraud-shadow" }) });
    const oc = await other.locator("td").allInnerTexts();
    assert.match(oc[2], /stable/);
    assert.match(oc[3], /fraud\/1 100%/);
    assert.match(oc[3], /shadow fraud\/2/);
    assert.equal(oc[4], "none");
    await page.getByRole("link", { name: "fraud-shadow" }).click();
    await page.getByRole("heading", { name: "fraud-shadow" }).waitFor();
    const shadow = page.locator("table.shadows tbody tr");
    assert.match(await shadow.innerText(), /fraud v2\s+models:\/fraud\/2/);
    await page.getByText("Each gets 50.0% of the requests").waitFor();
    // nothing watches it yet: the page says so and how to add a monitor
    const watch = page.getByRole("region", { name: "Monitors and alerts" });
    await watch.getByText("No monitors on this deployment.").waitFor();
    await watch.getByText("ferry monitors apply -f monitor.yaml").waitFor();
    await watch.getByText("No alerts.", { exact: false }).waitFor();
    // no rollout: no action applies
    assert.equal(await page.locator("[aria-label=Actions] button").count(), 0);
  });
});

test("deployments: a deployment's targets with live figures, its history and the actions its phase allows", async (t) => {
  await report("gw-a", [["fraud/1", 120, 0, "v1;180000;40:120"], ["fraud/2", 40, 2, "v1;240000;40:20,56:20"]]);
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/deployments/fraud");
    await page.getByRole("heading", { name: "fraud", exact: true }).waitFor();
    assert.match(await phase(page), /progressing/);
    await page.getByText("step 2 of 4: 25%").first().waitFor();
    const rows = page.locator("table.targets tbody tr");
    await page.waitForFunction(() => document.querySelectorAll("table.targets tbody tr td")[5]?.textContent === "120");
    const stable = await rows.nth(0).locator("td").allInnerTexts();
    const cand = await rows.nth(1).locator("td").allInnerTexts();
    assert.deepEqual(stable.slice(0, 8), ["fraud v1", "models:/fraud/1", "stable", "75%", "2.00", "120", "0", "0.0%"]);
    assert.deepEqual(cand.slice(0, 8), ["fraud v2", "models:/fraud/2", "candidate", "25%", "0.67", "40", "2", "5.0%"]);
    assert.match(stable[9], /^1\.\d+ ms$/); // p99 in bucket 40
    assert.match(cand[9], /^\d\.\d+ ms$/); // p99 in bucket 56
    assert.notEqual(cand[9], stable[9]);
    assert.equal(await rows.nth(1).getByRole("link", { name: "fraud" }).getAttribute("href"), "#/models/fraud");
    // the figures refresh by themselves: a second gateway's report adds up
    await report("gw-b", [["fraud/2", 10, 0, "v1;15000;40:10"]]);
    await page.waitForFunction(() => document.querySelectorAll("table.targets tbody tr")[1]?.querySelectorAll("td")[5]?.textContent === "50");
    // the history, newest first
    await page.locator("table.history tbody tr").nth(1).waitFor();
    const hist = await page.locator("table.history tbody tr").allInnerTexts();
    assert.equal(hist.length, 2);
    assert.match(hist[0], /^2\t1\t.*\tstep\t/);
    assert.match(hist[1], /^1\t1\t.*\tapply\t/);
    // a progressing rollout may be paused, promoted or rolled back, not resumed
    const buttons = await page.locator("[aria-label=Actions] button").allInnerTexts();
    assert.deepEqual(buttons, ["Pause", "Promote", "Rollback"]);
    // the model's link leads to its versions in the registry
    await rows.nth(0).getByRole("link", { name: "fraud" }).click();
    await page.getByRole("heading", { name: "Versions" }).waitFor();
  });
});

test("deployments: pause, resume and rollback behind confirmations; a stale action refused", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/deployments/fraud");
    await page.getByRole("button", { name: "Pause" }).click();
    await dialog(page).getByText("Hold fraud's rollout at step 2 of 4: 25%?").waitFor();
    await dialog(page).getByRole("button", { name: "Cancel" }).click(); // nothing happens
    assert.equal((await api(srv.url, D + "get?name=fraud", null, "GET")).deployment.status.phase, "PROGRESSING");
    await page.getByRole("button", { name: "Pause" }).click();
    await dialog(page).getByLabel("Reason").fill("waiting for the dashboards");
    await dialog(page).getByRole("button", { name: "Pause" }).click();
    await page.getByRole("button", { name: "Resume" }).waitFor();
    assert.match(await phase(page), /paused/);
    assert.deepEqual(await page.locator("[aria-label=Actions] button").allInnerTexts(), ["Resume", "Promote", "Rollback"]);
    await page.locator("table.history tbody tr", { hasText: "waiting for the dashboards" }).filter({ hasText: "pause" }).waitFor();
    await page.getByRole("button", { name: "Resume" }).click();
    await dialog(page).getByText("Continue fraud's rollout from step 2 of 4: 25%?").waitFor();
    await dialog(page).getByRole("button", { name: "Resume" }).click();
    await page.getByRole("button", { name: "Pause" }).waitFor();
    assert.match(await phase(page), /progressing/);

    // someone pauses from the CLI while the dialog is open: the UI's pause
    // names the change it was decided on, and the server refuses it
    await page.getByRole("button", { name: "Pause" }).click();
    await dialog(page).waitFor();
    await api(srv.url, D + "pause", { name: "fraud", reason: "paused from the CLI" });
    await dialog(page).getByRole("button", { name: "Pause" }).click();
    const alert = page.getByRole("alert");
    await alert.filter({ hasText: "INVALID_STATE" }).waitFor();
    assert.match(await alert.innerText(), /changed meanwhile/);
    await page.getByRole("button", { name: "Resume" }).waitFor(); // the page shows where it is now
    await page.locator("table.history tbody tr", { hasText: "paused from the CLI" }).waitFor();

    // roll back, with a reason that the history keeps and marks
    await page.getByRole("button", { name: "Rollback" }).click();
    await dialog(page).getByText("Give fraud/2 no more traffic in fraud?").waitFor();
    await dialog(page).getByLabel("Reason").fill("p99 twice the stable one");
    await dialog(page).getByRole("button", { name: "Rollback" }).click();
    await page.getByText("Rolled back: p99 twice the stable one").waitFor();
    assert.match(await phase(page), /rolled back/);
    const row = page.locator("table.history tbody tr.rollback");
    await row.waitFor(); // the history loads after the status
    assert.equal(await row.count(), 1);
    assert.match(await row.innerText(), /⟲ rollback\tp99 twice the stable one/);
    const weights = await page.locator("table.targets tbody tr td:nth-child(4)").allInnerTexts();
    assert.deepEqual(weights, ["100%", "0%"]);
    assert.deepEqual(await page.locator("[aria-label=Actions] button").allInnerTexts(), ["Resume", "Promote"]);
    const d = (await api(srv.url, D + "get?name=fraud", null, "GET")).deployment;
    assert.equal(d.status.phase, "ROLLED_BACK");
    assert.equal(d.status.reason, "p99 twice the stable one");
    // the list says so too
    await page.getByRole("link", { name: "Deployments" }).first().click();
    const listed = page.locator("table.deployments tbody tr", { has: page.getByRole("link", { name: "fraud", exact: true }) });
    await listed.getByText("rolled back at step 2 of 4: 25%").waitFor();
  }, ["status of 400"]); // the refused pause (INVALID_STATE)
});

test("deployments: resume after a rollback starts over; promote makes the candidate the only target and moves the alias", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/deployments/fraud");
    await page.getByRole("button", { name: "Resume" }).click();
    await dialog(page).getByText("Start fraud's rollout over at step 1 (10% to fraud/2)?").waitFor();
    await dialog(page).getByRole("button", { name: "Resume" }).click();
    await page.locator("dl.facts").getByText("step 1 of 4: 10%").waitFor();
    assert.deepEqual(await page.locator("table.targets tbody tr td:nth-child(4)").allInnerTexts(), ["90%", "10%"]);
    await page.getByRole("button", { name: "Promote" }).click();
    await dialog(page).getByText("Make fraud/2 fraud's only target, at 100%?", { exact: false }).waitFor();
    assert.match(await dialog(page).innerText(), /@champion moves to it/);
    await dialog(page).getByRole("button", { name: "Promote" }).click();
    await page.locator("dl.facts").getByText("2 · ").waitFor(); // a new revision
    assert.deepEqual(await page.locator("table.targets tbody tr td:nth-child(1)").allInnerTexts(), ["fraud v2"]);
    assert.deepEqual(await page.locator("table.targets tbody tr td:nth-child(4)").allInnerTexts(), ["100%"]);
    assert.match(await phase(page), /stable/);
    assert.equal(await page.locator("[aria-label=Actions] button").count(), 0); // no rollout left to act on
    await page.locator("table.history tbody tr").first().filter({ hasText: "promote" }).waitFor();
    const m = (await api(srv.url, "registered-models/get?name=fraud", null, "GET")).registered_model;
    assert.deepEqual(m.aliases, [{ alias: "champion", version: "2" }]);
  });
});

test("deployments: an unknown deployment says so", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/deployments/nope");
    await page.getByRole("alert").filter({ hasText: "No deployment named 'nope'" }).waitFor();
    await page.getByRole("link", { name: "Deployments" }).last().waitFor(); // the crumbs lead back
  }, ["status of 404"]);
});

test("a deployment's page: where each served version came from (run, data), and the retraining runs", async (t) => {
  await api(srv.url, D + "apply", { no_check: true, spec: { name: "prov", targets: [{ model: "models:/fraud/1", weight: 100 }],
    shadow: [{ model: "models:/fraud/2" }], shadow_sample: 0.1 } });
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/deployments/prov");
    const prov = page.locator("section.provenance");
    await prov.getByRole("heading", { name: /fraud v1 \(stable\)/ }).waitFor();
    await prov.getByRole("heading", { name: /fraud v2 \(shadow\)/ }).waitFor();
    // each version's tree: the run that trained it, then the data that run read
    const v1 = prov.locator("section.upstream").first();
    await v1.getByRole("link", { name: /^train \(run [0-9a-f]{8}/ }).first().waitFor();
    await v1.getByText("/data/transactions.csv").waitFor();
    assert.equal(await v1.locator("code.digest").first().textContent(), "d1g3st");
    // the run link opens the run page
    await v1.getByRole("link", { name: /^train \(run/ }).first().click();
    await page.getByRole("heading", { name: "train" }).waitFor();
    assert.match(page.url(), /#\/experiments\/\d+\/runs\/[0-9a-f]+$/);
    await page.goBack();
    await page.getByRole("heading", { name: "Retraining runs" }).waitFor();
    await page.getByText("No pipeline run started by a trigger yet.").waitFor();
  });
});
