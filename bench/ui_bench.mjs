// SPDX-License-Identifier: MIT
// Web UI benchmark (issue 6): one experiment with 100,000 runs (each with 2
// params and 2 metrics) and a run with a 1,000,000-step metric, behind a
// release `ferry server`; headless Chromium (Debian's, via playwright-core)
// measures, median of 5 each:
//   - from navigation to a rendered runs table (its 100 first rows)
//   - from clicking the metric to its chart drawn (uPlot's canvas, the
//     downsampled history loaded)
// and the bundle's gzipped size (ui/build.mjs prints it).
//
//   make && node bench/ui_bench.mjs [--runs 100000] [--steps 1000000]
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

  const browser = await launch();
  const table = [], chart = [];
  for (let round = 0; round < 5; round++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const start = Date.now();
    await page.goto(`${srv.url}#/experiments/${exp}`);
    await page.locator("table.runs tbody tr").nth(99).waitFor({ timeout: 60000 });
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
  await browser.close();
  const build = execFileSync("node", [join(root, "ui/build.mjs")], { encoding: "utf8" }).trim();
  const gz = Number((build.match(/(\d+) B gzipped in all/) || [])[1]);
  console.log(`machine: ${(await import("node:os")).cpus().length} cpus; ${RUNS} runs, ${STEPS}-step metric (seeded in ${seeded.toFixed(1)} s)`);
  console.log(`runs table, navigation to 100 rows rendered: median ${median(table)} ms [${table.join(", ")}]  target <= 1000`);
  console.log(`chart of the ${STEPS}-step metric, click to drawn: median ${median(chart)} ms [${chart.join(", ")}]  target <= 1000`);
  console.log(`bundle: ${(gz / 1024).toFixed(1)} KB gzipped  target <= 150 KB`);
} finally {
  await srv.stop();
}
