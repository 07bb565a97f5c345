// SPDX-License-Identifier: MIT
// The chart view across runs (#/experiments/<id>/charts) in Debian's
// headless Chromium against a real `ferry server` seeded over REST: 12 runs
// with three metrics and a param "lr" of three values. One chart per metric,
// one line per run, grouping by lr, smoothing and log scale changing what
// is drawn (read from window.ferryCharts, the page's documented hook), the
// CSV export holding the seeded values, the PNG export an image, the
// metric choice remembered, the scatter of a final metric against lr and
// the parallel coordinates, a spike in a long history kept by the
// downsampling, and no console error. Also prints (does not assert) how
// long 50 runs x 10,000 steps take to draw.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { api, launch, startServer, withPage } from "../support/server.mjs";
import { alignRuns, ema, fillGaps, groupStats, toCSV } from "../src/chart_math.js";
import { groupRuns } from "../src/runs_groups.js";
import { placeAxis } from "../src/charts_scatter.js";

const RUNS = 12, STEPS = 300, LRS = ["0.1", "0.01", "0.001"];
const T0 = 1700000000000;
const loss = (i, s) => 1 / (s + 1) + i / 100;
const delta = (i, s) => Math.round(Math.sin(s / 10 + i) * 1000) / 1000; // negative half the time
const accuracy = (i, s) => Math.round((0.5 + (0.4 * s) / STEPS + i / 1000) * 1e6) / 1e6;

let srv, browser, exp;
const names = []; // newest first, as the page orders them
before(async () => {
  srv = await startServer();
  browser = await launch();
  exp = (await api(srv.url, "experiments/create", { name: "chart-me" })).experiment_id;
  await Promise.all(Array.from({ length: RUNS }, async (_, i) => {
    const run = (await api(srv.url, "runs/create", { experiment_id: exp, run_name: `run-${i}`, start_time: T0 + i * 60000 })).run;
    const metrics = [];
    for (let s = 0; s < STEPS; s++) {
      const ts = T0 + i * 60000 + s * 100;
      metrics.push({ key: "loss", value: loss(i, s), timestamp: ts, step: s },
        { key: "delta", value: delta(i, s), timestamp: ts, step: s },
        { key: "accuracy", value: accuracy(i, s), timestamp: ts, step: s });
    }
    // log-batch takes at most 1000 metrics a call
    for (let k = 0; k < metrics.length; k += 900)
      await api(srv.url, "runs/log-batch", { run_id: run.info.run_id, metrics: metrics.slice(k, k + 900),
        params: k ? [] : [{ key: "lr", value: LRS[i % 3] }] });
  }));
  for (let i = RUNS - 1; i >= 0; i--) names.push(`run-${i}`);
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const chartsUrl = (q = "") => srv.url + `#/experiments/${exp}/charts${q}`;
const waitCharts = (page, n) => page.waitForFunction((n) =>
  document.querySelectorAll("figure.run-chart").length === n && window.ferryCharts && Object.keys(window.ferryCharts).length === n, n);
// what a chart draws: its series' labels (bands left out) and data
const drawn = (page, key) => page.evaluate((key) => {
  const u = window.ferryCharts[key];
  return { labels: u.series.slice(1).filter((s) => !s._band).map((s) => s.label), data: u.data.map((c) => Array.from(c)),
    distr: u.scales.y.distr, bands: (u.bands || []).length };
}, key);
async function exported(page, key, kind) {
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: `${key}: export ${kind}` }).click()]);
  return { name: dl.suggestedFilename(), bytes: readFileSync(await dl.path()) };
}
const parseCSV = (text) => text.trim().split("\n").map((l) => l.split(","));

// points as the columns get-histories-downsampled answers
const cols = (pts) => ({ steps: pts.map((p) => p.step), timestamps: pts.map((p) => p.timestamp), values: pts.map((p) => p.value) });

test("chart math: alignment, smoothing, groups and CSV", () => {
  const m = new Map([["a", cols([{ step: 2, timestamp: 3000, value: 5 }, { step: 0, timestamp: 1000, value: 1 }])],
    ["b", cols([{ step: 1, timestamp: 9000, value: 7 }])]]);
  assert.deepEqual(alignRuns(m, ["a", "b"], "step"), [[0, 1, 2], [1, null, 5], [null, 7, null]]);
  assert.deepEqual(alignRuns(m, ["a", "b"], "relative"), [[0, 2], [1, 5], [7, null]]);
  // more xs than slots: two buckets shared by both runs, each run's low and
  // high of a bucket in x order, the spike kept, xs the points' own
  const sp = new Map([["a", cols([0, 2, 4, 6, 8].map((s) => ({ step: s, timestamp: s, value: s === 6 ? 100 : 1 })))],
    ["b", cols([1, 3, 5, 7, 9].map((s) => ({ step: s, timestamp: s, value: 2 })))]]);
  assert.deepEqual(alignRuns(sp, ["a", "b"], "step", 4), [[0, 1, 5, 8], [1, 1, 100, 1], [2, 2, 2, 2]]);
  assert.equal(alignRuns(sp, ["a", "b"], "step", 10)[0].length, 10); // few enough: as they are
  // one step logged twice: the later time kept; by time, a resumed run's
  // points in time order; MLflow's "NaN" strings as NaN; a run with nothing
  const twice = new Map([["a", cols([{ step: 0, timestamp: 5, value: 1 }, { step: 0, timestamp: 9, value: 2 }, { step: 1, timestamp: 7, value: "NaN" }])],
    ["b", cols([])]]);
  assert.deepEqual(alignRuns(twice, ["a", "b"], "step"), [[0, 1], [2, NaN], [null, null]]);
  assert.deepEqual(alignRuns(twice, ["a", "b"], "time"), [[0.005, 0.007, 0.009], [1, NaN, 2], [null, null, null]]);
  assert.deepEqual(ema([1, null, 3], 0), [1, null, 3]);
  const e = ema([1, 3], 0.5); // debiased: the first value stays, then (0.25 + 0.75... )
  assert.equal(e[0], 1);
  assert.ok(Math.abs(e[1] - (0.5 * 0.5 + 0.5 * 3) / 0.75) < 1e-12);
  const runs = [["x", "2"], ["y", "10"], ["z", "2"]].map(([id, v]) => ({ info: { run_id: id }, data: { params: [{ key: "n", value: v }] } }));
  // the runs table's grouping, which the chart view shares: by value
  // (numbers by number), a run without the param in "(none)", last
  const grouped = (rs) => groupRuns(rs, "params.n").map((g) => ({ value: g.value, label: g.label, runIds: g.runs.map((r) => r.info.run_id) }));
  assert.deepEqual(grouped(runs), [{ value: "2", label: "2", runIds: ["x", "z"] }, { value: "10", label: "10", runIds: ["y"] }]);
  const none = { info: { run_id: "w" }, data: { params: [{ key: "other", value: "1" }] } };
  assert.deepEqual(grouped([none, ...runs]).map((g) => [g.label, g.runIds]), [["2", ["x", "z"]], ["10", ["y"]], ["(none)", ["w"]]]);
  assert.deepEqual(fillGaps([0, 1, 3, 4, 5], [null, 2, null, 8, null]), [null, 2, 6, 8, null]);
  assert.deepEqual(groupStats([[1, null, 3], [3, null, 5]]), { mean: [2, null, 4], min: [1, null, 3], max: [3, null, 5] });
  assert.deepEqual(placeAxis(["10", "1000", "100"], true).at, [0, 1, 0.5]);
  assert.deepEqual(placeAxis(["b", "a"], true).at, [1, 0]);
  assert.equal(placeAxis(["1", "50"], "auto").log, false); // less than two decades: linear
  assert.equal(placeAxis(["0.001", "0.1"], "auto").log, true);
  assert.equal(toCSV(["step", 'a,"b"'], [[0, 1], [0.5, null]]), 'step,"a,""b"""\n0,0.5\n1,\n');
});

test("charts: a chart per metric, a line per run, hover, choice remembered", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(chartsUrl());
    await waitCharts(page, 3);
    const metrics = await page.locator("figure.run-chart").evaluateAll((fs) => fs.map((f) => f.dataset.metric));
    assert.deepEqual(metrics, ["accuracy", "delta", "loss"]);
    const l = await drawn(page, "loss");
    assert.deepEqual(l.labels, names); // every run, newest first
    assert.equal(l.data[0].length, STEPS);
    assert.equal(await page.getByRole("list", { name: "Legend" }).getByRole("listitem").count(), RUNS);
    // the colours are the runs' own: run-3's line is run-3's legend swatch on every chart
    const colors = await page.evaluate(() => ["loss", "delta"].map((k) => window.ferryCharts[k].series.find((s) => s.label === "run-3").stroke()));
    assert.equal(colors[0], colors[1]);

    // a run's legend entry, hovered, brings out its line on every chart
    await page.getByRole("list", { name: "Legend" }).getByText("run-3", { exact: true }).hover();
    const alphas = () => page.evaluate(() => ["loss", "delta"].map((k) =>
      window.ferryCharts[k].series.slice(1).map((s) => `${s.label}:${s.alpha}`).filter((x) => !x.endsWith(":0.2"))));
    await page.waitForFunction(() => window.ferryCharts.loss.series.filter((s) => s.alpha === 0.2).length === 11);
    assert.deepEqual(await alphas(), [["run-3:1"], ["run-3:1"]]);
    await page.mouse.move(0, 0);
    await page.waitForFunction(() => window.ferryCharts.loss.series.every((s) => s.alpha === 1));

    // hover: every run's value at the step under the cursor, by name
    const over = page.locator('figure[data-metric="loss"] .u-over');
    const box = await over.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const tip = page.locator('figure[data-metric="loss"] .chart-tip');
    await tip.waitFor();
    assert.equal(await tip.locator("li").count(), RUNS);
    const stepText = await tip.locator(".at").textContent();
    const s = Number(stepText.replace("step ", ""));
    assert.ok(Number.isInteger(s) && s > 0 && s < STEPS, stepText);
    assert.ok((await tip.textContent()).includes(`run-11 ${String(Number(loss(11, s).toPrecision(6)))}`), await tip.textContent());
    // the other charts follow to the same step, without a readout of their own
    const idx = await page.evaluate(() => ["loss", "accuracy", "delta"].map((k) => window.ferryCharts[k].cursor.idx));
    assert.deepEqual(idx, [s, s, s]);
    assert.ok(await page.locator('figure[data-metric="accuracy"] .chart-tip').isHidden());

    // the user picks the metrics and their order; the choice outlives a reload
    await page.getByText(/^Metrics \(3 of 3\)/).click();
    await page.getByRole("checkbox", { name: "delta" }).uncheck();
    await page.getByRole("button", { name: "Move loss up" }).click();
    await waitCharts(page, 2);
    await page.keyboard.press("Escape"); // the menu closes
    await page.getByRole("checkbox", { name: "loss" }).waitFor({ state: "hidden" });
    const order = () => page.locator("figure.run-chart").evaluateAll((fs) => fs.map((f) => f.dataset.metric));
    assert.deepEqual(await order(), ["loss", "accuracy"]);
    await page.reload();
    await waitCharts(page, 2);
    assert.deepEqual(await order(), ["loss", "accuracy"]);
    await page.evaluate(() => localStorage.clear());

    // how many runs: the newest ones
    await page.getByLabel("Runs to chart").selectOption("10");
    await page.waitForFunction(() => window.ferryCharts?.loss?.series.length === 11);
    assert.deepEqual((await drawn(page, "loss")).labels, names.slice(0, 10));
    assert.ok(page.url().includes("max=10"), page.url());
    assert.equal(await page.locator(".chart-controls .count").textContent(), "10 runs, the newest");

    // the filter comes from the URL
    await page.goto(chartsUrl("?filter=" + encodeURIComponent("params.lr = '0.01'")));
    await page.waitForFunction(() => window.ferryCharts?.loss?.series.length === 5);
    assert.deepEqual((await drawn(page, "loss")).labels, names.filter((n) => Number(n.slice(4)) % 3 === 1));
    assert.equal(await page.getByLabel("Filter runs").inputValue(), "params.lr = '0.01'");
  });
});

test("charts: smoothing, log scale, x axis, grouping and exports", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(chartsUrl());
    await waitCharts(page, 3);
    const idx = names.indexOf("run-4") + 1;

    // CSV: step, then one column per run, the seeded values
    const csv = await exported(page, "loss", "CSV");
    assert.equal(csv.name, "loss.csv");
    const rows = parseCSV(csv.bytes.toString());
    assert.deepEqual(rows[0], ["step", ...names]);
    assert.equal(rows.length, STEPS + 1);
    for (const s of [0, 1, 150, STEPS - 1])
      names.forEach((n, k) => assert.equal(Number(rows[s + 1][k + 1]), loss(Number(n.slice(4)), s), `${n} at step ${s}`));

    // smoothing changes every line; the drawn line is the EMA of the seeded one
    const raw = Array.from({ length: STEPS }, (_, s) => loss(4, s));
    await page.getByLabel("Smoothing").fill("0.9");
    await page.waitForFunction(() => window.ferryCharts.loss.data[1][1] !== null &&
      document.querySelector(".chart-controls output").textContent === "0.90");
    await page.waitForFunction((v) => window.ferryCharts.loss.data[1][5] !== v, loss(11, 5));
    const sm = (await drawn(page, "loss")).data[idx];
    const want = ema(raw, 0.9);
    sm.forEach((y, s) => assert.ok(Math.abs(y - want[s]) < 1e-9, `smoothed at ${s}: ${y} vs ${want[s]}`));
    await page.getByLabel("Smoothing").fill("0");
    await page.waitForFunction((v) => window.ferryCharts.loss.data[1][5] === v, loss(11, 5));

    // log scale: a log y axis, and the values it cannot draw (<= 0) become gaps
    assert.equal((await drawn(page, "delta")).distr, 1);
    await page.getByLabel("Log scale").check();
    await page.waitForFunction(() => window.ferryCharts.delta?.scales.y.distr === 3);
    const d = (await drawn(page, "delta")).data[idx];
    for (let s = 0; s < STEPS; s++) assert.equal(d[s], delta(4, s) > 0 ? delta(4, s) : null, `delta at ${s}`);
    assert.equal(await page.locator('figure[data-metric="delta"] figcaption').textContent(), "deltaPNGCSV"); // no "nothing to draw"
    await page.getByLabel("Log scale").uncheck();
    await page.waitForFunction(() => window.ferryCharts.delta?.scales.y.distr === 1);

    // x as the time since each run's start: 0.1 s a step here
    await page.getByLabel("X axis").selectOption("relative");
    await page.waitForFunction(() => window.ferryCharts.loss?.data[0][1] === 0.1);
    assert.equal((await drawn(page, "loss")).data[0].at(-1), (STEPS - 1) / 10);
    await page.getByLabel("X axis").selectOption("step");
    await page.waitForFunction(() => window.ferryCharts.loss?.data[0][1] === 1);

    // grouping by lr: one mean line and one min-max band per value
    await page.getByLabel("Group by").selectOption("params.lr");
    await page.waitForFunction(() => window.ferryCharts.loss?.series.length === 1 + 3 * 3);
    const g = await drawn(page, "loss");
    assert.deepEqual(g.labels, ["lr=0.001", "lr=0.01", "lr=0.1"]);
    assert.equal(g.bands, 3);
    const legend = await page.getByRole("list", { name: "Legend" }).getByRole("listitem").allTextContents();
    assert.deepEqual(legend.map((x) => x.replace(/\s+/g, " ").trim()), ["lr=0.001 (4 runs)", "lr=0.01 (4 runs)", "lr=0.1 (4 runs)"]);
    const members = (v) => [...Array(RUNS).keys()].filter((i) => LRS[i % 3] === v);
    const mean = (v, s) => members(v).reduce((a, i) => a + loss(i, s), 0) / 4;
    const gcsv = parseCSV((await exported(page, "loss", "CSV")).bytes.toString());
    assert.deepEqual(gcsv[0], ["step", "lr=0.001 (mean of 4)", "lr=0.01 (mean of 4)", "lr=0.1 (mean of 4)"]);
    for (const s of [0, 100, STEPS - 1])
      ["0.001", "0.01", "0.1"].forEach((v, k) => assert.ok(Math.abs(Number(gcsv[s + 1][k + 1]) - mean(v, s)) < 1e-12, `${v} at ${s}`));
    // the band spans the group's lowest and highest run
    assert.equal(g.data[1 + 1][0], Math.max(...members("0.001").map((i) => loss(i, 0))));
    assert.equal(g.data[1 + 2][0], Math.min(...members("0.001").map((i) => loss(i, 0))));

    // PNG: an image of the chart
    const png = await exported(page, "loss", "PNG");
    assert.equal(png.name, "loss.png");
    assert.ok(png.bytes.length > 2000, `${png.bytes.length} bytes`);
    assert.equal(png.bytes.subarray(0, 8).toString("hex"), "89504e470d0a1a0a");
  });
});

test("charts: grouped as the runs table groups, numbers by value and a run without the param in (none), last", async (t) => {
  const e = (await api(srv.url, "experiments/create", { name: "group-none" })).experiment_id;
  for (const [i, n] of ["10", "2", null, "2"].entries()) {
    const id = (await api(srv.url, "runs/create", { experiment_id: e, run_name: `g-${i}`, start_time: T0 + i })).run.info.run_id;
    await api(srv.url, "runs/log-batch", { run_id: id, params: n === null ? [{ key: "other", value: "x" }] : [{ key: "n", value: n }],
      metrics: [0, 1].map((s) => ({ key: "loss", value: i + s, timestamp: T0 + s, step: s })) });
  }
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + `#/experiments/${e}/charts`);
    await page.waitForFunction(() => window.ferryCharts?.loss?.series.length === 5);
    await page.getByLabel("Group by").selectOption("params.n");
    await page.waitForFunction(() => window.ferryCharts.loss?.series.length === 1 + 3 * 3);
    const g = await drawn(page, "loss");
    assert.deepEqual(g.labels, ["n=2", "n=10", "n=(none)"]);
    assert.deepEqual(g.data[1 + 3 * 2], [2, 3]); // (none): g-2 alone
    const legend = await page.getByRole("list", { name: "Legend" }).getByRole("listitem").allTextContents();
    assert.deepEqual(legend.map((x) => x.replace(/\s+/g, " ").trim()), ["n=2 (2 runs)", "n=10 (1 run)", "n=(none) (1 run)"]);
    // hovering the (none) entry brings out its line
    await page.getByRole("list", { name: "Legend" }).getByText("n=(none)").hover();
    await page.waitForFunction(() => window.ferryCharts.loss.series[7].alpha === 1 && window.ferryCharts.loss.series[1].alpha === 0.2);
  });
});

test("charts: final metric against a param, parallel coordinates", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(chartsUrl());
    await waitCharts(page, 3);
    await page.getByLabel("Scatter metric").selectOption("loss");
    const svg = page.getByRole("img", { name: "Final loss against lr" });
    await svg.waitFor();
    assert.equal(await svg.locator("circle").count(), RUNS);
    const title = await svg.locator('circle[data-run="run-4"] title').textContent();
    assert.equal(title, `run-4: lr 0.01, loss ${String(Number(loss(4, STEPS - 1).toPrecision(6)))}`);
    const cx = (run) => svg.locator(`circle[data-run="${run}"]`).getAttribute("cx").then(Number);
    // lr 0.001 (run-2), 0.01 (run-1), 0.1 (run-0): linear puts 0.01 near the left, log halfway
    let [a, b, c] = [await cx("run-2"), await cx("run-1"), await cx("run-0")];
    assert.ok(a < b && b < c && b - a < (c - a) / 5, `${a} ${b} ${c}`);
    await page.getByLabel("Log x").check();
    await page.getByRole("img", { name: "Final loss against lr" }).locator("text", { hasText: "lr (log)" }).waitFor();
    [a, b, c] = [await cx("run-2"), await cx("run-1"), await cx("run-0")];
    assert.ok(Math.abs(b - a - (c - b)) < 1, `${a} ${b} ${c}`);

    // parallel coordinates: lr, then the charted metrics' final values, a line per run
    const par = page.getByRole("img", { name: "Parallel coordinates of params and final metrics" });
    assert.deepEqual(await par.locator("text.name").allTextContents(), ["lr (log)", "accuracy", "delta", "loss"]);
    assert.equal(await par.locator("polyline").count(), RUNS);
    const ys = async (run) => (await par.locator(`polyline[data-run="${run}"]`).getAttribute("points")).split(" ").map((p) => Number(p.split(",")[1]));
    const [top, bottom] = [Math.min(...(await ys("run-11"))), Math.max(...(await ys("run-0")))];
    assert.equal((await ys("run-11"))[3], top); // the highest final loss at the top of its axis
    assert.equal((await ys("run-0"))[3], bottom); // the lowest at the bottom
    await page.getByRole("list", { name: "Legend" }).getByText("run-3", { exact: true }).hover();
    await par.locator("polyline.dim").nth(RUNS - 2).waitFor();
    assert.equal(await par.locator('polyline[data-run="run-3"]').getAttribute("class"), "");
  });
});

test("charts: a spike in a long history is drawn, on the run's line and its group's band", async (t) => {
  // 5,000 points near 1 and one of 100 at a step that an even sampling of
  // the steps (MLflow's bulk-interval, 500 of them) passes over
  const S = 5000, SPIKE = 2347;
  const e = (await api(srv.url, "experiments/create", { name: "spiky" })).experiment_id;
  const value = (i, s) => (i === 0 && s === SPIKE ? 100 : 1 + ((s * (i + 3)) % 11) / 1000);
  for (let i = 0; i < 2; i++) {
    const id = (await api(srv.url, "runs/create", { experiment_id: e, run_name: `spiky-${i}`, start_time: T0 + i })).run.info.run_id;
    await api(srv.url, "runs/log-batch", { run_id: id, params: [{ key: "seed", value: "1" }] });
    for (let k = 0; k < S; k += 1000)
      await api(srv.url, "runs/log-batch", { run_id: id,
        metrics: Array.from({ length: 1000 }, (_, x) => ({ key: "loss", value: value(i, k + x), timestamp: T0 + k + x, step: k + x })) });
  }
  await withPage(browser, t, async (page) => {
    const asked = [];
    page.on("request", (r) => r.url().includes("/metrics/") && asked.push(new URL(r.url())));
    await page.goto(srv.url + `#/experiments/${e}/charts`);
    await page.waitForFunction(() => window.ferryCharts?.loss?.series.length === 3);
    const d = await drawn(page, "loss");
    const spiky = d.data[d.labels.indexOf("spiky-0") + 1], calm = d.data[d.labels.indexOf("spiky-1") + 1];
    assert.ok(d.data[0].length < S, `${d.data[0].length} xs: downsampled`);
    assert.equal(Math.max(...spiky.filter((y) => y !== null)), 100);
    assert.ok(Math.abs(d.data[0][spiky.indexOf(100)] - SPIKE) < S / 200, `the spike at x ${d.data[0][spiky.indexOf(100)]}`);
    assert.ok(Math.max(...calm.filter((y) => y !== null)) < 1.02);
    // both runs have a value at every x, so hover lists both
    assert.ok(spiky.every((y) => y !== null) && calm.every((y) => y !== null));
    // one downsampled request for both runs, sized to the chart
    assert.deepEqual(asked.map((u) => u.pathname), ["/api/2.0/ferry/metrics/get-histories-downsampled"]);
    assert.equal(asked[0].searchParams.getAll("run_ids").length, 2);
    const mp = Number(asked[0].searchParams.get("max_points"));
    assert.ok(mp >= 400 && mp <= 4000, `max_points ${mp}`);
    // the group's band reaches the spike
    await page.getByLabel("Group by").selectOption("params.seed");
    await page.waitForFunction(() => window.ferryCharts.loss?.series.length === 4);
    const g = await drawn(page, "loss");
    assert.equal(Math.max(...g.data[2].filter((y) => y !== null)), 100);
  });
});

test("charts: a chart made wider asks its downsampled histories again at the new width", async (t) => {
  const S = 3000;
  const e = (await api(srv.url, "experiments/create", { name: "widen" })).experiment_id;
  const id = (await api(srv.url, "runs/create", { experiment_id: e, run_name: "wide-0", start_time: T0 })).run.info.run_id;
  for (let k = 0; k < S; k += 1000)
    await api(srv.url, "runs/log-batch", { run_id: id,
      metrics: Array.from({ length: 1000 }, (_, x) => ({ key: "loss", value: 1 / (1 + k + x), timestamp: T0 + k + x, step: k + x })) });
  await withPage(browser, t, async (page) => {
    await page.setViewportSize({ width: 500, height: 900 }); // one narrow column of charts
    const asked = [];
    page.on("request", (r) => r.url().includes("/metrics/get-histories-downsampled") &&
      asked.push(Number(new URL(r.url()).searchParams.get("max_points"))));
    await page.goto(srv.url + `#/experiments/${e}/charts`);
    await page.waitForFunction(() => window.ferryCharts?.loss?.series.length === 2);
    assert.equal(asked.length, 1);
    assert.ok(asked[0] < S, `max_points ${asked[0]}: downsampled`);
    const before = await page.evaluate(() => window.ferryCharts.loss.width);
    await page.setViewportSize({ width: 880, height: 900 }); // still one column, much wider
    await page.waitForFunction((n) => window.ferryCharts.loss && window.ferryCharts.loss.width > n * 1.5, before);
    for (let i = 0; i < 100 && asked.length < 2; i++) await page.waitForTimeout(50);
    assert.equal(asked.length, 2, `asked ${asked}`);
    assert.ok(asked[1] > asked[0] * 1.25, `max_points ${asked[0]} then ${asked[1]}`);
    await page.waitForFunction((n) => window.ferryCharts.loss.data[0].length > n, asked[0]);
    // narrower again: the points in hand are enough, nothing asked
    await page.setViewportSize({ width: 500, height: 900 });
    await page.waitForTimeout(700);
    assert.equal(asked.length, 2);
  });
  // a history with every point in hand is not asked again, however wide
  await withPage(browser, t, async (page) => {
    await page.setViewportSize({ width: 500, height: 900 });
    let n = 0;
    page.on("request", (r) => r.url().includes("/metrics/get-histories-downsampled") && n++);
    await page.goto(chartsUrl());
    await waitCharts(page, 3);
    const first = n;
    await page.setViewportSize({ width: 880, height: 900 });
    await page.waitForTimeout(700);
    assert.equal(n, first);
  });
});

test("charts: 50 runs x 10,000 steps (timing printed, not asserted)", async (t) => {
  const N = 50, S = 10000;
  const big = (await api(srv.url, "experiments/create", { name: "big" })).experiment_id;
  const t0 = Date.now();
  const ids = [];
  for (let i = 0; i < N; i++) ids.push((await api(srv.url, "runs/create", { experiment_id: big, run_name: `big-${i}`, start_time: T0 + i })).run.info.run_id);
  // 500 log-batch calls of 1000 points, four at a time; on a machine too
  // busy to seed them in SEED_BUDGET ms the timing is left to the bench
  const SEED_BUDGET = 10000;
  const jobs = [];
  for (const id of ids) for (let k = 0; k < S; k += 1000) jobs.push([id, k]);
  let cut = false;
  const work = async () => {
    for (let j = jobs.shift(); j; j = jobs.shift()) {
      if (Date.now() - t0 > SEED_BUDGET) {
        cut = true;
        return;
      }
      const [id, k] = j;
      const metrics = Array.from({ length: 1000 }, (_, x) => ({ key: "loss", value: Math.sin((k + x) / 300), timestamp: T0 + k + x, step: k + x }));
      await api(srv.url, "runs/log-batch", { run_id: id, metrics });
    }
  };
  await Promise.all([work(), work(), work(), work()]);
  const seeded = Date.now() - t0;
  if (cut) {
    console.log(`# charts: seeding 50 runs x 10,000 steps took over ${SEED_BUDGET} ms here; the draw time is left to the bench`);
    t.skip("seeding too slow on this machine");
    return;
  }
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/experiments/" + big); // the app loaded, then the chart view alone is timed
    await page.locator("table.runs").waitFor();
    const ms = [];
    for (const again of [false, true]) {
      if (again) {
        await page.goto(srv.url + "#/");
        await page.waitForFunction(() => !window.ferryCharts?.loss);
      }
      const t1 = Date.now();
      await page.goto(chartsUrl().replace("/" + exp + "/", "/" + big + "/"));
      await page.waitForFunction(() => window.ferryCharts?.loss?.series.length === 51);
      ms.push(Date.now() - t1);
    }
    const pts = await page.evaluate(() => window.ferryCharts.loss.data.slice(1).reduce((a, c) => a + c.filter((v) => v !== null).length, 0));
    console.log(`# charts: 50 runs x 10,000 steps drawn in ${ms.join(" ms, then ")} ms (${pts} points after server-side downsampling; seeding took ${seeded} ms)`);
    assert.ok(pts >= N * 400 && pts <= N * 5000, `${pts} points`); // downsampled, not all 500,000
  });
});
