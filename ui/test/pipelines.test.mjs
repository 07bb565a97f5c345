// SPDX-License-Identifier: MIT
// The Pipelines and Lineage pages (issue 20) against a real `ferry server`,
// seeded by running a small pipeline with the ferry CLI next to the server
// binary (`ferry pipelines run`, through the server):
//   make ---> count           (make writes a CSV; count reads it)
//   side ---> broken ---> last (broken exits 3 while -P fail=yes)
// plus a step whose input is a dataset version (data:/letters/1). The
// first run fails at broken (last SKIPPED); the second, with fail=no,
// reuses make, count, side and read_letters from the first (CACHED) and
// runs broken and last. A model version is registered from count's run.
// The pages: the empty list, the list of both runs, the first run's DAG
// (columns by depth, edges, states, the SKIPPED step and why), the second's
// CACHED badges naming the first run's steps, a box opening the step's run
// whose artifacts hold logs/output.log, the lineage of a step's output
// (upstream to the step that made its input), of the dataset version
// (downstream, linked from its page) and of the model version (linked from
// the model page). Any other console error or failed request fails it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FERRY, api, launch, startServer, withPage } from "../support/server.mjs";

const LIN = "api/2.0/ferry/lineage/";
let srv, browser, work, project;
const runs = []; // pipeline run ids, oldest first

const SPEC = `name: ui-demo
params:
  fail: {type: string, default: "yes"}
steps:
  make:
    run: printf 'a,b\\n1,2\\n3,4\\n' > {outputs.table}
    outputs: {table: table.csv}
  count:
    run: wc -l < {inputs.t} > {outputs.n}
    inputs: {t: "{steps.make.outputs.table}"}
    outputs: {n: {path: n.txt, type: metrics}}
  side:
    run: echo side > {outputs.o}
    outputs: {o: o.txt}
  broken:
    run: echo broken says {params.fail}; test {params.fail} = no || exit 3
    after: [side]
  last:
    run: echo last
    after: [broken]
  read_letters:
    run: cat {inputs.letters} > {outputs.copy}
    inputs: {letters: "data:/letters/1"}
    outputs: {copy: letters.txt}
`;

// Runs the ferry CLI through the server; bounded (a loaded CI machine is slow).
function ferry(args, wantStatus = 0) {
  const env = { ...process.env, FERRY_TRACKING_URI: srv.url };
  delete env.FERRY_ARTIFACTS_DESTINATION;
  const r = spawnSync(FERRY, args, { env, cwd: work, encoding: "utf8", timeout: 180000 });
  if (r.status !== wantStatus)
    throw new Error(`ferry ${args.join(" ")}: exit ${r.status} (want ${wantStatus})\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function pipelineRuns() {
  const r = await api(srv.url, LIN + "executions/list", null, "GET");
  return (r.executions || []).filter((e) => e.step === "" || e.step === undefined);
}

async function stepRuns(pipelineRunId) {
  const r = await api(srv.url, LIN + "executions/list?pipeline_run_id=" + pipelineRunId, null, "GET");
  return Object.fromEntries((r.executions || []).map((e) => [e.step, e]));
}

before(async () => {
  srv = await startServer();
  work = mkdtempSync(join(tmpdir(), "ferry-ui-pipe-"));
  project = join(work, "project");
  mkdirSync(project);
  writeFileSync(join(project, "pipeline.yaml"), SPEC);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function seed() {
  const letters = join(work, "letters.txt");
  writeFileSync(letters, "a\nb\nc\n");
  ferry(["data", "add", "letters", letters, "-m", "three letters"]);
  ferry(["pipelines", "run", project], 1); // broken fails: exit 1
  runs.push((await pipelineRuns())[0].run_id);
  ferry(["pipelines", "run", project, "-P", "fail=no"]);
  runs.push((await pipelineRuns()).find((e) => e.run_id !== runs[0]).run_id);
  const count = (await stepRuns(runs[0])).count.run_id;
  await api(srv.url, "registered-models/create", { name: "counter" });
  await api(srv.url, "model-versions/create", { name: "counter", source: `runs:/${count}/outputs/n.txt`, run_id: count });
}

const boxes = (page) => page.locator(".dag .step");
const box = (page, name) => page.locator(".dag .step", { has: page.locator(".name", { hasText: new RegExp(`^${name}$`) }) });

test("pipelines: the empty list says how to run one, then both runs are listed", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/pipelines");
    await page.getByRole("heading", { name: "Pipelines" }).waitFor();
    await page.getByText("No pipeline run yet.").waitFor();
    assert.equal(await page.getByRole("link", { name: "Pipelines" }).getAttribute("aria-current"), "page");

    await seed();
    await page.reload();
    const rows = page.locator("table.pipeline-runs tbody tr");
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    const newest = await rows.nth(0).locator("td").allInnerTexts(), oldest = await rows.nth(1).locator("td").allInnerTexts();
    assert.equal(newest[0], "ui-demo");
    assert.equal(newest[1], runs[1].slice(0, 8));
    assert.equal(newest[2], "COMPLETE");
    assert.equal(oldest[2], "FAILED");
  });
});

test("pipelines: a failed run as its DAG: columns by depth, edges, states, the skipped step", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/pipelines");
    await page.getByRole("link", { name: runs[0].slice(0, 8) }).click();
    await page.getByRole("heading", { name: /^ui-demo/ }).waitFor();
    await boxes(page).nth(5).waitFor();
    assert.equal(await boxes(page).count(), 6);
    const x = async (n) => Number((await box(page, n).getAttribute("style")).match(/left:\s*([\d.]+)px/)[1]);
    assert.equal(await x("make"), 0);
    assert.equal(await x("side"), 0);
    assert.equal(await x("read_letters"), 0);
    assert.ok(await x("count") > 0);
    assert.equal(await x("count"), await x("broken"));
    assert.ok(await x("last") > await x("broken"));
    assert.equal(await page.locator("svg.dag-edges > path").count(), 3); // make->count, side->broken, broken->last
    for (const [n, cls] of [["make", "complete"], ["count", "complete"], ["broken", "failed"], ["last", "skipped"]])
      assert.match(await box(page, n).getAttribute("class"), new RegExp(`\\b${cls}\\b`), n);
    assert.match(await box(page, "last").innerText(), /SKIPPED[\s\S]*\(broken failed\)/);
    assert.equal(await box(page, "last").evaluate((e) => e.tagName), "DIV"); // no run to open
    const steps = page.locator("table.steps tbody tr");
    assert.equal(await steps.count(), 6);
    await page.getByText("1 FAILED").waitFor();
    // a step's inputs and outputs: its lineage
    await page.getByRole("link", { name: "Lineage of step make" }).click();
    await page.locator("section.downstream .lnode.artifact", { hasText: "outputs/table.csv" }).first().waitFor();
    await page.locator("section.downstream .lnode.execution", { hasText: /count \(run / }).first().waitFor();
  });
});

test("pipelines: a rerun's CACHED steps name the run they reused; a box opens the step's run and its log", async (t) => {
  const first = await stepRuns(runs[0]);
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/pipelines/" + runs[1]);
    await boxes(page).nth(5).waitFor();
    for (const n of ["make", "count", "side", "read_letters"]) {
      assert.match(await box(page, n).getAttribute("class"), /\bcached\b/, n);
      assert.match(await box(page, n).innerText(), new RegExp("from run " + first[n].run_id.slice(0, 8)), n);
    }
    assert.match(await box(page, "broken").getAttribute("class"), /\bcomplete\b/);
    assert.match(await box(page, "last").getAttribute("class"), /\bcomplete\b/);
    const cachedRow = page.locator("table.steps tbody tr", { hasText: "count" });
    assert.equal(await cachedRow.getByRole("link", { name: first.count.run_id.slice(0, 8) }).count(), 1);

    await box(page, "broken").click();
    await page.getByRole("heading", { name: "broken" }).waitFor();
    await page.getByRole("button", { name: /logs\// }).click();
    await page.getByRole("button", { name: "output.log" }).click();
    await page.locator(".artifact-preview pre", { hasText: "broken says no" }).waitFor();
  });
});

test("lineage: a step's output upstream to the step that made its input; a dataset version downstream", async (t) => {
  const first = await stepRuns(runs[0]);
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/lineage?uri=" + encodeURIComponent(`runs:/${first.count.run_id}/outputs/n.txt`));
    const up = page.locator("section.upstream");
    // the CACHED rerun of count (and of make) output the same artifacts: both are upstream
    await up.locator(".lnode.execution", { hasText: /^.*count \(run [0-9a-f]{8}…, COMPLETE\)/ }).waitFor();
    await up.locator(".lnode.execution", { hasText: /count \(run [0-9a-f]{8}…, CACHED\)/ }).waitFor();
    await up.locator(".lnode.execution", { hasText: /make \(run [0-9a-f]{8}…, COMPLETE\)/ }).waitFor();
    await up.locator(".lnode", { hasText: "table.csv" }).first().waitFor();

    // from the dataset version's page
    await page.goto(srv.url + "#/datasets/letters/versions/1");
    await page.getByRole("link", { name: "lineage", exact: true }).click();
    await page.waitForURL(/#\/lineage\?uri=data%3A%2Fletters%2F1$/);
    const down = page.locator("section.downstream");
    await down.locator(".lnode.execution", { hasText: "read_letters" }).first().waitFor();
    // a node becomes the root
    await down.getByRole("link", { name: /^lineage of runs:\// }).first().click();
    await page.locator("section.upstream .lnode.dataset_version", { hasText: "data:/letters/1" }).waitFor();
  });
});

test("lineage: a model version from the model page, and an unknown URI", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/models/counter");
    await page.getByRole("link", { name: "Lineage of version 1" }).click();
    const up = page.locator("section.upstream");
    await up.locator(".lnode.execution", { hasText: "count" }).first().waitFor();
    await page.goto(srv.url + "#/lineage?uri=" + encodeURIComponent("models:/no-such-model/1"));
    await page.getByRole("alert").filter({ hasText: "RESOURCE_DOES_NOT_EXIST" }).first().waitFor();
  }, ["404"]);
});

test("cli: pipelines show and lineage say what the pages show", () => {
  const shown = JSON.parse(ferry(["pipelines", "show", runs[0], "--json"]));
  assert.equal(shown.pipeline_run.run_id, runs[0]);
  assert.equal(shown.pipeline_run.pipeline, "ui-demo");
  const state = Object.fromEntries(shown.steps.map((s) => [s.name, s.state]));
  assert.deepEqual(state, { make: "COMPLETE", count: "COMPLETE", side: "COMPLETE", broken: "FAILED",
    last: "SKIPPED", read_letters: "COMPLETE" });
  assert.equal(shown.steps.find((s) => s.name === "last").reason, "broken failed");
  const names = shown.steps.map((s) => s.name);
  assert.ok(names.indexOf("make") < names.indexOf("count") && names.indexOf("broken") < names.indexOf("last"));
  const out = shown.steps.find((s) => s.name === "make").outputs;
  assert.equal(out.length, 1);
  assert.equal(out[0].name, "table");
  assert.match(out[0].digest, /^[0-9a-f]{64}$/);
  const again = JSON.parse(ferry(["pipelines", "show", runs[1], "--json"]));
  const make2 = again.steps.find((s) => s.name === "make");
  assert.equal(make2.state, "CACHED");
  assert.equal(make2.cached_from, shown.steps.find((s) => s.name === "make").run_id);
  assert.equal(JSON.parse(ferry(["pipelines", "list", "--json"])).executions.length, 2);

  const count = shown.steps.find((s) => s.name === "count").run_id;
  const tree = ferry(["lineage", `runs:/${count}/outputs/n.txt`]).split("\n");
  assert.equal(tree[0], `runs:/${count}/outputs/n.txt (metrics)`);
  assert.match(tree[1], /^ {2}<- count \(run [0-9a-f]{8}\.\., (COMPLETE|CACHED)\) {2}\[output n\]$/);
  assert.match(tree[2], /^ {4}<- runs:\/[0-9a-f]{32}\/outputs\/table\.csv \(file\) {2}\[input t\]$/);
  assert.match(tree[3], /^ {6}<- make \(run [0-9a-f]{8}\.\., (COMPLETE|CACHED)\) {2}\[output table\]$/);
  const down = ferry(["lineage", "data:/letters/1", "--down", "--depth", "1"]);
  assert.match(down, /^data:\/letters\/1\n {2}-> read_letters \(run [0-9a-f]{8}\.\., (COMPLETE|CACHED)\) {2}\[input letters\]/);
});
