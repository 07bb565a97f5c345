// SPDX-License-Identifier: MIT
// A deployment's Monitoring page (issue 18) against a real `ferry server`:
// a deployment whose prediction log is put through the ingest row (what a
// gateway sends) with labels posted, a reference span of the log, then
// hourly windows: one empty (insufficient), three like the reference, three
// shifted (amount's mean, a new country, predictions skewed, half the labels
// wrong). A monitor over it (F1 guards against the training run's F1, a
// webhook to a receiver in this test) is applied and run window by window
// over REST, which opens a drift alert and an F1 alert and delivers them.
// The page: the empty state, the link from the deployment page, the drift
// chart with its threshold, the windows, the newest window's column tests
// (sorted by a header) and a column's histograms overlaid on click, data
// quality, the decay chart, and the alerts: acknowledged and resolved
// through their buttons, a refused acknowledgement shown with the
// server's message, an alert's deliveries. Any console error or failed
// request fails the test.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { api, launch, startServer, withPage } from "../support/server.mjs";
import { inputsBlob, outputsBlob, uuid7 } from "../support/predlog.mjs";

const F = "api/2.0/ferry/";
const DEP = "watched", MON = "watch-1";
const H = 3600e3;
const BASE = Math.floor(Date.now() / H) * H; // this hour's start
const REF = [BASE - 30 * H, BASE - 24 * H];
const WINDOWS = 7; // ends BASE-6H .. BASE; the first one empty
const endOf = (k) => BASE - (WINDOWS - 1 - k) * H;
let srv, browser, hook;
const received = [];

// A deterministic generator.
let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const gauss = () => rnd() + rnd() + rnd() + rnd() - 2; // roughly normal, sd ~0.58

// n rows evenly in [from, to); shifted: another distribution and poor labels.
let serial = 0;
function rows(from, to, n, shifted) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const ms = from + Math.floor(((to - from) * i) / n);
    const amount = Math.round((shifted ? 160 : 100) + 30 * gauss()) + 0.5;
    const r = rnd();
    const country = shifted && r < 0.3 ? "br" : ["fr", "de", "it", "jp"][Math.floor(rnd() * 4)];
    const p = shifted ? Math.pow(rnd(), 0.3) : rnd();
    const pred = p > 0.5 ? 1 : 0;
    const label = rnd() < (shifted ? 0.5 : 0.92) ? pred : 1 - pred;
    out.push({ rid: uuid7(ms, ++serial), ms, amount, country, p, pred, label });
  }
  return out;
}

async function ingest(list) {
  const targets = [{ deployment: DEP, revision: 1, model: "fraud", version: 1, shadow: false,
    columns: JSON.stringify(["amount", "country"]), classes: "[0,1]", task: "classification" }];
  for (let i = 0; i < list.length; i += 500) {
    const batch = list.slice(i, i + 500);
    await api(srv.url, F + "predictions/log", { targets, rows: batch.map((r) => ({ target: 0, rid: r.rid, row: 0, nrows: 1,
      time_ms: r.ms, latency_us: 1000, status: 200, inputs: inputsBlob([r.amount, r.country]),
      outputs: outputsBlob(r.pred, [1 - r.p, r.p]) })) });
    const fb = await api(srv.url, F + "feedback/log", { deployment: DEP, labels: batch.map((r) => ({ request_id: r.rid, label: r.label })) });
    assert.equal(fb.accepted, batch.length, JSON.stringify(fb));
  }
}

const answer = (path, q) => api(srv.url, path + "?" + new URLSearchParams(q), null, "GET");
const until = async (what, fn, ms = 30000) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 200));
  }
};

before(async () => {
  hook = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => { body += d; });
    req.on("end", () => { received.push(body); res.writeHead(200).end("ok"); });
  });
  await new Promise((ok) => hook.listen(0, "127.0.0.1", ok));
  srv = await startServer();
  // the model version's training run logged F1 0.88: the max_drop guard's base
  const run = (await api(srv.url, "runs/create", { experiment_id: "0", run_name: "train-fraud" })).run;
  await api(srv.url, "runs/log-metric", { run_id: run.info.run_id, key: "f1", value: 0.88, timestamp: Date.now(), step: 0 });
  await api(srv.url, "registered-models/create", { name: "fraud" });
  await api(srv.url, "model-versions/create", { name: "fraud", source: run.info.artifact_uri + "/model", run_id: run.info.run_id });
  for (const name of [DEP, "quiet"])
    await api(srv.url, F + "deployments/apply", { no_check: true, spec: { name, targets: [{ model: "models:/fraud/1", weight: 100 }] } });
  const all = rows(REF[0], REF[1], 300, false);
  for (let k = 1; k < WINDOWS; k++) all.push(...rows(endOf(k) - H, endOf(k), 150, k >= 4));
  await ingest(all);
  await api(srv.url, F + "monitors/apply", { spec: {
    name: MON, deployment: DEP,
    reference: { window: { from: REF[0], to: REF[1] } },
    window: { last: "1h" },
    decay: { f1: { min: 0.7, max_drop: 0.1 } },
    sinks: [{ webhook: { url: `http://127.0.0.1:${hook.address().port}/hook` } }],
  } });
  for (let k = 0; k < WINDOWS; k++) await api(srv.url, F + "monitors/run", { name: MON, end_time: endOf(k) });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  hook?.close();
});

const open = (page) => page.goto(srv.url + `#/deployments/${DEP}/monitoring`);
const newest = async () => (await answer(F + "monitors/reports", { name: MON, max_results: 1 })).reports[0];

test("monitoring: a deployment without monitors explains how to create one; the deployment page links here", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/deployments/quiet");
    await page.getByRole("link", { name: "Monitoring" }).click();
    await page.getByRole("heading", { name: "Monitoring" }).waitFor();
    assert.equal(await page.evaluate(() => location.hash), "#/deployments/quiet/monitoring");
    await page.getByText("No monitor watches quiet yet.").waitFor();
    await page.getByText("ferry monitors apply -f monitor.yaml").waitFor();
    const example = await page.locator("pre.example").innerText();
    assert.match(example, /deployment: quiet/);
    // the example is a spec the server takes as it is
    const made = await api(srv.url, F + "monitors/apply", { spec_yaml: example });
    assert.equal(made.monitor.name, "quiet-drift");
    await api(srv.url, F + "monitors/delete", { name: "quiet-drift" });
  });
});

test("monitoring: drift share over time with its threshold, the windows, and the newest window's column tests", async (t) => {
  const reports = (await answer(F + "monitors/reports", { name: MON })).reports;
  assert.equal(reports.length, WINDOWS);
  assert.deepEqual(reports.map((r) => r.status), ["ok", "ok", "ok", "ok", "ok", "ok", "insufficient"]);
  const last = (await answer(F + "monitors/report", { name: MON, window_start: reports[0].window_start_ms })).report;
  const drift = last.report.drift;
  assert.equal(drift.dataset_drift, true);
  await withPage(browser, t, async (page) => {
    // the deployment page says how many alerts are active
    await page.goto(srv.url + `#/deployments/${DEP}`);
    await page.locator("p.subnav").getByText("2 active alerts").waitFor();
    await page.getByRole("link", { name: "Monitoring" }).click();
    // the chart: uPlot's canvas, the share and the threshold as series
    await page.getByTestId("drift-chart").locator("canvas").waitFor();
    const legend = await page.locator(".drift-chart .u-legend th").allInnerTexts();
    assert.deepEqual(legend.map((x) => x.trim()).filter(Boolean), ["window end", "share of drifted columns", "threshold"]);
    // the windows, newest first, the newest judged one picked
    const wrows = page.locator("table.windows tbody tr");
    assert.equal(await wrows.count(), WINDOWS);
    const first = await wrows.nth(0).locator("td").allInnerTexts();
    assert.equal(first[1], String(reports[0].n_rows));
    assert.equal(first[3], (100 * reports[0].share_of_drifted_columns).toFixed(1) + "%");
    assert.match(first[4], /dataset drift/);
    assert.match(first[5], /drift/);
    assert.equal(await wrows.nth(0).getAttribute("class"), "picked");
    assert.match((await wrows.nth(WINDOWS - 1).locator("td").allInnerTexts())[2], /insufficient/);
    await page.getByText(`Dataset drift: ${drift.number_of_drifted_columns} of ${drift.number_of_columns} columns drifted`).waitFor();
    // the column tests as the report has them
    const crow = page.locator("table.drift-columns tbody tr");
    assert.equal(await crow.count(), drift.columns.length);
    const names = () => page.locator("table.drift-columns tbody tr td:first-child").allInnerTexts();
    assert.deepEqual(await names(), drift.columns.map((c) => c.name));
    const sig = (v) => (v === null ? null : Math.abs(v) < 1e-4 && v !== 0 ? v.toExponential(2) : String(Number(v.toPrecision(4))));
    for (let i = 0; i < drift.columns.length; i++) {
      const c = drift.columns[i];
      const cells = await crow.nth(i).locator("td").allInnerTexts();
      assert.deepEqual(cells, [c.name, c.kind, c.stattest, c.statistic === null ? "∞" : sig(c.statistic),
        c.p_value === null ? "–" : sig(c.p_value), sig(c.threshold), c.drifted ? "drifted" : "no"]);
    }
    // sorted by p-value, then the other way
    const byP = drift.columns.slice().sort((a, b) => a.p_value - b.p_value).map((c) => c.name);
    await page.getByRole("button", { name: "p-value" }).click();
    assert.deepEqual(await names(), byP);
    assert.equal(await page.locator("th[aria-sort]").getAttribute("aria-sort"), "ascending");
    await page.getByRole("button", { name: "p-value ▲" }).click();
    assert.deepEqual(await names(), byP.slice().reverse());
    // picking an older window shows its report
    await wrows.nth(3).getByRole("button").click();
    await page.getByText("No dataset drift:").waitFor();
    // so does a click on the chart's point of a window (the windows are an hour apart, evenly on x)
    await page.locator(".drift-chart .u-over").scrollIntoViewIfNeeded();
    const over = await page.locator(".drift-chart .u-over").boundingBox();
    await page.mouse.click(over.x + over.width * (WINDOWS - 2) / (WINDOWS - 1), over.y + over.height / 2);
    await page.waitForFunction(() => document.querySelector("table.windows tbody tr:nth-child(2)")?.className === "picked");
    await page.getByText("Dataset drift:").waitFor();
  });
});

test("monitoring: a column's reference and current histograms overlaid on click, and data quality", async (t) => {
  const last = (await answer(F + "monitors/report", { name: MON, window_start: (await newest()).window_start_ms })).report;
  const drift = last.report.drift;
  await withPage(browser, t, async (page) => {
    await open(page);
    for (const col of ["amount", "country"]) {
      const h = drift.histograms[col];
      await page.locator("table.drift-columns").getByRole("button", { name: col, exact: true }).click();
      const fig = page.getByRole("figure", { name: "Histograms of " + col });
      await fig.waitFor();
      // one translucent bar per bin and side, overlaid on the same x
      const svg = fig.getByTestId("histogram");
      assert.equal(await svg.locator("rect.ref").count(), h.reference.length);
      assert.equal(await svg.locator("rect.cur").count(), h.current.length);
      assert.equal(await svg.locator("rect.ref").nth(0).getAttribute("x"), await svg.locator("rect.cur").nth(0).getAttribute("x"));
      const sum = (a) => a.reduce((s, x) => s + x, 0);
      await fig.getByText(`reference (${sum(h.reference)} values)`).waitFor();
      await fig.getByText(`current (${sum(h.current)} values)`).waitFor();
      // the counts behind the bars
      await fig.getByText("The counts").click();
      const counts = await fig.locator("table.hist-data tbody tr").evaluateAll((trs) => trs.map((tr) =>
        [...tr.querySelectorAll("td")].slice(1).map((td) => Number(td.textContent.split(" ")[0]))));
      assert.deepEqual(counts, h.reference.map((x, i) => [x, h.current[i]]));
      if (h.labels) assert.ok(h.labels.includes("br"), h.labels.join(","));
    }
    // a second click on the column closes its histograms
    await page.locator("table.drift-columns").getByRole("button", { name: "country", exact: true }).click();
    await page.getByRole("figure", { name: "Histograms of country" }).waitFor({ state: "detached" });
    // data quality: the new country, amount's values out of the reference's range
    const q = Object.fromEntries(drift.data_quality.columns.map((c) => [c.name, c]));
    assert.ok(q.country.new_categories >= 1);
    const qrow = (name) => page.locator("table.quality tbody tr").filter({ has: page.getByRole("cell", { name, exact: true }) });
    assert.match(await qrow("country").innerText(), new RegExp(`\\b${q.country.new_categories} \\(.*br`));
    assert.match(await qrow("amount").innerText(), new RegExp(`\\b${q.amount.current_out_of_range} \\(`));
    // the checks the window judged
    const checks = await page.locator("table.checks tbody tr td:first-child").allInnerTexts();
    assert.deepEqual(checks, last.report.conditions.map((c) => c.condition));
  });
});

test("monitoring: the decay chart per window against the F1 guards", async (t) => {
  const reports = (await answer(F + "monitors/reports", { name: MON })).reports;
  const last = (await answer(F + "monitors/report", { name: MON, window_start: reports[0].window_start_ms })).report;
  const d = last.report.decay.find((x) => x.metric === "f1");
  assert.equal(d.verdict, "breach");
  await withPage(browser, t, async (page) => {
    await open(page);
    await page.getByTestId("decay-chart").locator("canvas").waitFor();
    // the training line needs the newest window's report body, which loads after the chart's
    // first drawing: wait for it (bounded) before reading the legend
    await page.getByText("the training run logged 0.88").waitFor();
    const want = ["window end", "f1", "min", "training − max_drop"];
    let legend = [];
    for (let i = 0; i < 50; i++) {
      legend = (await page.locator(".decay-chart .u-legend th").allInnerTexts()).map((x) => x.trim()).filter(Boolean);
      if (legend.length === want.length) break;
      await page.waitForTimeout(100);
    }
    assert.deepEqual(legend, want);
    const cells = await page.locator("table.decay-targets tbody tr").first().locator("td").allInnerTexts();
    const t0 = d.targets[0];
    assert.deepEqual(cells.slice(0, 5), [t0.model, String(t0.labeled), String(Number(t0.value.toPrecision(4))), "0.88", "breach"]);
    // the numbers behind the chart, a window per row (the empty one has none)
    await page.locator(".decay-chart").getByText("The numbers").click();
    const nums = await page.locator("table.decay-data tbody tr td:last-child").allInnerTexts();
    assert.deepEqual(nums, reports.slice().reverse().map((r) => (typeof r.figures.decay?.f1 === "number" ? String(Number(r.figures.decay.f1.toPrecision(4))) : "–")));
    assert.equal(nums[0], "–");
  });
});

test("monitoring: alerts acknowledged and resolved through their buttons; a refusal shows the server's message; deliveries", async (t) => {
  const alerts = (await answer(F + "alerts/list", { monitor: MON })).alerts;
  const drift = alerts.find((a) => a.condition === "drift"), f1 = alerts.find((a) => a.condition === "decay:f1");
  assert.ok(drift && f1, JSON.stringify(alerts));
  assert.equal(drift.state, "open");
  assert.equal(drift.breach_count, 3);
  await until("the webhook deliveries", async () => received.length >= 2);
  await withPage(browser, t, async (page) => {
    await open(page);
    const row = (a) => page.locator(`tr[data-alert="${a.id}"]`);
    await row(drift).waitFor();
    assert.equal(await row(drift).locator(".alert-state").innerText(), "open");
    assert.equal(await row(f1).locator(".severity").innerText(), "critical");
    // acknowledge: a confirmation, then the state changes
    await row(drift).getByRole("button", { name: "Acknowledge" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText(`Acknowledge alert #${drift.id} (drift)?`).waitFor();
    await dialog.getByRole("button", { name: "Acknowledge" }).click();
    await page.waitForFunction((id) => document.querySelector(`tr[data-alert="${id}"] .alert-state`)?.textContent === "acknowledged", drift.id);
    assert.equal(await row(drift).getByRole("button", { name: "Acknowledge" }).count(), 0);
    await row(drift).getByText("acknowledged", { exact: false }).first().waitFor();
    const got = (await answer(F + "alerts/get", { alert_id: drift.id })).alert;
    assert.equal(got.state, "acknowledged");
    assert.ok(got.acked_ms > 0);
    // acknowledged meanwhile by someone else: the server refuses, its message shown
    await api(srv.url, F + "alerts/ack", { alert_id: f1.id });
    await row(f1).getByRole("button", { name: "Acknowledge" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Acknowledge" }).click();
    const err = page.locator("section.alerts .error");
    await err.waitFor();
    assert.match(await err.innerText(), /INVALID_STATE/);
    await page.waitForFunction((id) => document.querySelector(`tr[data-alert="${id}"] .alert-state`)?.textContent === "acknowledged", f1.id);
    // resolve, cancelled first
    await row(f1).getByRole("button", { name: "Resolve" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    assert.equal(await row(f1).locator(".alert-state").innerText(), "acknowledged");
    await row(f1).getByRole("button", { name: "Resolve" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Resolve" }).click();
    await page.waitForFunction((id) => document.querySelector(`tr[data-alert="${id}"] .alert-state`)?.textContent === "resolved", f1.id);
    assert.equal((await answer(F + "alerts/get", { alert_id: f1.id })).alert.state, "resolved");
    // the filter: active ones only
    await page.getByLabel("Alert state").selectOption("active");
    await row(f1).waitFor({ state: "detached" });
    await row(drift).waitFor();
    // the drift alert's deliveries: the webhook got its "opened" event
    const dl = (await answer(F + "alerts/deliveries", { alert_id: drift.id })).deliveries;
    await row(drift).getByRole("button", { name: "Deliveries" }).click();
    const region = page.getByRole("region", { name: `Deliveries of alert ${drift.id}` });
    await region.locator("tbody tr").first().waitFor();
    const cells = await region.locator("tbody tr").first().locator("td").allInnerTexts();
    assert.deepEqual(cells.slice(0, 2), ["webhook #0", dl[0].event]);
    assert.equal(cells[2], dl[0].state);
  }, ["status of 400", "status of 409"]);
});

test("monitoring: several monitors as tabs, one picked by the URL; a monitor without windows says how to run one", async (t) => {
  await api(srv.url, F + "monitors/apply", { spec: { name: "watch-2", deployment: DEP, reference: { window: { from: REF[0], to: REF[1] } },
    window: { last_rows: 500 } } }); // no schedule: the server runs it only when asked
  await withPage(browser, t, async (page) => {
    await open(page);
    const tabs = page.getByRole("navigation", { name: "Monitors" });
    assert.deepEqual(await tabs.getByRole("button").allInnerTexts(), [MON, "watch-2"]);
    assert.equal(await tabs.getByRole("button", { name: MON }).getAttribute("aria-pressed"), "true");
    await tabs.getByRole("button", { name: "watch-2" }).click();
    await page.getByRole("heading", { name: "watch-2 revision 1" }).waitFor();
    assert.equal(await page.evaluate(() => location.hash), `#/deployments/${DEP}/monitoring?monitor=watch-2`);
    await page.getByText("No window judged yet.", { exact: false }).waitFor();
    await page.getByText("ferry monitors run watch-2").waitFor();
    await page.getByText("last 500 rows", { exact: false }).waitFor();
    await page.getByText("on demand (ferry monitors run)").waitFor();
    await page.getByText("No alerts: no window has breached a condition.").waitFor();
    // judged now (as `ferry monitors run` does), then refreshed: one window, charted alone
    await api(srv.url, F + "monitors/run", { name: "watch-2", end_time: BASE });
    await page.getByRole("button", { name: "Refresh" }).first().click();
    await page.getByTestId("drift-chart").locator("canvas").waitFor();
    assert.equal(await page.locator("table.windows tbody tr").count(), 1);
    // the last 500 rows reach into the shifted hours: drift, and its alert after the refresh
    await page.getByText("Dataset drift:").waitFor();
    await page.locator("section.alerts tr.alert").filter({ hasText: "drift" }).waitFor();
    await page.goBack();
    await page.getByRole("heading", { name: MON + " revision 1" }).waitFor();
  });
  await api(srv.url, F + "monitors/delete", { name: "watch-2" });
});
