// SPDX-License-Identifier: MIT
// The runs table against a real `ferry server` seeded over REST with 30 runs
// whose metrics and params are unevenly present: the default columns are
// the common ones, a hidden column stays hidden across reloads (and the
// URL's `cols` still wins), server-side sort, filter completion, a bad
// filter's message over the kept table, a stable colour per run, sticky
// header and name column; grouping by a param or a tag (groups, counts,
// metric means, collapse, the "(none)" group, the URL and the remembered
// choice). Any console error fails a test.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { api, apiMany, launch, startServer, withPage } from "../support/server.mjs";
import { PALETTE, runColor } from "../src/colors.js";
import { fmtNum } from "../src/util.js";

let srv, browser, exp;
const runs = []; // { id, name }

// Metric keys and how many of the 30 runs have each; params likewise.
const METRICS = { loss: 30, acc: 30, f1: 25, auc: 20, prec: 15, recall: 12, rare: 3, "val loss": 2 };
const PARAMS = { lr: 30, depth: 30, optimizer: 20, batch: 10, seldom: 2 };

before(async () => {
  srv = await startServer();
  exp = (await api(srv.url, "experiments/create", { name: "table" })).experiment_id;
  await Promise.all(Array.from({ length: 30 }, async (_, i) => {
    const t0 = 1700000000000 + i * 60000;
    const run = (await api(srv.url, "runs/create", {
      experiment_id: exp, run_name: `run-${String(i).padStart(2, "0")}`, start_time: t0,
      tags: [{ key: "team", value: i % 2 ? "red" : "blue" }],
    })).run;
    const metrics = Object.entries(METRICS).filter(([, n]) => i < n)
      // values that order differently from the run number, with ties
      .map(([key], k) => ({ key, value: ((i * 7 + k * 3) % 11) / 10, timestamp: t0, step: 0 }));
    const params = Object.entries(PARAMS).filter(([, n]) => i >= 30 - n)
      .map(([key]) => ({ key, value: key === "lr" ? String(0.001 * (i + 1)) : `${key}-${i % 4}` }));
    await api(srv.url, "runs/log-batch", { run_id: run.info.run_id, metrics, params });
    await api(srv.url, "runs/update", { run_id: run.info.run_id, status: "FINISHED", end_time: t0 + 30000 });
    runs[i] = { id: run.info.run_id, name: run.info.run_name };
  }));
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const FIXED = ["Run", "Status", "Started", "Duration", "User", "Source"];
const DEFAULT = [...FIXED, "metrics.acc", "metrics.loss", "metrics.f1", "metrics.auc", "metrics.prec", "metrics.recall",
  "params.depth", "params.lr", "params.optimizer", "params.batch"];

// The header's column names as shown (sort marks and the hide button left out).
const heads = (page) => page.$$eval("table.runs thead th:not(.pick)", (ths) => ths.map((th) => {
  const c = th.cloneNode(true);
  c.querySelectorAll("button.x").forEach((b) => b.remove());
  return c.textContent.replace(/[▲▼]/g, "").trim();
}));
const rowNames = (page) => page.locator("table.runs tbody td.name a").allTextContents();
const open = async (page, hash = "") => {
  await page.goto(srv.url + "#/experiments/" + exp + hash);
  await page.locator("table.runs tbody tr").nth(29).waitFor();
};
const waitHeads = (page, want) => page.waitForFunction((w) => {
  const got = [...document.querySelectorAll("table.runs thead th:not(.pick)")].map((th) => {
    const c = th.cloneNode(true);
    c.querySelectorAll("button.x").forEach((b) => b.remove());
    return c.textContent.replace(/[▲▼]/g, "").trim();
  });
  return JSON.stringify(got) === JSON.stringify(w);
}, want, { timeout: 5000 }).catch(async () => assert.deepEqual(await heads(page), want));

test("default columns: the most common metrics and params, most frequent first", async (t) => {
  await withPage(browser, t, async (page) => {
    await open(page);
    assert.deepEqual(await heads(page), DEFAULT);
    // a run without f1 shows an empty cell, one with it a number
    const f1 = DEFAULT.indexOf("metrics.f1") + 2; // after the checkbox column, 1-based
    const cellOf = (name) => page.locator("table.runs tbody tr", { has: page.getByRole("link", { name, exact: true }) })
      .locator(`td:nth-child(${f1})`).textContent();
    assert.equal(await cellOf("run-29"), "");
    assert.match(await cellOf("run-00"), /^\d(\.\d+)?$/);
  });
});

test("columns: hide, reorder and add are remembered per experiment; the URL's cols wins", async (t) => {
  await withPage(browser, t, async (page) => {
    await open(page);
    // hide from the header
    await page.getByRole("button", { name: "Hide column metrics.auc" }).click();
    const noAuc = DEFAULT.filter((c) => c !== "metrics.auc");
    await waitHeads(page, noAuc);
    // the picker: hide one more, move one, add a rare one
    await page.getByText("Columns", { exact: true }).click();
    await page.getByRole("list", { name: "Shown columns" }).getByRole("checkbox", { name: "Duration" }).click();
    await page.getByRole("button", { name: "Move params.lr up" }).click();
    await page.getByRole("list", { name: "Hidden columns" }).getByRole("checkbox", { name: "metrics.val loss" }).click();
    const want = [...FIXED.filter((c) => c !== "Duration"), "metrics.acc", "metrics.loss", "metrics.f1", "metrics.prec",
      "metrics.recall", "params.lr", "params.depth", "params.optimizer", "params.batch", "metrics.val loss"];
    await waitHeads(page, want);
    assert.equal(page.url().includes("cols="), false); // remembered, not forced into the link
    await page.reload();
    await page.locator("table.runs tbody tr").nth(29).waitFor();
    assert.deepEqual(await heads(page), want);
    // the added column's values come through (a key with a space)
    const col = want.indexOf("metrics.val loss") + 2;
    assert.notEqual(await page.locator(`table.runs tbody tr:has(a:text-is("run-00")) td:nth-child(${col})`).textContent(), "");
    // a link with cols overrides the remembered choice (an old-style list gets the attribute columns)
    await open(page, "?cols=metrics.auc");
    assert.deepEqual(await heads(page), [...FIXED, "metrics.auc"]);
    // another experiment has its own choice (the defaults)
    const other = (await api(srv.url, "experiments/create", { name: "other" })).experiment_id;
    const r = (await api(srv.url, "runs/create", { experiment_id: other, run_name: "lonely" })).run;
    await api(srv.url, "runs/log-batch", { run_id: r.info.run_id, metrics: [{ key: "m", value: 1, timestamp: 1, step: 0 }] });
    await page.goto(srv.url + "#/experiments/" + other);
    await page.getByRole("link", { name: "lonely" }).waitFor();
    await waitHeads(page, [...FIXED, "metrics.m"]);
    // and reset brings this experiment's defaults back
    await open(page);
    await page.getByText("Columns", { exact: true }).click();
    await page.getByRole("button", { name: "Reset to defaults" }).click();
    await waitHeads(page, DEFAULT);
    await page.reload();
    await page.locator("table.runs tbody tr").nth(29).waitFor();
    assert.deepEqual(await heads(page), DEFAULT);
  });
});

test("sort by a metric column: the server's order, both ways, shown in aria-sort", async (t) => {
  await withPage(browser, t, async (page) => {
    await open(page);
    const th = page.locator("table.runs thead th", { has: page.locator("button.sort", { hasText: "metrics.f1" }) });
    assert.equal(await th.getAttribute("aria-sort"), null);
    for (const dir of ["DESC", "ASC"]) {
      await th.locator("button.sort").click();
      await page.waitForFunction((d) => decodeURIComponent(location.hash).replace(/\+/g, " ").includes("order=metrics.f1 " + d), dir);
      const want = (await api(srv.url, "runs/search", { experiment_ids: [exp], order_by: ["metrics.f1 " + dir], max_results: 100 }))
        .runs.map((r) => r.info.run_name);
      await page.waitForFunction((w) => JSON.stringify([...document.querySelectorAll("table.runs tbody td.name a")]
        .map((a) => a.textContent)) === JSON.stringify(w), want, { timeout: 5000 })
        .catch(async () => assert.deepEqual(await rowNames(page), want));
      assert.equal(await th.getAttribute("aria-sort"), dir === "ASC" ? "ascending" : "descending");
      // the old sorted column no longer claims a direction
      assert.equal(await page.locator("table.runs thead th[aria-sort]").count(), 1);
    }
  });
});

test("filter: completion of metrics., params., tags. and attributes., by keyboard", async (t) => {
  await withPage(browser, t, async (page) => {
    await open(page);
    const box = page.getByRole("combobox", { name: "Filter runs" });
    const options = () => page.getByRole("listbox", { name: "Filter fields" }).getByRole("option").allTextContents();
    await box.pressSequentially("metrics.a");
    await page.getByRole("listbox", { name: "Filter fields" }).waitFor();
    assert.deepEqual(await options(), ["metrics.acc", "metrics.auc"]);
    await box.press("ArrowDown");
    await box.press("ArrowDown");
    assert.equal(await box.getAttribute("aria-activedescendant"), "runs-filter-opt-1");
    await box.press("Enter"); // takes the picked field, does not submit
    assert.equal(await box.inputValue(), "metrics.auc ");
    assert.equal(await page.getByRole("listbox").count(), 0);
    await box.pressSequentially(">= 0.5 and par");
    assert.ok((await options()).includes("params.optimizer"));
    await box.press("Escape");
    assert.equal(await page.getByRole("listbox").count(), 0);
    await box.press("Backspace");
    await box.press("Backspace");
    await box.press("Backspace");
    await box.pressSequentially("tags.t");
    assert.deepEqual(await options(), ["tags.team"]);
    await box.press("ArrowDown");
    await box.press("Tab");
    await box.pressSequentially("= 'red' and attributes.st");
    assert.deepEqual(await options(), ["attributes.status", "attributes.start_time"]);
    // a key with a space is offered quoted, as the grammar wants it
    await box.fill("");
    await box.pressSequentially("val");
    assert.deepEqual(await options(), ["metrics.`val loss`"]);
    // a typed filter is submitted with Enter when no field is picked
    await box.fill("metrics.auc >= 0.5 and tags.team = 'red'");
    await box.press("Enter");
    const want = (await api(srv.url, "runs/search", {
      experiment_ids: [exp], filter: "metrics.auc >= 0.5 and tags.team = 'red'", order_by: ["attributes.start_time DESC"] })).runs;
    assert.ok(want.length > 0 && want.length < 30);
    await page.waitForFunction((n) => document.querySelectorAll("table.runs tbody tr").length === n, want.length);
    assert.deepEqual(await rowNames(page), want.map((r) => r.info.run_name));
  });
});

test("a bad filter shows the server's message and keeps the table", async (t) => {
  await withPage(browser, t, async (page) => {
    await open(page);
    const bad = "metrics.acc >>> 1";
    const r = await fetch(srv.url + "api/2.0/mlflow/runs/search", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ experiment_ids: [exp], filter: bad }) });
    assert.equal(r.status, 400);
    const { message } = await r.json();
    assert.ok(message);
    await page.getByRole("combobox", { name: "Filter runs" }).fill(bad);
    await page.keyboard.press("Enter");
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.ok((await alert.textContent()).includes(message), await alert.textContent());
    assert.equal((await rowNames(page)).length, 30); // the table is still there
    assert.equal(await page.getByText("No runs").count(), 0);
    // fixing the filter clears the message
    await page.getByRole("combobox", { name: "Filter runs" }).fill("metrics.acc > 0.5");
    await page.keyboard.press("Enter");
    await alert.waitFor({ state: "detached" });
    // back: the link's (bad) filter is in the box again, with its message
    await page.goBack();
    await alert.waitFor();
    assert.equal(await page.getByRole("combobox", { name: "Filter runs" }).inputValue(), bad);
  }, ["status of 400"]);
});

test("run colour: a swatch per run, from runColor, the same after a reload", async (t) => {
  // the palette reads on light and dark backgrounds (contrast >= 3:1 with both)
  const lin = (c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const lum = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .reduce((s, c, i) => s + [0.2126, 0.7152, 0.0722][i] * lin(c), 0);
  for (const c of PALETTE) {
    assert.ok(1.05 / (lum(c) + 0.05) >= 3, c + " on white");
    assert.ok((lum(c) + 0.05) / (lum("#12161c") + 0.05) >= 3, c + " on dark");
  }
  assert.equal(runColor(runs[0].id), runColor(runs[0].id));
  const rgb = (hex) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(", ")})`;
  const swatches = (page) => page.$$eval("table.runs tbody td.name", (tds) =>
    Object.fromEntries(tds.map((td) => [td.querySelector("a").textContent, getComputedStyle(td.querySelector(".swatch")).backgroundColor])));
  await withPage(browser, t, async (page) => {
    await open(page);
    const first = await swatches(page);
    assert.equal(Object.keys(first).length, 30);
    for (const r of runs) assert.equal(first[r.name], rgb(runColor(r.id)), r.name);
    assert.ok(new Set(Object.values(first)).size >= 6, "30 runs get several colours");
    await page.reload();
    await page.locator("table.runs tbody tr").nth(29).waitFor();
    assert.deepEqual(await swatches(page), first);
  });
});

test("sticky header and run-name column while the table scrolls both ways", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.setViewportSize({ width: 700, height: 600 });
    await open(page);
    const box = page.locator(".runs-scroll");
    const before = await page.evaluate(() => {
      const s = document.querySelector(".runs-scroll");
      return { sw: s.scrollWidth - s.clientWidth, sh: s.scrollHeight - s.clientHeight };
    });
    assert.ok(before.sw > 0 && before.sh > 0, "the table overflows its box both ways");
    await box.evaluate((s) => { s.scrollTop = s.scrollHeight; s.scrollLeft = s.scrollWidth; });
    const pos = await page.evaluate(() => {
      const s = document.querySelector(".runs-scroll").getBoundingClientRect();
      const th = document.querySelector("table.runs thead th.name").getBoundingClientRect();
      const last = [...document.querySelectorAll("table.runs tbody tr")].pop();
      const name = last.querySelector("td.name").getBoundingClientRect();
      const pick = last.querySelector("td.pick").getBoundingClientRect();
      return { top: th.top - s.top, left: pick.left - s.left, nameLeft: name.left - pick.right, nameTop: name.top - s.top, h: s.height };
    });
    assert.ok(Math.abs(pos.top) <= 2, "header at the top: " + JSON.stringify(pos));
    assert.ok(Math.abs(pos.left) <= 2 && Math.abs(pos.nameLeft) <= 2, "name column at the left: " + JSON.stringify(pos));
    assert.ok(pos.nameTop > 0 && pos.nameTop < pos.h, "the last row is in view");
    // the page itself does not scroll sideways
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth));
  });
});

test("many runs: rows rendered near the viewport only, pages fetched while scrolling, a sort starts at the top", async (t) => {
  const big = (await api(srv.url, "experiments/create", { name: "big" })).experiment_id;
  const N = 210;
  for (let b = 0; b < N; b += 30) {
    await Promise.all(Array.from({ length: 30 }, (_, k) => api(srv.url, "runs/create", {
      experiment_id: big, run_name: `big-${String(b + k).padStart(3, "0")}`, start_time: 1700000000000 + (b + k) * 1000 })));
  }
  const all = [];
  for (let token; ;) {
    const r = await api(srv.url, "runs/search", { experiment_ids: [big], max_results: 100, page_token: token,
      order_by: ["attributes.start_time DESC"] });
    all.push(...r.runs.map((x) => x.info.run_name));
    if (!(token = r.next_page_token)) break;
  }
  assert.equal(all.length, N);
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/experiments/" + big);
    const count = page.locator(".runs-count");
    await count.filter({ hasText: "100 runs loaded" }).waitFor();
    const domRows = () => page.locator("table.runs tbody tr").count();
    assert.ok(await domRows() < 80, "rows in the DOM: " + await domRows());
    assert.equal((await rowNames(page))[0], all[0]);
    // scroll down a screen at a time, noting each row's name where it shows
    const names = new Map(); // index in the list -> name
    for (let i = 0; i < 60; i++) {
      await page.waitForTimeout(60); // the scroll's render
      const loaded = (await count.textContent()) === N + " runs"; // read first: every row was loaded when the rows were read
      const got = await page.evaluate(() => {
        const s = document.querySelector(".runs-scroll");
        const head = document.querySelector("table.runs thead").offsetHeight;
        const rows = [...document.querySelectorAll("table.runs tbody tr")];
        const h = rows[0].getBoundingClientRect().height;
        const top = s.firstElementChild.getBoundingClientRect().top + head; // where row 0 would be
        const at = Math.round((rows[0].getBoundingClientRect().top - top) / h); // the first rendered row's index
        const out = rows.map((tr, i) => [at + i, tr.querySelector("td.name a").textContent]);
        const end = s.scrollTop + s.clientHeight >= s.scrollHeight - 1;
        s.scrollTop += s.clientHeight;
        return { out, end, n: rows.length };
      });
      assert.ok(got.n < 100, "rows in the DOM: " + got.n);
      for (const [k, v] of got.out) names.set(k, v);
      if (got.end && loaded) break;
    }
    assert.equal(await count.textContent(), N + " runs");
    assert.deepEqual([...names.keys()].sort((a, b) => a - b).map((k) => names.get(k)), all);
    // a new order starts again at the top, with the server's first row
    await page.getByRole("button", { name: /^Started/ }).click();
    await page.waitForFunction(() => document.querySelector("table.runs tbody td.name a")?.textContent === "big-000");
    assert.equal(await page.locator(".runs-scroll").evaluate((s) => s.scrollTop), 0);
    await count.filter({ hasText: "100 runs loaded" }).waitFor();
    // a search that replaces one two pages deep still loads every page (page
    // tokens are offsets: the new search's second page has the old one's token)
    const scrollTo = (rows) => page.locator(".runs-scroll").evaluate((s, n) => {
      s.scrollTop = n * document.querySelector("table.runs tbody tr").getBoundingClientRect().height;
    }, rows);
    await scrollTo(90); // near the end of page 1: page 2 comes, page 3 is not asked for yet
    await count.filter({ hasText: "200 runs loaded" }).waitFor();
    await page.getByRole("button", { name: /^Started/ }).click(); // back to newest first
    await page.waitForFunction((w) => document.querySelector("table.runs tbody td.name a")?.textContent === w, all[0]);
    for (let i = 0; i < 40 && (await count.textContent()) !== N + " runs"; i++) {
      await scrollTo(N);
      await page.waitForTimeout(100);
    }
    assert.equal(await count.textContent(), N + " runs");
  });
});

test("keyboard: j / k move through the runs, Enter opens the focused run", async (t) => {
  await withPage(browser, t, async (page) => {
    await open(page);
    const names = await rowNames(page);
    const focused = () => page.evaluate(() => document.activeElement.closest("tr")?.querySelector("td.name a")?.textContent);
    await page.keyboard.press("j");
    assert.equal(await focused(), names[0]);
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    await page.keyboard.press("k");
    assert.equal(await focused(), names[1]);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: names[1] }).waitFor();
    assert.match(page.url(), /#\/experiments\/\d+\/runs\/[0-9a-f]+$/);
  });
});

test("the Charts link opens the chart view of the same runs (the filter kept)", async (t) => {
  await withPage(browser, t, async (page) => {
    const filter = "params.optimizer = 'optimizer-1'";
    await page.goto(srv.url + "#/experiments/" + exp + "?filter=" + encodeURIComponent(filter));
    await page.locator("table.runs tbody tr").first().waitFor();
    await page.getByRole("link", { name: "Charts", exact: true }).click();
    await page.locator("figure.run-chart").first().waitFor();
    const hash = await page.evaluate(() => location.hash);
    assert.ok(hash.startsWith(`#/experiments/${exp}/charts?`), hash);
    assert.equal(new URLSearchParams(hash.split("?")[1]).get("filter"), filter);
  });
});

// ------------------------------------------------------------------ groups

const groupRows = (page) => page.$$eval("table.runs tbody tr.group-row", (trs) => trs.map((tr) => ({
  value: tr.dataset.group, count: tr.querySelector(".group-count").textContent,
  open: tr.querySelector("button.twisty").getAttribute("aria-expanded") })));
// The table's rows in order: ["group:VALUE", run name, ...].
const tableRows = (page) => page.$$eval("table.runs tbody tr", (trs) => trs.map((tr) =>
  tr.classList.contains("group-row") ? "group:" + tr.dataset.group : tr.querySelector("td.name a").textContent));

// Every run of the experiment, newest first, as the table's default sort has them.
async function allRuns() {
  return (await api(srv.url, "runs/search", { experiment_ids: [exp], max_results: 1000, order_by: ["attributes.start_time DESC"] })).runs;
}
const paramOf = (r, k) => (r.data.params || []).find((p) => p.key === k)?.value ?? null;
const metricOf = (r, k) => (r.data.metrics || []).find((m) => m.key === k)?.value;

test("group by a param: a header per value with its count and metric means, (none) last, collapse and expand", async (t) => {
  const all = await allRuns();
  // the seed: optimizer-0..3 on runs 10..29 (five each), none on runs 0..9
  const want = new Map();
  for (const v of ["optimizer-0", "optimizer-1", "optimizer-2", "optimizer-3", null])
    want.set(v, all.filter((r) => paramOf(r, "optimizer") === v));
  assert.deepEqual([...want.values()].map((l) => l.length), [5, 5, 5, 5, 10]);
  await withPage(browser, t, async (page) => {
    await open(page);
    await page.getByRole("combobox", { name: "Group by" }).selectOption("params.optimizer");
    await page.waitForFunction(() => new URLSearchParams(location.hash.split("?")[1]).get("group") === "params.optimizer");
    await page.locator("table.runs tbody tr.group-row").nth(4).waitFor();
    assert.deepEqual(await groupRows(page), [...want.entries()].map(([v, l]) => ({ value: v ?? "(none)", count: l.length + " runs", open: "true" })));
    // each group's runs under its header, in the server's order
    assert.deepEqual(await tableRows(page), [...want.entries()].flatMap(([v, l]) => ["group:" + (v ?? "(none)"), ...l.map((r) => r.info.run_name)]));
    await page.locator(".runs-count").filter({ hasText: "30 runs in 5 groups" }).waitFor();
    assert.match(await page.locator(".runs-count").textContent(), /at most 5,000 runs/);
    // the metric columns' means over the group's runs that have the metric, min and max in the title
    const heads = await page.$$eval("table.runs thead th", (ths) => ths.map((th) => th.textContent.replace(/[▲▼×]/g, "").trim()));
    for (const key of ["acc", "f1", "recall"]) {
      const col = heads.indexOf("metrics." + key) + 1;
      assert.ok(col > 0, key);
      for (const [v, l] of want) {
        const vals = l.map((r) => metricOf(r, key)).filter((x) => typeof x === "number");
        const cell = page.locator(`table.runs tbody tr.group-row[data-group="${v ?? "(none)"}"] td:nth-child(${col})`);
        if (!vals.length) {
          assert.equal(await cell.textContent(), "", `${key} of ${v}`);
          continue;
        }
        const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
        assert.equal(await cell.textContent(), fmtNum(mean), `${key} of ${v}`);
        assert.equal(await cell.locator("span").getAttribute("title"),
          `mean of ${vals.length} run${vals.length === 1 ? "" : "s"}; min ${fmtNum(Math.min(...vals))} – max ${fmtNum(Math.max(...vals))}`);
      }
    }
    // collapse one group: its runs go, the others stay; expand brings them back
    await page.getByRole("button", { name: "Collapse group params.optimizer = optimizer-1" }).click();
    await page.waitForFunction(() => document.querySelectorAll("table.runs tbody tr").length === 30);
    assert.ok(!(await tableRows(page)).includes(want.get("optimizer-1")[0].info.run_name));
    assert.equal((await groupRows(page))[1].open, "false");
    await page.getByRole("button", { name: "Expand group params.optimizer = optimizer-1" }).click();
    await page.waitForFunction(() => document.querySelectorAll("table.runs tbody tr").length === 35);
    // collapse all, expand all
    await page.getByRole("button", { name: "Collapse all" }).click();
    await page.waitForFunction(() => document.querySelectorAll("table.runs tbody tr").length === 5);
    assert.deepEqual((await groupRows(page)).map((g) => g.open), ["false", "false", "false", "false", "false"]);
    await page.getByRole("button", { name: "Expand all" }).click();
    await page.waitForFunction(() => document.querySelectorAll("table.runs tbody tr").length === 35);
    // the (none) group's runs have no optimizer cell
    const opt = heads.indexOf("params.optimizer") + 1;
    const noneRuns = want.get(null).map((r) => r.info.run_name);
    for (const name of noneRuns.slice(0, 3))
      assert.equal(await page.locator(`table.runs tbody tr:has(a:text-is("${name}")) td:nth-child(${opt})`).textContent(), "");
  });
});

test("grouped: selection per group and j / k over headers and runs (Enter toggles a header, opens a run)", async (t) => {
  const all = await allRuns();
  const g0 = all.filter((r) => paramOf(r, "optimizer") === "optimizer-0");
  await withPage(browser, t, async (page) => {
    await open(page, "?group=params.optimizer");
    await page.locator("table.runs tbody tr.group-row").nth(4).waitFor();
    // a group's checkbox picks its runs
    await page.getByRole("checkbox", { name: "Select the runs of group params.optimizer = optimizer-0" }).check();
    await page.getByRole("button", { name: "Compare " + g0.length }).waitFor();
    for (const r of g0) assert.equal(await page.getByRole("checkbox", { name: "Select run " + r.info.run_name }).isChecked(), true);
    // a run's own checkbox still works, and un-picks the group's box
    await page.getByRole("checkbox", { name: "Select run " + g0[0].info.run_name }).uncheck();
    await page.getByRole("button", { name: "Compare " + (g0.length - 1) }).waitFor();
    assert.equal(await page.getByRole("checkbox", { name: "Select the runs of group params.optimizer = optimizer-0" }).isChecked(), false);
    await page.locator("h1").click(); // the keyboard's turn (not in a checkbox)
    const focused = () => page.evaluate(() => {
      const tr = document.activeElement.closest("tr");
      return tr && (tr.classList.contains("group-row") ? "group:" + tr.dataset.group : tr.querySelector("td.name a").textContent);
    });
    await page.keyboard.press("j");
    assert.equal(await focused(), "group:optimizer-0");
    await page.keyboard.press("Enter"); // collapses the group
    await page.waitForFunction(() => document.querySelectorAll("table.runs tbody tr").length === 30);
    assert.equal(await focused(), "group:optimizer-0");
    await page.keyboard.press("j");
    assert.equal(await focused(), "group:optimizer-1");
    await page.keyboard.press("j");
    const g1 = all.filter((r) => paramOf(r, "optimizer") === "optimizer-1");
    assert.equal(await focused(), g1[0].info.run_name);
    await page.keyboard.press("k");
    await page.keyboard.press("k");
    await page.keyboard.press("Enter"); // expands it again
    await page.waitForFunction(() => document.querySelectorAll("table.runs tbody tr").length === 35);
    await page.keyboard.press("j");
    assert.equal(await focused(), g0[0].info.run_name);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: g0[0].info.run_name }).waitFor();
  });
});

test("grouping in the URL and remembered per experiment: a link's group wins, none ungroups, back regroups", async (t) => {
  await withPage(browser, t, async (page) => {
    // a tag: every run has one, so no (none) group
    await open(page, "?group=tags.team");
    await page.locator("table.runs tbody tr.group-row").nth(1).waitFor();
    assert.deepEqual(await groupRows(page), [{ value: "blue", count: "15 runs", open: "true" }, { value: "red", count: "15 runs", open: "true" }]);
    assert.equal(await page.getByRole("combobox", { name: "Group by" }).inputValue(), "tags.team");
    // none: the plain table, paged and nested as before, no group in the link
    await page.getByRole("combobox", { name: "Group by" }).selectOption("");
    await page.waitForFunction(() => !location.hash.includes("group="));
    await page.waitForFunction(() => document.querySelectorAll("table.runs tbody tr").length === 30 &&
      !document.querySelector("table.runs tbody tr.group-row"));
    await page.locator(".runs-count").filter({ hasText: /^30 runs$/ }).waitFor();
    // back: the link's grouping again
    await page.goBack();
    await page.locator("table.runs tbody tr.group-row").nth(1).waitFor();
    assert.equal(await page.getByRole("combobox", { name: "Group by" }).inputValue(), "tags.team");
    // a choice is remembered for this experiment: a link without group opens grouped by it
    await page.getByRole("combobox", { name: "Group by" }).selectOption("params.depth");
    await page.waitForFunction(() => location.hash.includes("group=params.depth"));
    await page.goto(srv.url + "#/experiments/" + exp);
    await page.locator("table.runs tbody tr.group-row").first().waitFor();
    assert.equal(await page.getByRole("combobox", { name: "Group by" }).inputValue(), "params.depth");
    assert.deepEqual((await groupRows(page)).map((g) => g.value), ["depth-0", "depth-1", "depth-2", "depth-3"]);
    // and a link's grouping still wins over it
    await page.goto(srv.url + "#/experiments/" + exp + "?group=tags.team");
    await page.waitForFunction(() => [...document.querySelectorAll("table.runs tbody tr.group-row")].map((tr) => tr.dataset.group).join() === "blue,red");
    // a filter applies before grouping
    await page.getByRole("combobox", { name: "Filter runs" }).fill("tags.team = 'red'");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => [...document.querySelectorAll("table.runs tbody tr.group-row")].map((tr) => tr.dataset.group).join() === "red");
    assert.ok(page.url().includes("group=tags.team"));
  });
});

test("grouped: a search of more than 5,000 runs groups the first 5,000 and says so", async (t) => {
  const huge = (await api(srv.url, "experiments/create", { name: "huge" })).experiment_id;
  const N = 5003;
  await apiMany(srv.url, "runs/create", Array.from({ length: N }, (_, i) => ({
    experiment_id: huge, start_time: 1700000000000 + i * 1000, tags: [{ key: "shard", value: String(i % 3) }] })));
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/experiments/" + huge + "?group=tags.shard");
    const note = page.locator("p.capped");
    await note.waitFor({ timeout: 60000 });
    assert.match(await note.textContent(), /Only the first 5,000 runs of this\s+search are grouped/);
    assert.match(await page.locator(".runs-count").textContent(), /^5000 runs in 3 groups; grouping reads at most 5,000 runs/);
    // the newest 5,000 (the sort's first): the 3 oldest are left out
    assert.ok(await page.locator("table.runs tbody tr").count() < 150, "still windowed");
    // shards 0 and 1 had 1,668 runs, shard 2 1,667: the 3 oldest (one of each) are left out
    await page.getByRole("button", { name: "Collapse all" }).click();
    await page.waitForFunction(() => document.querySelectorAll("table.runs tbody tr").length === 3);
    assert.deepEqual((await groupRows(page)).map((g) => g.count), ["1667 runs", "1667 runs", "1666 runs"]);
    // ungrouped: no cap, no note
    await page.getByRole("combobox", { name: "Group by" }).selectOption("");
    await page.locator(".runs-count").filter({ hasText: "100 runs loaded" }).waitFor();
    assert.equal(await note.count(), 0);
  });
});
