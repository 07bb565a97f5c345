// SPDX-License-Identifier: MIT
// A deployment's prediction log in the UI (issue 17): two real XGBoost
// models (trained here by tests/tools/make_xgb_model) registered, deployed
// 50/50 and served by a real `ferry serve`; requests scored through it
// (and a few it refuses), labels posted (one row labeled twice, some ids
// unknown). Then the deployment page's three panels: the request log with
// its filters and page tokens, a row's detail with its inputs, outputs and
// label history; quality over time per target version; the A/B panel with
// its intervals and sentence. The numbers shown are checked against the
// API's answers and against what the test itself sent and got back.
// Needs build-san/tools/make_xgb_model (`make SANITIZE=1 unit` builds it).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { FERRY, api, launch, startServer, withPage } from "../support/server.mjs";

const D = "api/2.0/ferry/deployments/";
const COLS = ["f0", "f1", "f2", "f3", "f4"];
const GOOD = 80, BAD = 3;
let srv, browser, gw;
const sent = []; // {request_id, model, inputs, prediction, status, time}
const labels = new Map(); // request_id -> [labels given, in order]

// A model directory from make_xgb_model (binary classifier, f0..f4).
function xgbModel(rows, kind = "binary") {
  const dir = join(mkdtempSync(join(tmpdir(), "ferry-ui-xgb-")), "model");
  const r = spawnSync(join(dirname(FERRY), "tools", "make_xgb_model"), [dir, kind, String(rows), "5"],
    { env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" }, timeout: 120000 });
  if (r.status !== 0) throw new Error("make_xgb_model: " + r.stderr);
  return dir;
}

async function register(name, dir) {
  const run = (await api(srv.url, "runs/create", { experiment_id: "0", run_name: "train-" + name })).run;
  const root = run.info.artifact_uri.replace(/^mlflow-artifacts:\//, "");
  for (const f of ["MLmodel", "model.xgb"]) {
    const r = await fetch(srv.url + "api/2.0/mlflow-artifacts/artifacts/" + root + "/model/" + f,
      { method: "PUT", body: readFileSync(join(dir, f)) });
    if (!r.ok) throw new Error(`upload ${f}: ${r.status}`);
  }
  await api(srv.url, "model-versions/create", { name, source: run.info.artifact_uri + "/model", run_id: run.info.run_id });
}

// `ferry serve` against the server; resolves with its port.
function startGateway() {
  const proc = spawn(FERRY, ["--tracking-uri", srv.url, "serve", "--host", "127.0.0.1", "--port", "0"],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" } });
  let stderr = "";
  proc.stderr.on("data", (d) => { stderr += d; });
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("ferry serve did not start: " + stderr)), 60000);
    createInterface({ input: proc.stdout }).on("line", (line) => {
      const m = line.match(/listening on http:\/\/[^:]+:(\d+)/);
      if (m) { clearTimeout(timer); ok({ proc, base: `http://127.0.0.1:${m[1]}/`, stderr: () => stderr }); }
    });
    proc.on("exit", (code) => fail(new Error(`ferry serve exited ${code}: ${stderr}`)));
  });
}

async function invoke(row, columns = COLS, name = "plog") {
  const r = await fetch(gw.base + `endpoints/${name}/invocations`, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ dataframe_split: { columns, data: [row] } }) });
  const body = await r.json().catch(() => ({}));
  return { status: r.status, id: r.headers.get("x-ferry-request-id"), model: r.headers.get("x-ferry-model"), body };
}

const until = async (what, fn, ms = 30000) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 200));
  }
};

const labelOf = (id) => (labels.has(id) ? labels.get(id).at(-1) : undefined);

// What the API answers.
const answer = (path, q) => api(srv.url, path + "?" + new URLSearchParams(q), null, "GET");

before(async () => {
  srv = await startServer();
  await api(srv.url, "registered-models/create", { name: "plog" });
  await register("plog", xgbModel(400));
  await register("plog", xgbModel(120));
  await api(srv.url, D + "apply", { spec: { name: "plog", targets: [{ model: "models:/plog/1", weight: 50 }, { model: "models:/plog/2", weight: 50 }] } });
  gw = await startGateway();
  await until("the gateway to load plog", async () => {
    const e = ((await (await fetch(gw.base + "endpoints")).json()).endpoints || []).find((x) => x.name === "plog");
    return e && e.targets.every((t) => t.loaded);
  }, 60000);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < GOOD; i++) {
    const row = COLS.map(() => Number(rnd().toFixed(4)));
    const r = await invoke(row);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    sent.push({ request_id: r.id, model: r.model, time: Date.now(), status: 200, prediction: r.body.predictions[0],
      inputs: Object.fromEntries(COLS.map((c, k) => [c, row[k]])) });
  }
  for (let i = 0; i < BAD; i++) { // a column missing: refused
    const r = await invoke([0.1, 0.2, 0.3, 0.4], COLS.slice(0, 4));
    assert.equal(r.status, 400);
    sent.push({ request_id: r.id || `bad-${i}`, model: r.model, time: Date.now(), status: 400, inputs: { f0: 0.1, f1: 0.2, f2: 0.3, f3: 0.4 } });
  }
  // labels: every other good request; plog/1 right but one in ten, plog/2 right two in three;
  // the first labeled row of plog/2 is relabeled; two ids are unknown
  const batch = [];
  sent.filter((s) => s.status === 200).forEach((s, i) => {
    if (i % 2) return;
    const k = batch.length;
    const right = s.model === "plog/2" ? k % 3 !== 0 : k % 10 !== 0;
    batch.push({ request_id: s.request_id, label: right ? s.prediction : 1 - s.prediction });
  });
  const twice = batch.find((b) => sent.find((s) => s.request_id === b.request_id).model === "plog/2");
  for (const b of batch) labels.set(b.request_id, [b.label]);
  labels.get(twice.request_id).push(1 - twice.label);
  {
    await until("every request logged", async () => (await answer("api/2.0/ferry/predictions/search", { deployment: "plog", max_results: 1000 })).predictions.length >= GOOD);
    const shuffled = [...batch.slice(40), ...batch.slice(0, 40).reverse()];
    const r = await api(srv.url, "api/2.0/ferry/feedback/log", { deployment: "plog",
      labels: [...shuffled, { request_id: "nope-1", label: 1 }, { request_id: "0190aaaa-0000-7000-8000-000000000000", label: 0 }] });
    assert.equal(r.accepted, batch.length);
    assert.equal(r.unknown_request_ids.length, 2);
    await api(srv.url, "api/2.0/ferry/feedback/log", { deployment: "plog", labels: [{ request_id: twice.request_id, label: 1 - twice.label }] });
  }
  browser = await launch();
});
after(async () => {
  await browser?.close();
  if (gw) {
    gw.proc.kill("SIGTERM");
    await new Promise((ok) => (gw.proc.exitCode !== null ? ok() : gw.proc.on("exit", ok)));
  }
  await srv?.stop();
});

const open = async (page) => {
  await page.goto(srv.url + "#/deployments/plog");
  await page.getByRole("heading", { name: "Request log" }).waitFor();
};
const logRows = (page) => page.locator("table.predictions tbody tr");
async function shownIds(page, n) {
  await page.waitForFunction((k) => document.querySelectorAll("table.predictions[aria-busy=false] tbody tr").length === k, n);
  return page.locator("table.predictions tbody tr td:nth-child(2)").allInnerTexts();
}
// Waits until the log shows exactly these request ids, in this order.
async function expectIds(page, ids) {
  await page.waitForFunction((want) => [...document.querySelectorAll("table.predictions[aria-busy=false] tbody tr td:nth-child(2)")]
    .map((td) => td.textContent).join(",") === want, ids.join(","));
}

test("predictions: the request log, filtered by target, label and status, paged with tokens", async (t) => {
  await withPage(browser, t, async (page) => {
    await open(page);
    const all = await answer("api/2.0/ferry/predictions/search", { deployment: "plog", max_results: 1000 });
    assert.ok(all.predictions.length >= GOOD, `${all.predictions.length} rows logged`);
    const first = (await answer("api/2.0/ferry/predictions/search", { deployment: "plog", max_results: 50 })).predictions;
    await expectIds(page, first.map((r) => r.request_id));
    // a row's cells: the target, status, prediction and label as the test saw them
    const s = sent.find((x) => x.request_id === first[0].request_id);
    const cells = await logRows(page).first().locator("td").allInnerTexts();
    assert.equal(cells[2], s.model);
    assert.equal(cells[3], "200");
    assert.equal(cells[5], String(s.prediction));
    assert.equal(cells[6], labelOf(s.request_id) === undefined ? "–" : String(labelOf(s.request_id)));

    // by target
    await page.getByLabel("Target", { exact: true }).selectOption({ label: "plog/2" });
    const two = sent.filter((x) => x.model === "plog/2" && x.status === 200).length;
    const want2 = (await answer("api/2.0/ferry/predictions/search", { deployment: "plog", model: "plog/2", max_results: 50 })).predictions;
    assert.ok(want2.length >= Math.min(two, 50));
    await expectIds(page, want2.map((r) => r.request_id));
    assert.deepEqual([...new Set(await page.locator("table.predictions tbody tr td:nth-child(3)").allInnerTexts())], ["plog/2"]);
    // labeled only, of that target: the labels this test posted (the relabeled row's second)
    await page.getByLabel("Label", { exact: true }).selectOption("true");
    const lab2 = [...labels.keys()].filter((id) => sent.find((x) => x.request_id === id).model === "plog/2");
    const ids = await shownIds(page, lab2.length);
    assert.deepEqual(new Set(ids), new Set(lab2));
    const shownLabels = await page.locator("table.predictions tbody tr td:nth-child(7)").allInnerTexts();
    ids.forEach((id, i) => assert.equal(shownLabels[i], String(labelOf(id))));
    // unlabeled, any target
    await page.getByLabel("Target", { exact: true }).selectOption("");
    await page.getByLabel("Label", { exact: true }).selectOption("false");
    const unl = (await answer("api/2.0/ferry/predictions/search", { deployment: "plog", labeled: "false", max_results: 50 })).predictions;
    await expectIds(page, unl.map((r) => r.request_id));
    assert.ok(unl.every((r) => !labels.has(r.request_id)));
    // failed requests: the ones refused for a missing column, if the log keeps them
    await page.getByLabel("Label", { exact: true }).selectOption("");
    await page.getByLabel("Status", { exact: true }).selectOption("failed");
    const failed = (await answer("api/2.0/ferry/predictions/search", { deployment: "plog", status: "failed", max_results: 50 })).predictions;
    assert.equal(failed.length, BAD);
    assert.deepEqual(new Set(await shownIds(page, BAD)), new Set(sent.filter((x) => x.status !== 200).map((x) => x.request_id)));
    assert.deepEqual(await page.locator("table.predictions tbody tr td:nth-child(4)").allInnerTexts(), ["400", "400", "400"]);
    assert.deepEqual(await page.locator("table.predictions tbody tr td:nth-child(6)").allInnerTexts(), ["", "", ""]);
    await page.getByLabel("Status", { exact: true }).selectOption("ok");
    await shownIds(page, 50);

    // pages of 25: the server's tokens, forward and back
    await page.getByLabel("Status", { exact: true }).selectOption("");
    await page.getByLabel("Rows per page").selectOption("25");
    const p1 = await answer("api/2.0/ferry/predictions/search", { deployment: "plog", max_results: 25 });
    const p2 = await answer("api/2.0/ferry/predictions/search", { deployment: "plog", max_results: 25, page_token: p1.next_page_token });
    await expectIds(page, p1.predictions.map((r) => r.request_id));
    await page.getByRole("button", { name: "Next →" }).click();
    await page.getByText("Page 2 · rows 26–50").waitFor();
    await expectIds(page, p2.predictions.map((r) => r.request_id));
    await page.getByRole("button", { name: "Next →" }).click();
    await page.getByText("Page 3 · rows 51–75").waitFor();
    await page.getByRole("button", { name: "← Previous" }).click();
    await page.getByText("Page 2 · rows 26–50").waitFor();
    await expectIds(page, p2.predictions.map((r) => r.request_id));
    await page.getByRole("button", { name: "← Previous" }).click();
    await expectIds(page, p1.predictions.map((r) => r.request_id));
    assert.equal(await page.getByRole("button", { name: "← Previous" }).isDisabled(), true);
  });
});

test("predictions: a row's detail shows its inputs, prediction, probabilities, label and the label's history", async (t) => {
  const twice = [...labels.entries()].find(([, l]) => l.length === 2)[0];
  const s = sent.find((x) => x.request_id === twice);
  const got = await answer("api/2.0/ferry/predictions/get", { deployment: "plog", request_id: twice });
  await withPage(browser, t, async (page) => {
    await open(page);
    await page.getByLabel("Label", { exact: true }).selectOption("true");
    await page.getByRole("button", { name: "Request " + twice }).click();
    const detail = page.getByRole("region", { name: "Request detail" });
    await detail.locator("table.inputs").waitFor();
    // inputs by column, as sent
    const inputs = await detail.locator("table.inputs tr").allInnerTexts();
    assert.deepEqual(inputs, COLS.map((c) => `${c}\t${s.inputs[c]}`));
    const out = await detail.locator("table.outputs tr").allInnerTexts();
    assert.equal(out[0], `Prediction\t${s.prediction}`);
    const probs = Object.entries(got.prediction.probabilities || {});
    assert.equal(out.length, 1 + probs.length);
    probs.forEach(([c, p], i) => assert.equal(out[1 + i].trim(), `P(${c})\t${p.toFixed(4)}`));
    // the label now, and both labels in its history, the second replacing the first
    const [l1, l2] = labels.get(twice);
    assert.equal(await detail.locator("p.label strong").innerText(), String(l2));
    const hist = detail.locator("table.label-history tbody tr");
    assert.equal(await hist.count(), 2);
    assert.deepEqual((await hist.nth(0).locator("td").allInnerTexts()).slice(1, 3), [String(l1), "–"]);
    assert.deepEqual((await hist.nth(1).locator("td").allInnerTexts()).slice(1, 3), [String(l2), String(l1)]);
    assert.equal(got.label_history.length, 2);
    // closed again
    await detail.getByRole("button", { name: "Close the detail" }).click();
    await detail.waitFor({ state: "detached" });
  });
});

// Accuracy per target from what the test sent, got back and labeled.
function accuracyOf(model) {
  const lab = sent.filter((s) => s.model === model && s.status === 200 && labels.has(s.request_id));
  return { n: lab.length, acc: lab.filter((s) => String(s.prediction) === String(labelOf(s.request_id))).length / lab.length };
}

test("predictions: quality over time per target version, and the A/B panel with intervals and a plain sentence", async (t) => {
  const perf = await answer(D + "performance", { name: "plog", start_time: Date.now() - 24 * 3600e3, end_time: Date.now() + 60000, bucket: "1h" });
  const by = Object.fromEntries(perf.targets.map((x) => [x.model, x]));
  const a1 = accuracyOf("plog/1"), a2 = accuracyOf("plog/2");
  assert.ok(Math.abs(by["plog/1"].metrics.accuracy - a1.acc) < 1e-9 && Math.abs(by["plog/2"].metrics.accuracy - a2.acc) < 1e-9);
  await withPage(browser, t, async (page) => {
    await open(page);
    // the summary: rows, labeled and accuracy per target
    const sum = page.locator("table.perf-summary tbody tr");
    await sum.nth(1).waitFor();
    const heads = await page.locator("table.perf-summary thead th").allInnerTexts();
    const col = heads.indexOf("accuracy");
    assert.ok(col > 0, heads.join(","));
    for (const [i, m] of [[0, "plog/1"], [1, "plog/2"]]) {
      const cells = await sum.nth(i).locator("td").allInnerTexts();
      assert.equal(cells[0], m);
      assert.equal(cells[1], String(by[m].count));
      assert.equal(cells[2], String(accuracyOf(m).n));
      assert.equal(cells[col], accuracyOf(m).acc.toFixed(4));
    }
    // the chart: a uPlot canvas with one series per target; its numbers by bucket
    const chart = page.getByTestId("quality-chart");
    await chart.locator("canvas").waitFor();
    assert.deepEqual(await page.locator(".quality-chart .u-legend th").allInnerTexts().then((l) => l.map((x) => x.trim()).filter(Boolean)),
      ["time", "plog/1", "plog/2"]);
    assert.equal(await page.getByLabel("Metric", { exact: true }).inputValue(), "accuracy");
    await page.getByText("The numbers").click();
    const bucketRows = page.locator("table.quality-data tbody tr");
    const nb = await bucketRows.count();
    assert.equal(nb, new Set(perf.targets.flatMap((x) => x.buckets.map((b) => b.start_time))).size);
    const last = await bucketRows.nth(nb - 1).locator("td").allInnerTexts();
    // the newest bucket's row (a target without rows in it shows "–")
    const newest = Math.max(...perf.targets.flatMap((x) => x.buckets.map((b) => b.start_time)));
    const lastB = (m) => by[m].buckets.find((b) => b.start_time === newest);
    const cell = (m, f) => (lastB(m) ? f(lastB(m)) : "–");
    assert.deepEqual(last.slice(1), ["plog/1", "plog/2"].map((m) => cell(m, (b) => b.metrics.accuracy.toFixed(4))));
    // the request count, and the metrics a classifier has (no regression ones)
    const options = await page.getByLabel("Metric", { exact: true }).locator("option").allInnerTexts();
    assert.ok(options.includes("requests") && options.includes("error rate") && !options.includes("RMSE"), options.join(","));
    await page.getByLabel("Metric", { exact: true }).selectOption("requests");
    await page.waitForFunction((want) => {
      const r = [...document.querySelectorAll("table.quality-data tbody tr")].at(-1);
      return r && [...r.querySelectorAll("td")].slice(1).map((td) => td.textContent).join(",") === want;
    }, ["plog/1", "plog/2"].map((m) => cell(m, (b) => String(b.figures?.requests ?? b.count))).join(","));

    // the A/B panel: plog/2 against plog/1
    const t2 = perf.ab.find((x) => x.model === "plog/2");
    assert.equal(t2.baseline, "plog/1");
    const ab = t2.accuracy;
    assert.ok(Math.abs(ab.delta - (a2.acc - a1.acc)) < 1e-9);
    assert.equal(ab.n, a2.n);
    assert.equal(ab.baseline_n, a1.n);
    const rows = page.locator("table.ab-table tbody tr");
    await rows.nth(1).waitFor();
    const base = await rows.nth(0).locator("td").allInnerTexts();
    assert.equal(base[0], "plog/1 (baseline)");
    assert.equal(base[1], a1.acc.toFixed(4));
    assert.equal(base[2], `${ab.baseline_interval[0].toFixed(4)} to ${ab.baseline_interval[1].toFixed(4)}`);
    assert.equal(base[3], String(a1.n));
    const cand = await rows.nth(1).locator("td").allInnerTexts();
    const f4 = (v) => v.toFixed(4);
    assert.deepEqual(cand.slice(0, 7), ["plog/2", f4(a2.acc), `${f4(ab.interval[0])} to ${f4(ab.interval[1])}`, String(a2.n),
      (ab.delta > 0 ? "+" : "") + f4(ab.delta), `${f4(ab.delta_interval[0])} to ${f4(ab.delta_interval[1])}`,
      ab.p_value < 0.001 ? "< 0.001" : String(Number(ab.p_value.toFixed(3)))]);
    assert.equal(cand[7], "two-proportion z-test");
    assert.ok(ab.interval[0] <= a2.acc && a2.acc <= ab.interval[1]);
    assert.ok(ab.delta_interval[0] <= ab.delta && ab.delta <= ab.delta_interval[1]);
    // "v2 is 12.3 points less accurate than v1 (95% CI -25.0 to -1.0), p = 0.04"
    const pts = (v) => (100 * v).toFixed(1);
    const p = ab.p_value < 0.001 ? "p < 0.001" : "p = " + Number(ab.p_value.toFixed(3));
    // the seeded rows can give both versions the same accuracy: the sentence says so
    const how = ab.delta === 0 ? "as accurate as v1"
      : `${pts(Math.abs(ab.delta))} points ${ab.delta < 0 ? "less" : "more"} accurate than v1`;
    const want = `v2 is ${how} ` +
      `(95% CI ${pts(ab.delta_interval[0])} to ${pts(ab.delta_interval[1])}), ${p}${ab.p_value >= 0.05 ? "; not a significant difference at the 5% level." : "."}`;
    assert.equal(await page.locator("ul.ab-sentences li").first().innerText(), want);

    // F1's intervals come from a bootstrap over the rows: only when the figures are exact
    await page.getByLabel("A/B metric").selectOption("f1");
    await page.getByText("the bootstrap interval needs the rows: ask exact=true").waitFor();
    await page.getByLabel("exact").check();
    const ex = await answer(D + "performance", { name: "plog", start_time: Date.now() - 24 * 3600e3, end_time: Date.now() + 60000, bucket: "1h", exact: "true" });
    const f1 = ex.ab.find((x) => x.model === "plog/2").f1;
    assert.ok(f1.interval && f1.baseline_interval, JSON.stringify(f1));
    const f1row = rows.nth(1);
    await f1row.getByText("bootstrap (1000 resamples)").waitFor();
    const fc = await f1row.locator("td").allInnerTexts();
    assert.deepEqual(fc.slice(0, 3), ["plog/2", f4(f1.value), `${f4(f1.interval[0])} to ${f4(f1.interval[1])}`]);
    assert.equal((await rows.nth(0).locator("td").allInnerTexts())[2], `${f4(f1.baseline_interval[0])} to ${f4(f1.baseline_interval[1])}`);
    const f3 = (v) => v.toFixed(3);
    assert.equal(await page.locator("ul.ab-sentences li").first().innerText(),
      `v2's F1 is ${pts(Math.abs(f1.delta))} point${pts(Math.abs(f1.delta)) === "1.0" ? "" : "s"} ${f1.delta < 0 ? "lower" : "higher"} than v1's, ` +
      `which is ${f1.delta < 0 ? "worse" : "better"} (95% intervals: v2 ${f3(f1.interval[0])} to ${f3(f1.interval[1])}, ` +
      `v1 ${f3(f1.baseline_interval[0])} to ${f3(f1.baseline_interval[1])}).`);
  });
});

test("predictions: a regressor's deployment: empty panels first, then RMSE, MAE and R² over time and a Welch test on the errors", async (t) => {
  await api(srv.url, "registered-models/create", { name: "preg" });
  await register("preg", xgbModel(300, "reg"));
  await register("preg", xgbModel(60, "reg"));
  await api(srv.url, D + "apply", { spec: { name: "preg", targets: [{ model: "models:/preg/1", weight: 50 }, { model: "models:/preg/2", weight: 50 }] } });
  await withPage(browser, t, async (page) => {
    // nothing logged yet: each panel says so
    await page.goto(srv.url + "#/deployments/preg");
    await page.getByText("No logged requests yet.", { exact: false }).waitFor();
    await page.getByText("Nothing logged in this range.").waitFor();
    await page.locator("section.ab").getByText("Nothing to compare in this range yet", { exact: false }).waitFor();
  });
  await until("the gateway to load preg", async () => {
    const e = ((await (await fetch(gw.base + "endpoints")).json()).endpoints || []).find((x) => x.name === "preg");
    return e && e.targets.every((x) => x.loaded);
  }, 60000);
  // labels: the prediction off by a known error, three times larger for v2
  const got = [];
  for (let i = 0; i < 40; i++) {
    const r = await invoke(COLS.map((_, k) => ((i * 37 + k * 11) % 100) / 100), COLS, "preg");
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const err = ((i % 5) - 2) * 0.1 * (r.model === "preg/2" ? 3 : 1) + 0.05;
    got.push({ id: r.id, model: r.model, pred: r.body.predictions[0], label: r.body.predictions[0] + err });
  }
  await until("the regressor's requests logged", async () =>
    (await answer("api/2.0/ferry/predictions/search", { deployment: "preg", max_results: 1000 })).predictions.length >= got.length);
  const fb = await api(srv.url, "api/2.0/ferry/feedback/log", { deployment: "preg", labels: got.map((g) => ({ request_id: g.id, label: g.label })) });
  assert.equal(fb.accepted, got.length);
  const mae = (m) => { const g = got.filter((x) => x.model === m); return g.reduce((a, x) => a + Math.abs(x.label - x.pred), 0) / g.length; };
  const perf = await answer(D + "performance", { name: "preg", start_time: Date.now() - 24 * 3600e3, end_time: Date.now() + 60000, bucket: "1h" });
  const by = Object.fromEntries(perf.targets.map((x) => [x.model, x]));
  for (const m of ["preg/1", "preg/2"]) assert.ok(Math.abs(by[m].metrics.mae - mae(m)) < 1e-6, `${m}: ${by[m].metrics.mae} vs ${mae(m)}`);
  const ab = perf.ab.find((x) => x.model === "preg/2").mae;
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/deployments/preg");
    const heads = page.locator("table.perf-summary thead th");
    await heads.first().waitFor();
    const h = await heads.allInnerTexts();
    assert.deepEqual(h.slice(4), ["RMSE", "MAE", "R²"]);
    for (const [i, m] of [[0, "preg/1"], [1, "preg/2"]]) {
      const cells = await page.locator("table.perf-summary tbody tr").nth(i).locator("td").allInnerTexts();
      assert.deepEqual(cells.slice(4), ["rmse", "mae", "r2"].map((k) => by[m].metrics[k].toFixed(4)));
    }
    // a regressor's metrics to chart, no classifier's
    const options = await page.getByLabel("Metric", { exact: true }).locator("option").allInnerTexts();
    assert.deepEqual(options, ["RMSE", "MAE", "R²", "requests", "error rate"]);
    await page.getByLabel("Metric", { exact: true }).selectOption("mae");
    await page.getByText("The numbers").click();
    const last = page.locator("table.quality-data tbody tr").last();
    await page.waitForFunction((want) => [...document.querySelectorAll("table.quality-data tbody tr")].at(-1)?.innerText.split("\t").slice(1).join(",") === want,
      ["preg/1", "preg/2"].map((m) => {
        const newest = Math.max(...perf.targets.flatMap((x) => x.buckets.map((b) => b.start_time)));
        const b = by[m].buckets.find((x) => x.start_time === newest);
        return b ? b.metrics.mae.toFixed(4) : "–";
      }).join(","));
    assert.ok(await last.isVisible());
    // A/B: MAE by Welch's t-test on the absolute errors
    assert.equal(await page.getByLabel("A/B metric").inputValue(), "mae");
    const cand = await page.locator("table.ab-table tbody tr").nth(1).locator("td").allInnerTexts();
    const f4 = (v) => v.toFixed(4), f3 = (v) => v.toFixed(3);
    assert.deepEqual(cand, ["preg/2", f4(ab.value), `${f4(ab.interval[0])} to ${f4(ab.interval[1])}`, String(ab.n),
      (ab.delta > 0 ? "+" : "") + f4(ab.delta), `${f4(ab.delta_interval[0])} to ${f4(ab.delta_interval[1])}`,
      ab.p_value < 0.001 ? "< 0.001" : String(Number(ab.p_value.toFixed(3))), "Welch's t-test"]);
    assert.ok(ab.delta > 0);
    const p = ab.p_value < 0.001 ? "p < 0.001" : "p = " + Number(ab.p_value.toFixed(3));
    assert.equal(await page.locator("ul.ab-sentences li").first().innerText(),
      `v2's MAE is ${f3(ab.delta)} higher than v1's, which is worse (95% CI ${f3(ab.delta_interval[0])} to ${f3(ab.delta_interval[1])}), ` +
      `${p}${ab.p_value >= 0.05 ? "; not a significant difference at the 5% level." : "."}`);
  });
});
