// SPDX-License-Identifier: MIT
// Web UI benchmark (issue 6): one experiment with 100,000 runs (each with 2
// params and 2 metrics) and a run with a 1,000,000-step metric, behind a
// release `ferry server`; headless Chromium (Debian's, via playwright-core)
// measures, median of 5 each:
//   - from navigation to a drawn runs table (its first 100 runs loaded, the
//     rows in view rendered, the default metric and param columns shown)
//   - from clicking the metric to its chart drawn (uPlot's canvas, the
//     downsampled history loaded)
//   - in a second experiment of 50 runs with a 10,000-step metric each,
//     from the link to the chart view (#/experiments/<id>/charts, the app
//     loaded on the runs table) to every chart's uPlot drawn with every
//     run's line; and the same from a fresh page (loading the app counted)
// and the bundle's gzipped size (ui/build.mjs prints it).
//
//   make && node bench/ui_bench.mjs [--runs 100000] [--steps 1000000]
//        [--chart-runs 50] [--chart-steps 10000]
//
// Targets: <= 1 s each; bundle <= 150 KB gzipped.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
process.env.FERRY_BIN ||= join(root, "build/ferry");
const { startServer, api, launch } = await import(join(root, "ui/support/server.mjs"));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg("--runs", 100000), STEPS = arg("--steps", 1000000);
const CHART_RUNS = arg("--chart-runs", 50), CHART_STEPS = arg("--chart-steps", 10000);
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function pool(n, width, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await fn(next++);
  }));
}

const srv = await startServer();
try {
  const t0 = Date.now();
  const exp = (await api(srv.url, "experiments/create", { name: "bench" })).experiment_id;
  let big;
  await pool(RUNS, 32, async (i) => {
    const run = (await api(srv.url, "runs/create", { experiment_id: exp, run_name: `run-${i}`, start_time: 1700000000000 + i })).run;
    if (i === 0) big = run.info.run_id;
    await api(srv.url, "runs/log-batch", {
      run_id: run.info.run_id,
      params: [{ key: "lr", value: String((i % 100) / 1000) }, { key: "depth", value: String(i % 10) }],
      metrics: [{ key: "acc", value: (i % 1000) / 1000, timestamp: 1700000000000, step: 0 },
        { key: "loss", value: 1 / (1 + (i % 977)), timestamp: 1700000000000, step: 0 }],
    });
  });
  await pool(STEPS / 1000, 4, async (b) => {
    const metrics = [];
    for (let s = b * 1000; s < (b + 1) * 1000; s++)
      metrics.push({ key: "long", value: Math.sin(s / 1000) + (s % 100000 === 77 ? 10 : 0), timestamp: 1700000000000 + s, step: s });
    await api(srv.url, "runs/log-batch", { run_id: big, metrics });
  });
  const seeded = (Date.now() - t0) / 1000;

  // the chart view's experiment: each run's curve a little different (its
  // own phase and a spike of its own), 1,000 points a log-batch, 4 at a time
  const t1 = Date.now();
  const cexp = (await api(srv.url, "experiments/create", { name: "bench-charts" })).experiment_id;
  const cruns = [];
  for (let i = 0; i < CHART_RUNS; i++)
    cruns.push((await api(srv.url, "runs/create", { experiment_id: cexp, run_name: `chart-${i}`, start_time: 1700000000000 + i })).run.info.run_id);
  const perRun = Math.ceil(CHART_STEPS / 1000);
  await pool(CHART_RUNS * perRun, 4, async (j) => {
    const i = Math.floor(j / perRun), from = (j % perRun) * 1000, metrics = [];
    for (let s = from; s < Math.min(from + 1000, CHART_STEPS); s++)
      metrics.push({ key: "loss", timestamp: 1700000000000 + s * 100, step: s,
        value: Math.exp(-s / (CHART_STEPS / 3)) + 0.05 * Math.sin(s / 37 + i) + (s === Math.floor(CHART_STEPS / 2) + 13 * i ? 1 : 0) });
    await api(srv.url, "runs/log-batch", { run_id: cruns[i], metrics });
  });
  const chartSeeded = (Date.now() - t1) / 1000;

  const browser = await launch();
  const table = [], chart = [];
  for (let round = 0; round < 5; round++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const start = Date.now();
    await page.goto(`${srv.url}#/experiments/${exp}`);
    // the first page loaded (the table renders the rows in view of it) with
    // its default metric and param columns, then drawn
    await page.locator(".runs-count", { hasText: "100 runs loaded" }).waitFor({ timeout: 60000 });
    await page.locator("table.runs thead th", { hasText: "metrics." }).first().waitFor({ timeout: 60000 });
    await page.locator("table.runs tbody tr").first().waitFor({ timeout: 60000 });
    await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
    table.push(Date.now() - start);
    await page.goto(`${srv.url}#/experiments/${exp}/runs/${big}`);
    await page.getByRole("button", { name: "long", exact: true }).waitFor({ timeout: 60000 });
    await page.locator("[data-testid=chart] canvas").waitFor({ timeout: 60000 }); // the first metric's chart
    const c0 = Date.now();
    await page.getByRole("button", { name: "long", exact: true }).click();
    await page.getByText(`${STEPS.toLocaleString("en-US")} points (min/max downsampled)`).waitFor({ timeout: 60000 });
    await page.locator("[data-testid=chart] canvas").waitFor({ timeout: 60000 });
    await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
    chart.push(Date.now() - c0);
    await page.close();
  }
  const charts = [], chartsCold = [];
  let drawnPoints = 0, requests = 0;
  // every chart (one a metric, so one here) with every run's line, then two frames
  const drawn = async (page) => {
    await page.waitForFunction((n) => {
      const figs = document.querySelectorAll("figure.run-chart");
      const us = Object.values(window.ferryCharts || {});
      return figs.length > 0 && us.length === figs.length && us.every((u) => u.series.length === n + 1 && u.data[0].length > 0);
    }, CHART_RUNS, { timeout: 60000, polling: "raf" });
    await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
  };
  for (let round = 0; round < 5; round++) {
    for (const cold of [false, true]) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      if (!cold) {
        await page.goto(`${srv.url}#/experiments/${cexp}`);
        await page.locator("table.runs tbody tr").nth(CHART_RUNS - 1).waitFor({ timeout: 60000 });
      }
      let asked = 0;
      page.on("request", (r) => r.url().includes("/metrics/") && asked++);
      const start = Date.now();
      await page.goto(`${srv.url}#/experiments/${cexp}/charts`);
      await drawn(page);
      (cold ? chartsCold : charts).push(Date.now() - start);
      drawnPoints = await page.evaluate(() => Object.values(window.ferryCharts).reduce((a, u) =>
        a + u.data.slice(1).reduce((b, c) => b + c.filter((v) => v !== null).length, 0), 0));
      requests = asked;
      await page.close();
    }
  }
  await browser.close();
  const build = execFileSync("node", [join(root, "ui/build.mjs")], { encoding: "utf8" }).trim();
  const gz = Number((build.match(/(\d+) B gzipped in all/) || [])[1]);
  console.log(`machine: ${(await import("node:os")).cpus().length} cpus; ${RUNS} runs, ${STEPS}-step metric (seeded in ${seeded.toFixed(1)} s)`);
  console.log(`runs table, navigation to the first page drawn: median ${median(table)} ms [${table.join(", ")}]  target <= 1000`);
  console.log(`chart of the ${STEPS}-step metric, click to drawn: median ${median(chart)} ms [${chart.join(", ")}]  target <= 1000`);
  console.log(`chart view of ${CHART_RUNS} runs x ${CHART_STEPS} steps (seeded in ${chartSeeded.toFixed(1)} s), link to every line drawn: ` +
    `median ${median(charts)} ms [${charts.join(", ")}]  target <= 1000 (${requests} history requests, ${drawnPoints} points drawn)`);
  console.log(`  the same from a fresh page, loading the app: median ${median(chartsCold)} ms [${chartsCold.join(", ")}]`);
  console.log(`bundle: ${(gz / 1024).toFixed(1)} KB gzipped  target <= 150 KB`);
} finally {
  await srv.stop();
}
