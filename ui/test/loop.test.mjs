// SPDX-License-Identifier: MIT
// A deployment's Loop page (issue 21) against a real `ferry server`, its
// loop seeded as far as the REST API goes: a registered model with two
// versions, a deployment rolling version 2 out (a step, a rollback with its
// reason, then a promotion), a prediction log whose latest hour has
// drifted from its reference, a monitor whose on-demand run over that hour
// opens a drift alert, and a trigger on that monitor's alerts, which the
// alert fires, then fired by hand twice: its pipeline (a ferry/gate step
// given an evaluation file, then ferry/register) really runs inside the
// server, passing the gate (a version registered by the pipeline) or, given
// a higher minimum, failing it (the run FAILED, nothing registered). The
// server runs the pipelines with a copy of the ferry binary anyone can run
// (as root it runs them as nobody), from a project directory anyone can
// read.
// The page: the link from the deployment page, a mark per event in its
// lane (a pipeline run one bar, coloured by its status), a mark's details
// on hover, focus and click, the events table with its links (pipeline
// run, gate run, version, alert), the axis on a narrow screen, the refresh
// picking up a new event by itself, and the empty state of a deployment
// with no loop. Any console error or failed request fails the test.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api, launch, reachableFerry, startServer, withPage } from "../support/server.mjs";
import { inputsBlob, outputsBlob, uuid7 } from "../support/predlog.mjs";
import { alertOrder, checksOf, windowVerdict } from "../src/watch.js";

const F = "api/2.0/ferry/";
const DEP = "looped", MON = "looped-drift", TRIG = "retrain";
const H = 3600e3;
let srv, browser, trainRun;
const dirs = [];

const get = (path, q) => api(srv.url, path + "?" + new URLSearchParams(q), null, "GET");
const loop = (name = DEP) => get(F + "deployments/loop", { name });
async function until(what, fn, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// A deterministic generator.
let seed = 4242;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

// n rows evenly in [from, to): amount around 100 (around 200 when shifted),
// a country; the prediction and its label.
let serial = 0;
async function logRows(from, to, n, shifted) {
  const targets = [{ deployment: DEP, revision: 1, model: "fraud", version: 1, shadow: false,
    columns: JSON.stringify(["amount", "country"]), classes: "[0,1]", task: "classification" }];
  const rows = [];
  for (let i = 0; i < n; i++) {
    const ms = from + Math.floor(((to - from) * i) / n);
    const amount = (shifted ? 200 : 100) + Math.round(40 * (rnd() - 0.5)) + 0.5;
    const country = shifted ? "br" : ["fr", "de", "it"][Math.floor(rnd() * 3)];
    const p = rnd();
    rows.push({ target: 0, rid: uuid7(ms, ++serial), row: 0, nrows: 1, time_ms: ms, latency_us: 1000, status: 200,
      inputs: inputsBlob([amount, country]), outputs: outputsBlob(p > 0.5 ? 1 : 0, [1 - p, p]) });
  }
  await api(srv.url, F + "predictions/log", { targets, rows });
}

// The pipeline the trigger runs: a gate on an evaluation (accuracy 0.93
// against the minimum the firing's params give), then the model registered
// as a new version of fraud when the gate passed; never cached, so each
// firing's run has its own gate verdict and version.
function pipelineProject(runId) {
  const d = mkdtempSync(join(tmpdir(), "ferry-ui-loop-"));
  dirs.push(d);
  chmodSync(d, 0o755);
  const yaml = `name: retrain
params:
  min_acc: {type: string, default: "0.9"}
steps:
  gate:
    uses: ferry/gate
    with: {evaluation: ${join(d, "evaluation.json")}, min: {accuracy: "{params.min_acc}"}}
    cache: false
  register:
    uses: ferry/register
    with: {model: "runs:/${runId}/model", name: fraud, verdict: "{steps.gate.outputs.verdict}"}
    cache: false
`;
  // the evaluation as ferry/evaluate writes it (YAML's numbers inside with: reach the gate as strings)
  const files = { "pipeline.yaml": yaml,
    "evaluation.json": JSON.stringify({ candidate: { metrics: { accuracy: 0.93 } }, champion: null, slices: [] }) };
  for (const [f, text] of Object.entries(files)) {
    writeFileSync(join(d, f), text);
    chmodSync(join(d, f), 0o644);
  }
  return d;
}

const FINAL = ["succeeded", "failed", "skipped", "cancelled", "refused", "abandoned"];
async function fire(params) {
  const f = (await api(srv.url, F + "triggers/fire", { name: TRIG, params })).firing;
  return until("firing " + f.id + " to end", async () => {
    const fs = (await get(F + "triggers/history", { name: TRIG, max_results: 100 })).firings || [];
    const x = fs.find((y) => String(y.id) === String(f.id));
    return x && FINAL.includes(x.state) ? x : null;
  }, 90000);
}

before(async () => {
  srv = await startServer({ bin: reachableFerry(dirs), env: { FERRY_TRIGGER_TICK_MS: "100", FERRY_TRIGGER_LEASE_MS: "3000" } });
  const exp = (await api(srv.url, "experiments/create", { name: "fraud-train" })).experiment_id;
  trainRun = (await api(srv.url, "runs/create", { experiment_id: exp, run_name: "train" })).run;
  await api(srv.url, "registered-models/create", { name: "fraud" });
  for (let i = 0; i < 2; i++)
    await api(srv.url, "model-versions/create", { name: "fraud", source: trainRun.info.artifact_uri + "/model", run_id: trainRun.info.run_id });
  // the rollout of version 2: a step, a rollback, then a promotion
  const D = F + "deployments/";
  await api(srv.url, D + "apply", { no_check: true, spec: {
    name: DEP, targets: [{ model: "models:/fraud/1", weight: 90 }, { model: "models:/fraud/2" }],
    rollout: { steps: [10, 50, 100], interval: "1h", min_requests: 200, guards: { max_error_rate: 0.2 } } } });
  await api(srv.url, D + "step", { name: DEP });
  await api(srv.url, D + "rollback", { name: DEP, reason: "error rate 31% above 20%" });
  await api(srv.url, D + "promote", { name: DEP });
  // a deployment with no loop: no monitor, no rollout, and its model's versions deleted (a
  // deployment needs a registered model when it is applied, and every version is an event)
  await api(srv.url, "registered-models/create", { name: "gone" });
  await api(srv.url, "model-versions/create", { name: "gone", source: trainRun.info.artifact_uri + "/model", run_id: trainRun.info.run_id });
  await api(srv.url, D + "apply", { no_check: true, spec: { name: "quiet", targets: [{ model: "models:/gone/1", weight: 100 }] } });
  await api(srv.url, "registered-models/delete", { name: "gone" }, "DELETE");
  // the log: a reference hour a day ago, then the last hour drifted
  const end = Math.floor(Date.now() / 1000) * 1000;
  await logRows(end - 26 * H, end - 25 * H, 200, false);
  await logRows(end - H, end - 1000, 200, true);
  await api(srv.url, F + "monitors/apply", { spec: { name: MON, deployment: DEP,
    reference: { window: { from: end - 26 * H, to: end - 25 * H } }, window: { last: "1h" } } });
  await api(srv.url, F + "triggers/apply", { spec: { name: TRIG, on: { alert: { monitor: MON, condition: "drift" } },
    pipeline: { uri: pipelineProject(trainRun.info.run_id), experiment: "retrain" }, concurrency: "queue" } });
  await api(srv.url, F + "monitors/run", { name: MON, end_time: end });
  const alerts = (await get(F + "alerts/list", { monitor: MON })).alerts || [];
  assert.ok(alerts.length >= 1, "the drifted hour opens an alert");
  const ok = await fire({});
  assert.equal(ok.state, "succeeded", JSON.stringify(ok) + "\n" + srv.stderr().slice(-3000));
  const bad = await fire({ min_acc: "0.99" });
  assert.equal(bad.state, "failed", JSON.stringify(bad));
  // the alert fired the trigger by itself too (the trigger is older than the alert): three runs
  await until("the alert's firing to end", async () => {
    const fs = (await get(F + "triggers/history", { name: TRIG, max_results: 100 })).firings || [];
    return fs.length === 3 && fs.every((f) => FINAL.includes(f.state)) && fs.some((f) => f.event.kind === "alert.opened");
  }, 90000);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const LANES = { alerts: ["alert_opened"], runs: ["trigger_fired"], gates: ["gate_passed", "gate_failed"],
  registry: ["version_registered"], rollout: ["rollout_step", "promoted", "rolled_back"] };

test("loop: the REST answer holds the whole seeded loop", async () => {
  const l = await loop();
  assert.equal(l.truncated, false);
  const kinds = new Set(l.events.map((e) => e.event));
  for (const k of ["alert_opened", "trigger_fired", "pipeline_started", "pipeline_finished", "gate_passed", "gate_failed",
    "version_registered", "rollout_step", "promoted", "rolled_back"])
    assert.ok(kinds.has(k), `${k} in ${[...kinds].join(", ")}`);
  const times = l.events.map((e) => e.time_ms);
  assert.deepEqual(times, times.slice().sort((a, b) => a - b), "oldest first");
  // the version the passing run registered names that run
  const runs = l.events.filter((e) => e.event === "pipeline_finished");
  assert.deepEqual(runs.map((e) => e.status).sort(), ["FAILED", "FINISHED", "FINISHED"]);
  for (const good of runs.filter((e) => e.status === "FINISHED"))
    assert.ok(l.events.some((e) => e.event === "version_registered" && e.pipeline_run_id === good.run_id), JSON.stringify(l.events));
  assert.deepEqual(l.events.filter((e) => e.event === "trigger_fired").map((e) => e.cause).sort(), ["alert.opened", "manual", "manual"]);
});

test("loop: the deployment page links here; every event is a mark in its lane, a run a bar coloured by its status", async (t) => {
  const l = await loop();
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + `#/deployments/${DEP}`);
    // the deployment page lists the pipeline runs its triggers started, newest first, each with its outcome
    const retrain = page.locator("table.retraining tbody tr");
    await retrain.nth(2).waitFor();
    const started = l.events.filter((e) => e.event === "pipeline_started").sort((a, b) => b.time_ms - a.time_ms);
    assert.deepEqual(await retrain.locator("td:first-child a").evaluateAll((as) => as.map((a) => a.getAttribute("href"))),
      started.map((e) => "#/pipelines/" + e.run_id));
    const status = (id) => l.events.find((e) => e.event === "pipeline_finished" && e.run_id === id).status.toLowerCase();
    assert.deepEqual(await retrain.locator("td:last-child").allInnerTexts(), started.map((e) => status(e.run_id)));
    await page.getByRole("link", { name: "Loop", exact: true }).click();
    await page.getByRole("heading", { name: "Loop" }).waitFor();
    assert.equal(await page.evaluate(() => location.hash), `#/deployments/${DEP}/loop`);
    const svg = page.getByTestId("loop-timeline");
    await svg.waitFor();
    for (const [lane, evs] of Object.entries(LANES)) {
      const want = l.events.filter((e) => evs.includes(e.event)).length;
      for (const ev of evs)
        assert.equal(await svg.locator(`g.mark[data-event="${ev}"]`).count(), l.events.filter((e) => e.event === ev).length, ev);
      assert.ok(want > 0, lane);
    }
    // the runs: one bar each, from its start to its finish, coloured by status
    const finished = l.events.filter((e) => e.event === "pipeline_finished");
    assert.equal(await svg.locator("g.mark.run").count(), new Set(l.events.filter((e) => e.run_id && e.event.startsWith("pipeline_")).map((e) => e.run_id)).size);
    for (const f of finished) {
      const bar = svg.locator(`g.mark.run[data-run="${f.run_id}"]`);
      assert.match(await bar.getAttribute("class"), new RegExp(f.status.toLowerCase()));
      const fill = await bar.locator("rect").evaluate((r) => getComputedStyle(r).fill);
      assert.equal(fill, f.status === "FAILED" ? "rgb(180, 35, 24)" : "rgb(16, 122, 58)");
      const w = Number(await bar.locator("rect").getAttribute("width"));
      assert.ok(w >= 5, "a bar at least 5 px wide");
    }
    // the lanes' order and x: a later event further right
    const xs = await svg.locator('g.mark[data-event="rollout_step"] rect').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute("x"))));
    assert.deepEqual(xs, xs.slice().sort((a, b) => a - b));
    const labels = await svg.locator("text.lane-label").allTextContents();
    assert.deepEqual(labels, ["Alerts", "Triggers & runs", "Gates", "Registry", "Rollout"]);
  });
});

test("the deployment page's alert order and a window's verdict", () => {
  const a = (id, state, opened_ms) => ({ id, state, opened_ms });
  // active first (open before acknowledged), newest first within each; an alert in both lists once
  const order = alertOrder([a(3, "acknowledged", 30), a(2, "open", 20), a(5, "open", 50)],
    [a(6, "resolved", 60), a(5, "open", 50), a(3, "acknowledged", 30)]);
  assert.deepEqual(order.map((x) => x.id), [5, 2, 3, 6]);
  assert.deepEqual(windowVerdict(null).text, "no window yet");
  assert.deepEqual(windowVerdict({ status: "insufficient", n_rows: 3 }).text, "insufficient");
  assert.deepEqual(windowVerdict({ status: "failed", error: "no reference" }), { cls: "breach", text: "failed", title: "no reference" });
  assert.equal(windowVerdict({ status: "ok", share_of_drifted_columns: 0.25, figures: { breached: [] } }).text, "passed");
  assert.equal(windowVerdict({ status: "ok", figures: { breached: ["drift", "decay:f1"] } }).text, "breached drift, decay:f1");
  assert.deepEqual(checksOf({ decay: { f1: {}, accuracy: {} }, quality: { schema: false } }), ["drift", "decay: f1, accuracy"]);
  assert.deepEqual(checksOf({ quality: { schema: true } }), ["drift", "quality"]);
});

test("a deployment's page lists its monitors and alerts (active first), each linked to its Monitoring row", async (t) => {
  const monitors = (await get(F + "monitors/list", { deployment: DEP })).monitors;
  const last = (await get(F + "monitors/reports", { name: MON, max_results: 1 })).reports[0];
  const alerts = (await get(F + "alerts/list", { deployment: DEP, max_results: 100 })).alerts;
  assert.equal(monitors.length, 1);
  assert.ok(alerts.length >= 1);
  assert.ok(last.figures.breached.includes("drift"), JSON.stringify(last.figures));
  // resolve one alert when there are several, so that the order has something to show
  if (alerts.length > 1) await api(srv.url, F + "alerts/resolve", { alert_id: alerts[alerts.length - 1].id });
  const now = (await get(F + "alerts/list", { deployment: DEP, max_results: 100 })).alerts;
  const rank = (a) => ({ open: 0, acknowledged: 1 })[a.state] ?? 2;
  const want = now.slice().sort((a, b) => rank(a) - rank(b) || b.opened_ms - a.opened_ms || b.id - a.id);
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + `#/deployments/${DEP}`);
    const watch = page.getByRole("region", { name: "Monitors and alerts" });
    const mrow = watch.locator("table.watch-monitors tbody tr");
    await mrow.first().waitFor();
    assert.equal(await mrow.count(), 1);
    const cells = await mrow.locator("td").allInnerTexts();
    assert.equal(cells[0], MON);
    assert.match(cells[1], /^drift/);
    assert.equal(cells[2], "on demand");
    assert.match(cells[4], new RegExp("^breached " + last.figures.breached.join(", ")));
    assert.equal(cells[5], String(now.filter((a) => a.state !== "resolved").length));
    assert.equal(await mrow.getByRole("link", { name: MON }).getAttribute("href"), `#/deployments/${DEP}/monitoring?monitor=${MON}`);
    // the alerts: the REST list, active ones first, each with its state, severity, condition
    const arows = watch.locator("table.watch-alerts tbody tr");
    await arows.nth(want.length - 1).waitFor();
    assert.equal(await arows.count(), want.length);
    assert.deepEqual(await arows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.alert))), want.map((a) => a.id));
    const first = await arows.first().locator("td").allInnerTexts();
    assert.deepEqual(first.slice(0, 5), ["#" + want[0].id, want[0].state, want[0].severity, MON, want[0].condition]);
    // an alert's link opens the Monitoring page at its row
    const a = want[want.length - 1];
    const link = arows.last().getByRole("link", { name: "#" + a.id });
    assert.equal(await link.getAttribute("href"), `#/deployments/${DEP}/monitoring?monitor=${MON}&alert=${a.id}`);
    await link.click();
    await page.getByRole("heading", { name: "Monitoring" }).waitFor();
    const focused = page.locator(`section.alerts tr[data-alert="${a.id}"]`);
    await focused.waitFor();
    assert.match(await focused.getAttribute("class"), /focused/);
    assert.equal(await focused.getAttribute("aria-current"), "true");
    assert.equal(await page.locator("section.alerts tr.focused").count(), 1);
    await page.waitForFunction((id) => {
      const r = document.querySelector(`tr[data-alert="${id}"]`).getBoundingClientRect();
      return r.top >= 0 && r.bottom <= innerHeight;
    }, a.id);
    // a deployment nothing watches says how to add a monitor
    await page.goto(srv.url + "#/deployments/quiet");
    const quiet = page.getByRole("region", { name: "Monitors and alerts" });
    await quiet.getByText("No monitors on this deployment.").waitFor();
    assert.match(await quiet.innerText(), /ferry monitors apply -f monitor\.yaml/);
    await quiet.getByText("No alerts. They are opened by a monitor").waitFor();
    assert.equal(await quiet.getByRole("link", { name: "an example" }).getAttribute("href"), "#/deployments/quiet/monitoring");
  }, ["status of 404"]); // quiet's deleted model's lineage
});

test("loop: a mark's details on hover and on click, with links", async (t) => {
  const l = await loop();
  const failed = l.events.find((e) => e.event === "gate_failed");
  const alert = l.events.find((e) => e.event === "alert_opened");
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + `#/deployments/${DEP}/loop`);
    const detail = page.getByRole("region", { name: "Event details" });
    await detail.getByText("No mark picked.").waitFor();
    // hover: the failed gate and its reasons
    await page.locator('g.mark[data-event="gate_failed"]').hover();
    await detail.getByText("gate failed", { exact: true }).waitFor();
    const text = await detail.innerText();
    assert.match(text, /failed in pipeline run/);
    assert.ok(text.includes(failed.reasons), text);
    assert.ok(failed.reasons.includes("accuracy"), failed.reasons);
    // its table row is marked as the one shown
    assert.equal(await page.locator("table.loop-events tr.picked").count(), 1);
    assert.equal(await page.locator("table.loop-events tr.picked").getAttribute("data-event"), "gate_failed");
    // off the mark: nothing picked again
    await page.mouse.move(1, 1);
    await detail.getByText("No mark picked.").waitFor();
    // a click pins the alert's details; its link leads to the monitor
    await page.locator('g.mark[data-event="alert_opened"]').first().click();
    await page.mouse.move(1, 1);
    await detail.getByText(`alert #${alert.alert_id}`).waitFor();
    assert.match(await detail.innerText(), new RegExp(`of monitor ${MON}: ${alert.condition}`));
    await detail.getByRole("link", { name: `alert #${alert.alert_id}` }).click();
    await page.getByRole("heading", { name: "Monitoring" }).waitFor();
    assert.equal(await page.evaluate(() => location.hash), `#/deployments/${DEP}/monitoring?monitor=${MON}`);
    // a run's bar: its status and both ends
    await page.goBack();
    const finished = l.events.find((e) => e.event === "pipeline_finished" && e.status === "FINISHED");
    await page.locator(`g.mark.run[data-run="${finished.run_id}"]`).hover();
    await detail.getByText("pipeline started").waitFor();
    await detail.getByText("pipeline finished").waitFor();
    assert.match(await detail.innerText(), /FINISHED after/);
    // the keyboard: a mark takes the focus, Enter pins it
    await page.mouse.move(1, 1);
    await page.locator('g.mark[data-event="promoted"]').focus();
    await detail.getByText(/fraud v2 promoted to 100%/).waitFor();
    await page.keyboard.press("Enter");
    await page.locator('g.mark[data-event="promoted"]').blur();
    await detail.getByText(/fraud v2 promoted to 100%/).waitFor();
    assert.match(await page.locator('g.mark[data-event="promoted"]').getAttribute("class"), /picked/);
    // a mark under others (the rollout's changes, milliseconds apart here) by the keyboard too
    await page.locator('g.mark[data-event="rolled_back"]').focus();
    await detail.getByText("error rate 31% above 20%").waitFor();
  });
});

test("loop: on a narrow screen the time axis fits the page", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(srv.url + `#/deployments/${DEP}/loop`);
    const svg = page.getByTestId("loop-timeline");
    await svg.waitFor();
    await page.waitForFunction(() => Number(document.querySelector("svg.loop").getAttribute("width")) <= 390);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth + 1), "no sideways scrolling");
    // every lane still has its label and marks
    assert.equal(await svg.locator("text.lane-label").count(), 5);
    assert.ok(await svg.locator("g.mark").count() > 10);
  });
});

test("loop: the events table lists every event with its links", async (t) => {
  const l = await loop();
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + `#/deployments/${DEP}/loop`);
    const rows = page.locator("table.loop-events tbody tr");
    await rows.first().waitFor();
    assert.equal(await rows.count(), l.events.length);
    // newest first
    const kinds = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.event));
    assert.deepEqual(kinds, l.events.map((e) => e.event).reverse());
    // a pipeline run links to its page
    const fin = l.events.find((e) => e.event === "pipeline_finished" && e.status === "FINISHED");
    const finRow = page.locator('table.loop-events tr[data-event="pipeline_finished"]', { hasText: "FINISHED" });
    assert.equal(await finRow.getByRole("link", { name: "pipeline run " + fin.run_id.slice(0, 8) }).getAttribute("href"), "#/pipelines/" + fin.run_id);
    // the version that pipeline run registered links to the model and to the run
    const reg = l.events.find((e) => e.event === "version_registered" && e.pipeline_run_id === fin.run_id);
    const vrow = page.locator('table.loop-events tr[data-event="version_registered"]', { hasText: "v" + reg.version });
    assert.equal(await vrow.getByRole("link", { name: "fraud" }).getAttribute("href"), "#/models/fraud");
    assert.equal(await vrow.getByRole("link", { name: "pipeline run " + fin.run_id.slice(0, 8) }).getAttribute("href"), "#/pipelines/" + fin.run_id);
    // the gate's run opens the run page
    const gate = l.events.find((e) => e.event === "gate_passed");
    const gateRow = page.locator('table.loop-events tr[data-event="gate_passed"]');
    await gateRow.getByRole("link", { name: "gate run " + gate.run_id.slice(0, 8) }).click();
    await page.waitForFunction((id) => location.hash.endsWith("/runs/" + id), gate.run_id);
    await page.getByText(gate.run_id).first().waitFor();
    await page.goBack();
    // the rollback with its reason, the promotion
    const rb = page.locator('table.loop-events tr[data-event="rolled_back"]');
    assert.match(await rb.innerText(), /rolled back: error rate 31% above 20%/);
    assert.match(await page.locator('table.loop-events tr[data-event="promoted"]').innerText(), /fraud v2 promoted to 100%/);
    // the pipeline run's page opens from its link
    await finRow.getByRole("link", { name: "pipeline run " + fin.run_id.slice(0, 8) }).click();
    await page.waitForFunction((id) => location.hash === "#/pipelines/" + id, fin.run_id);
  });
});

test("loop: the page refreshes by itself; a deployment without a loop says how one comes about", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + `#/deployments/${DEP}/loop`);
    const rows = page.locator("table.loop-events tbody tr");
    await rows.first().waitFor();
    const n = await rows.count();
    // a version registered meanwhile shows up without a reload
    const next = Math.max(...(await loop()).events.filter((e) => e.event === "version_registered").map((e) => Number(e.version))) + 1;
    const marks = page.locator('g.mark[data-event="version_registered"]');
    const m = await marks.count();
    await api(srv.url, "model-versions/create", { name: "fraud", source: trainRun.info.artifact_uri + "/model", run_id: trainRun.info.run_id });
    await until("the new mark and row", async () => (await marks.count()) === m + 1 && (await rows.count()) === n + 1, 15000);
    assert.equal(await rows.first().getAttribute("data-event"), "version_registered");
    assert.match(await rows.first().innerText(), new RegExp("fraud v" + next));
    // the empty state
    await page.goto(srv.url + "#/deployments/quiet");
    await page.getByRole("link", { name: "Loop", exact: true }).click();
    await page.getByText("Nothing has happened in quiet's loop yet.").waitFor();
    const text = await page.locator(".empty.note").innerText();
    for (const what of ["ferry monitors apply", "ferry triggers apply", "ferry/gate", "rollout:"]) assert.ok(text.includes(what), what);
    assert.equal(await page.getByTestId("loop-timeline").count(), 0);
    // quiet serves a version whose model was deleted: its page says so where the version's lineage would be
    await page.goto(srv.url + "#/deployments/quiet");
    await page.locator("section.provenance").getByText(/gone/).first().waitFor();
    await page.locator("section.provenance .error").waitFor();
  }, ["status of 404"]); // that lineage answer, on purpose
});
