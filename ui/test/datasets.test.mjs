// SPDX-License-Identifier: MIT
// The Datasets pages (issue 19) against a real `ferry server`, seeded with
// `ferry data add` through the server (the CLI next to the server binary):
// "transactions" v1 (a CSV file, a text file, an executable script) and v2
// (the CSV with more rows, a column added and one retyped, the text file
// removed, a new file and an empty directory), alias prod -> v1, a tag on
// v2, and a run that records v2 as its training input (`ferry data log`);
// "images" holds one file and no CSV. The pages: the empty list first,
// then the list (versions, latest, size, aliases), a dataset's versions
// (message, author, size, files, aliases, tags), the comparison picked
// there (files added/removed/changed, CSV rows and columns), a version's
// files (modes, empty directory), its profile (a histogram and top
// categories drawn as SVG with the figures the REST profile row gives),
// the runs that used it (linking to the run page), a version with no CSV,
// and a version that does not exist (the server's error shown). Any other
// console error or failed request fails the test.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FERRY, api, launch, startServer, withPage } from "../support/server.mjs";

const DS = "api/2.0/ferry/datasets/";
let srv, browser, work, runId, expId;

function ferryData(...args) {
  const env = { ...process.env, FERRY_TRACKING_URI: srv.url };
  delete env.FERRY_ARTIFACTS_DESTINATION;
  return execFileSync(FERRY, ["data", ...args], { env, cwd: work, encoding: "utf8" });
}

const csv1 = "id,amount,country,flag\n1,10.5,fr,True\n2,20,de,False\n3,,fr,True\n4,40.25,it,True\n5,50,fr,False\n";
const csv2 = "id,amount,country,flag,score\n1,10.5,fr,True,0.1\n2,20,de,False,0.2\n3,30,fr,True,0.3\n4,40.25,it,True,0.4\n" +
  "5,50,fr,False,0.5\n6,60,es,True,0.6\n7,70,fr,yes,0.7\n8,1000,de,False,0.8\n";

before(async () => {
  srv = await startServer();
  work = mkdtempSync(join(tmpdir(), "ferry-ui-data-"));
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function seed() {
  const v1 = join(work, "v1"), v2 = join(work, "v2"), img = join(work, "img");
  mkdirSync(join(v1, "bin"), { recursive: true });
  writeFileSync(join(v1, "train.csv"), csv1);
  writeFileSync(join(v1, "notes.txt"), "first cut\n");
  writeFileSync(join(v1, "bin", "run.sh"), "#!/bin/sh\necho hi\n");
  chmodSync(join(v1, "bin", "run.sh"), 0o755);
  mkdirSync(join(v2, "bin"), { recursive: true });
  mkdirSync(join(v2, "scratch"));
  writeFileSync(join(v2, "train.csv"), csv2);
  writeFileSync(join(v2, "README"), "transactions, second cut\n");
  writeFileSync(join(v2, "bin", "run.sh"), "#!/bin/sh\necho hi\n");
  chmodSync(join(v2, "bin", "run.sh"), 0o755);
  mkdirSync(img);
  writeFileSync(join(img, "pixel.bin"), Buffer.alloc(3000, 7));
  ferryData("add", "transactions", v1, "-m", "first cut");
  ferryData("add", "transactions", v2, "-m", "more rows and a score", "--tag", "team=fraud");
  ferryData("add", "images", img, "-m", "one blob");
  ferryData("alias", "transactions", "prod", "1");
  const run = (await api(srv.url, "runs/create", { experiment_id: "0", run_name: "train-on-v2" })).run;
  runId = run.info.run_id;
  expId = run.info.experiment_id;
  ferryData("log", "data:/transactions/2", "--run-id", runId, "--context", "training");
}

const cells = async (row) => (await row.locator("td").allInnerTexts()).map((s) => s.trim());

test("datasets: the empty list says how to add one, then the list shows both datasets", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/datasets");
    await page.getByRole("heading", { name: "Datasets" }).waitFor();
    await page.getByText("No dataset yet.").waitFor();
    await page.getByText('ferry data add NAME PATH -m "what it is"').waitFor();
    assert.equal(await page.getByRole("link", { name: "Datasets" }).getAttribute("aria-current"), "page");

    await seed();
    await page.reload();
    const rows = page.locator("table.grid tbody tr");
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    const img = await cells(rows.nth(0)), tx = await cells(rows.nth(1));
    assert.deepEqual([img[0], img[1], img[2], img[3]], ["images", "1", "v1", "2.9 KiB"]);
    assert.deepEqual([tx[0], tx[1], tx[2]], ["transactions", "2", "v2"]);
    assert.equal(tx[5], "@prod → v1");
    const list = await api(srv.url, DS + "list", null, "GET");
    const sz = list.datasets.find((d) => d.name === "transactions").total_size_bytes;
    assert.ok(sz > csv1.length + csv2.length, `total size ${sz}`);
  });
});

test("datasets: a dataset's versions, and the comparison of two of them", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/datasets");
    await page.getByRole("link", { name: "transactions" }).click();
    await page.getByRole("heading", { name: "transactions" }).waitFor();
    const rows = page.locator("table.versions tbody tr");
    await rows.nth(1).waitFor();
    const v2 = await cells(rows.nth(0)), v1 = await cells(rows.nth(1));
    assert.equal(v2[0], "v2");
    assert.equal(v2[1], "more rows and a score");
    assert.equal(v2[4], "3"); // train.csv, README, bin/run.sh: files only, not the empty dir
    assert.equal(v2[7], "team=fraud");
    assert.equal(v1[0], "v1");
    assert.equal(v1[1], "first cut");
    assert.equal(v1[4], "3");
    assert.equal(v1[6], "@prod");
    assert.equal(await page.getByLabel("From version").inputValue(), "1");
    assert.equal(await page.getByLabel("To version").inputValue(), "2");
    await page.getByRole("button", { name: "Compare" }).click();
    await page.waitForURL(/#\/datasets\/transactions\/diff\?from=1&to=2$/);
    await page.getByText("2 added, 1 removed, 1 changed, 1 unchanged").waitFor();
    const added = await page.locator("table.added tbody td:first-child").allInnerTexts();
    assert.deepEqual(added.sort(), ["README", "scratch"]);
    assert.deepEqual(await page.locator("table.removed tbody td:first-child").allInnerTexts(), ["notes.txt"]);
    const changed = await cells(page.locator("table.changed tbody tr").first());
    assert.equal(changed[0], "train.csv");
    assert.match(changed[2], /^\d+ B → \d+ B$/);
    const csv = await cells(page.locator("table.csv tbody tr").first());
    assert.equal(csv[0], "train.csv");
    assert.equal(csv[1], "5 → 8 (+3)");
    assert.equal(csv[2], "score");
    assert.equal(csv[3], "");
    assert.equal(csv[4], "flag: bool → text");
  });
});

test("datasets: a version's files, its profile drawn from the profile row, and the runs that used it", async (t) => {
  const prof = (await api(srv.url, DS + "profile?name=transactions&version=2", null, "GET")).profile;
  const f = prof.files["train.csv"];
  const col = (n) => f.columns.find((c) => c.name === n);
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/datasets/transactions/versions/2");
    await page.getByRole("heading", { name: "transactions v2" }).waitFor();
    await page.getByText("data:/transactions/2").waitFor();
    const files = page.locator("table.files tbody tr");
    await files.nth(3).waitFor();
    const all = [];
    for (let i = 0; i < await files.count(); i++) all.push(await cells(files.nth(i)));
    assert.deepEqual(all.map((r) => r[0]), ["README", "bin/run.sh", "scratch", "train.csv"]);
    assert.equal(all[1][2], "0755");
    assert.equal(all[2][3], "empty directory");
    assert.equal(all[3][2], "0644");

    const section = page.getByRole("region", { name: "Profile of train.csv" });
    await section.getByText("8 rows · 5 columns").waitFor();
    const prow = (n) => section.locator("table.profile tbody tr", { has: page.locator(`td:first-child:text-is("${n}")`) });
    const amount = await cells(prow("amount"));
    assert.deepEqual(amount.slice(0, 7), ["amount", "float", "0", "8", "10.5", String(col("amount").quantiles["0.5"]), "1000"]);
    const hist = prow("amount").locator("svg.histogram");
    assert.equal(await hist.getAttribute("aria-label"), "Histogram of amount: " + col("amount").histogram.counts.join(", "));
    assert.deepEqual(col("amount").histogram.counts, [7, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert.equal(await hist.locator("rect").count(), 10);
    const country = await cells(prow("country"));
    assert.deepEqual(country.slice(0, 4), ["country", "text", "0", "4"]);
    assert.equal(await prow("country").locator("svg.topbars").getAttribute("aria-label"), "Top values of country: fr 4, de 2, it 1, es 1");
    assert.equal((await cells(prow("id")))[1], "integer");
    assert.equal((await cells(prow("flag")))[1], "text"); // "yes" among True/False

    const run = page.locator("table.runs tbody tr").first();
    await run.waitFor();
    assert.deepEqual((await cells(run)).filter((x, i) => i !== 2), ["train-on-v2", "RUNNING", "training"]);
    await run.getByRole("link", { name: "train-on-v2" }).click();
    await page.waitForURL(new RegExp(`#/experiments/${expId}/runs/${runId}$`));
  });
});

test("datasets: a version without CSV files, and one that does not exist", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/datasets/images/versions/1");
    await page.getByRole("heading", { name: "images v1" }).waitFor();
    await page.getByText("No CSV file in this version.").waitFor();
    await page.getByText("No run records this version as an input yet").waitFor();
    await page.goto(srv.url + "#/datasets/images/versions/9");
    await page.getByRole("alert").getByText("RESOURCE_DOES_NOT_EXIST").waitFor();
    await page.goto(srv.url + "#/datasets/transactions/versions/1");
    await page.getByRole("heading", { name: "transactions v1" }).waitFor();
    await page.getByRole("region", { name: "Profile of train.csv" }).getByText("5 rows · 4 columns").waitFor();
  }, ["404"]);
});
