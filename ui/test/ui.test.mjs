// SPDX-License-Identifier: MIT
// The web UI in Debian's headless Chromium against a real `ferry server`
// (seeded over REST): every page, sorting, good and bad filters, nested
// runs, comparison, charts, artifact previews, the note, the registry's
// confirmations, deep links and narrow screens. Any console error or failed
// request fails the test; a failing test leaves a screenshot.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { api, launch, startServer, withPage } from "../support/server.mjs";
import { seed } from "../support/seed.mjs";

let srv, browser, data;
before(async () => {
  srv = await startServer();
  data = await seed(srv.url);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const rowNames = (page) => page.locator("table.runs tbody tr td:nth-child(2) a").allTextContents();

test("experiments: list, search, create, rename, delete and restore", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url);
    const main = page.locator("#main table.experiments td:nth-child(2)"); // the names (the sidebar and recent runs have links too)
    await main.getByRole("link", { name: "fraud-detection" }).waitFor();
    assert.ok(await main.getByRole("link", { name: "churn" }).isVisible());
    await page.getByLabel("Search experiments by name").fill("chu");
    await page.waitForFunction(() => !document.getElementById("main").innerText.includes("fraud-detection"));
    assert.ok(page.url().includes("q=chu"), page.url()); // the search is in the deep link
    await page.getByLabel("Search experiments by name").fill("");
    await page.getByLabel("New experiment name").fill("made-in-the-ui");
    await page.getByRole("button", { name: "Create" }).click();
    await main.getByRole("link", { name: "made-in-the-ui" }).waitFor();
    const row = page.locator("tr", { has: page.getByRole("link", { name: "made-in-the-ui" }) });
    await row.getByRole("button", { name: "Rename" }).click();
    await page.getByLabel("New name").fill("renamed-in-the-ui");
    await page.getByRole("button", { name: "Save" }).click();
    await main.getByRole("link", { name: "renamed-in-the-ui" }).waitFor();
    // a duplicate name is refused with the server's message, nothing changes
    await page.getByLabel("New experiment name").fill("churn");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("alert").filter({ hasText: "RESOURCE_ALREADY_EXISTS" }).waitFor();
    const renamed = page.locator("tr", { has: page.getByRole("link", { name: "renamed-in-the-ui" }) });
    await renamed.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await main.getByRole("link", { name: "renamed-in-the-ui" }).waitFor({ state: "detached" });
    await page.getByLabel("Deleted").check();
    await main.getByRole("link", { name: "fraud-detection" }).waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Restore" }).click();
    await page.getByText("No deleted experiments").waitFor();
    const all = await api(srv.url, "experiments/search", { max_results: 100 });
    assert.ok(all.experiments.some((e) => e.name === "renamed-in-the-ui"));
  }, ["status of 400"]);
});

test("runs: sort, columns, good and bad filters, nested runs, tag and delete", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/experiments/" + data.exp);
    await page.locator("table.runs tbody tr").nth(6).waitFor();
    assert.deepEqual((await rowNames(page)).slice(0, 2), ["trial-5", "trial-4"]); // newest first
    await page.getByRole("button", { name: /^Started/ }).click();
    await page.waitForFunction(() => location.hash.includes("start_time%20ASC") || location.hash.includes("start_time+ASC"));
    await page.waitForFunction(() => document.querySelector("table.runs tbody tr td:nth-child(2) a")?.textContent === "trial-0");
    // the child run sits under its parent, and collapses with it
    const names = await rowNames(page);
    assert.equal(names[names.indexOf("trial-0") + 1], "child-of-trial-0");
    await page.getByRole("button", { name: "Collapse trial-0" }).click();
    assert.ok(!(await rowNames(page)).includes("child-of-trial-0"));
    // a metric is a column by default (runs.test.mjs tests which ones), sorted by it
    await page.locator("th button.sort", { hasText: "metrics.accuracy" }).click();
    await page.waitForFunction(() => document.querySelector("table.runs tbody tr td:nth-child(2) a")?.textContent === "trial-5");
    const acc = await page.locator("table.runs thead th").evaluateAll((ths) => ths.findIndex((th) => th.textContent.includes("metrics.accuracy")));
    assert.equal(await page.locator("table.runs tbody tr").first().locator("td").nth(acc).textContent(), "0.85");
    // a good filter, typed and submitted with the keyboard
    await page.getByLabel("Filter runs").fill("params.lr = '0.02'");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelectorAll("table.runs tbody tr").length === 1);
    assert.deepEqual(await rowNames(page), ["trial-1"]);
    // a bad one shows the server's message, which points at the problem
    await page.getByLabel("Filter runs").fill("metrics.accuracy >>> 1");
    await page.getByRole("button", { name: "Search" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match(await alert.textContent(), /INVALID_PARAMETER_VALUE/);
    await page.getByRole("button", { name: "Clear" }).click();
    await page.locator("table.runs tbody tr").nth(5).waitFor();
    // tag two runs, then delete one (after a confirmation)
    await page.getByLabel("Select run trial-2").check();
    await page.getByLabel("Select run trial-3").check();
    await page.getByRole("button", { name: "Tag" }).click();
    await page.getByLabel("Tag key").fill("reviewed");
    await page.getByLabel("Tag value").fill("yes");
    await page.getByRole("button", { name: "Set tag on 2" }).click();
    await page.waitForFunction(() => !document.querySelector("input[aria-label='Tag key']"));
    // the form closes at once and its two writes go out together: poll (bounded) for both
    let tagged;
    for (let i = 0; i < 50; i++) {
      tagged = await api(srv.url, "runs/search", { experiment_ids: [data.exp], filter: "tags.reviewed = 'yes'" });
      if ((tagged.runs || []).length === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((tagged.runs || []).length, 2);
    await page.getByLabel("Select run trial-3").check();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click(); // nothing happens
    assert.equal((await rowNames(page)).length, 6); // 7 runs, the child collapsed
    await page.getByLabel("Select run trial-2").uncheck();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await page.waitForFunction(() => !Array.from(document.querySelectorAll("table.runs a")).some((a) => a.textContent === "trial-3"));
    await api(srv.url, "runs/restore", { run_id: data.runs[3].info.run_id });
  }, ["status of 400"]);
});

test("run page: params, metrics, chart, downsampled history, note, artifacts", async (t) => {
  const run = data.runs[0].info.run_id;
  await withPage(browser, t, async (page) => {
    await page.goto(`${srv.url}#/experiments/${data.exp}/runs/${run}`);
    await page.getByRole("heading", { name: "trial-0" }).waitFor();
    assert.ok(await page.getByRole("row", { name: "lr 0.01" }).isVisible());
    await page.locator("[data-testid=chart] canvas").waitFor();
    // a 20,000-point metric comes downsampled, and its spike is still there
    await page.getByRole("button", { name: "long", exact: true }).click();
    await page.getByText("20,000 points (min/max downsampled)").waitFor();
    // the note, saved as mlflow.note.content
    await page.getByRole("button", { name: "Add note" }).click();
    await page.getByLabel("Run note").fill("baseline; check the spike at step 12345");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("baseline; check the spike").waitFor();
    const got = await api(srv.url, "runs/get?run_id=" + run, null, "GET");
    assert.ok(got.run.data.tags.some((x) => x.key === "mlflow.note.content" && x.value.startsWith("baseline")));
    // artifacts: text, JSON, CSV, image, MLmodel with its signature
    await page.getByRole("button", { name: "notes.txt" }).click();
    await page.locator("pre.preview", { hasText: "hello from trial-0" }).waitFor();
    await page.getByRole("button", { name: "metrics.json" }).click();
    await page.locator("pre.preview", { hasText: '"auc": 0.91' }).waitFor();
    await page.getByRole("button", { name: "▸ data/" }).click();
    await page.getByRole("button", { name: "sample.csv" }).click();
    await page.getByRole("cell", { name: "five, with comma" }).waitFor();
    await page.getByRole("button", { name: "▸ plots/" }).click();
    await page.getByRole("button", { name: "pixel.png" }).click();
    await page.waitForFunction(() => document.querySelector("img.preview")?.naturalWidth === 1);
    await page.getByRole("button", { name: "▸ model/" }).click();
    await page.getByRole("button", { name: "MLmodel" }).click();
    await page.getByRole("cell", { name: "amount" }).waitFor();
    const href = await page.getByRole("link", { name: "Download" }).getAttribute("href");
    const r = await fetch(srv.url + href);
    assert.equal(r.status, 200);
    assert.match(await r.text(), /signature/);
  });
});

test("run page: artifacts kept in a local directory are previewed too", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(`${srv.url}#/experiments/${data.local.info.experiment_id}/runs/${data.local.info.run_id}`);
    await page.getByRole("button", { name: "readme.md" }).click();
    await page.locator("pre.preview", { hasText: "logged offline" }).waitFor();
  });
});

test("compare: params diff, overlaid chart, scatter and parallel coordinates", async (t) => {
  const ids = data.runs.slice(0, 3).map((r) => r.info.run_id).join(",");
  await withPage(browser, t, async (page) => {
    await page.goto(`${srv.url}#/compare-runs?runs=${ids}`);
    await page.getByRole("heading", { name: "Comparing 3 runs" }).waitFor();
    assert.ok(await page.locator("tr.differs", { hasText: "lr" }).isVisible());
    await page.locator("[data-testid=chart] canvas").waitFor();
    assert.equal(await page.locator("svg.scatter circle").count(), 3);
    assert.equal(await page.locator("svg.parallel polyline").count(), 3);
    // picked from the runs table
    await page.goto(srv.url + "#/experiments/" + data.exp);
    await page.getByLabel("Select run trial-4").check();
    await page.getByLabel("Select run trial-5").check();
    await page.getByRole("button", { name: "Compare 2" }).click();
    await page.getByRole("heading", { name: "Comparing 2 runs" }).waitFor();
  });
});

test("registry: models, versions, a stage change and an alias move with confirmation", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/models");
    await page.getByRole("link", { name: "fraud" }).click();
    await page.getByRole("heading", { name: "fraud" }).waitFor();
    await page.getByText("@champion").first().waitFor();
    await page.getByLabel("Alias", { exact: true }).fill("champion");
    await page.getByLabel("Version for the alias").selectOption("2");
    await page.getByRole("button", { name: "Set alias" }).click();
    const dialog = page.getByRole("dialog");
    assert.match(await dialog.textContent(), /Move @champion from version 1 to version 2/);
    await dialog.getByRole("button", { name: "Confirm" }).click();
    const v2 = page.locator("section", { hasText: "Versions" }).locator("tbody tr", { hasText: "v2" });
    await v2.locator(".pill", { hasText: "@champion" }).waitFor();
    await page.getByLabel("Stage for version 2").selectOption("Staging");
    await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
    await v2.locator("td:nth-child(2)", { hasText: /^Staging$/ }).waitFor();
    const m = await api(srv.url, "registered-models/get?name=fraud", null, "GET");
    assert.equal(m.registered_model.aliases.find((a) => a.alias === "champion").version, "2");
    await page.getByRole("cell", { name: "set_alias v2 @champion: 1 -> 2" }).waitFor(); // the audit trail
    // back to the source run
    await page.locator("section", { hasText: "Versions" }).locator("tbody tr", { hasText: "v1" }).getByRole("link").first().click();
    await page.getByRole("heading", { name: "trial-0" }).waitFor();
  });
});

test("deep links, unknown pages and a narrow screen", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/no/such/page");
    await page.getByRole("heading", { name: "Not found" }).waitFor();
    await page.goto(`${srv.url}#/experiments/${data.exp}/runs/${"0".repeat(32)}`);
    await page.getByRole("alert").filter({ hasText: "RESOURCE_DOES_NOT_EXIST" }).waitFor();
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(srv.url + "#/experiments/" + data.exp);
    await page.locator("table.runs tbody tr").first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert.ok(overflow <= 0, "the page scrolls sideways by " + overflow + " px");
  }, ["status of 404"]);
});

test("admin: without auth there is no Admin link, and the page says why", async (t) => {
  await withPage(browser, t, async (page) => {
    const probe = page.waitForResponse((r) => r.url().endsWith("/api/2.0/ferry/users/list"));
    await page.goto(srv.url);
    assert.equal((await probe).status(), 404);
    assert.equal(await page.getByRole("link", { name: "Admin" }).count(), 0);
    await page.goto(srv.url + "#/admin");
    await page.getByText("Authentication is off on this server").waitFor();
  });
});
