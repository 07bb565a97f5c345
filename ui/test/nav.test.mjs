// SPDX-License-Identifier: MIT
// Navigation in the web UI (Debian's headless Chromium against a real
// `ferry server` seeded over REST): crumbs with names, a run's parent and
// children, the experiments sidebar (search, pins that survive a reload,
// the current one highlighted, collapsed on narrow screens), the dark theme
// (the system's preference and the toggle) and keyboard navigation in the
// experiments list. Any console error or failed request fails the test.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { api, launch, startServer, withPage } from "../support/server.mjs";

let srv, browser, alpha, beta, parent, kids, lone;
before(async () => {
  srv = await startServer();
  alpha = (await api(srv.url, "experiments/create", { name: "alpha-exp" })).experiment_id;
  beta = (await api(srv.url, "experiments/create", { name: "beta-exp" })).experiment_id;
  parent = (await api(srv.url, "runs/create", { experiment_id: alpha, run_name: "parent-run", start_time: 1700000000000 })).run;
  kids = [];
  for (const [i, name] of ["child-a", "child-b"].entries())
    kids.push((await api(srv.url, "runs/create", {
      experiment_id: alpha, run_name: name, start_time: 1700000001000 + i,
      tags: [{ key: "mlflow.parentRunId", value: parent.info.run_id }],
    })).run);
  lone = (await api(srv.url, "runs/create", { experiment_id: beta, run_name: "beta-run" })).run;
  for (const r of [parent, kids[0], lone])
    await api(srv.url, "runs/log-batch", { run_id: r.info.run_id, metrics: [{ key: "m", value: 1, timestamp: 1, step: 0 }] });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

const runUrl = (r) => `${srv.url}#/experiments/${r.info.experiment_id}/runs/${r.info.run_id}`;
const crumbs = (page) => page.getByRole("navigation", { name: "Breadcrumbs" });
const side = (page) => page.getByRole("complementary", { name: "Experiments sidebar" });
const sideNames = (page) => side(page).locator("ul.side-list a").allTextContents();

test("crumbs name the experiment and the run; compare names the experiments", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(runUrl(kids[0]));
    await crumbs(page).getByRole("link", { name: "alpha-exp" }).waitFor();
    assert.equal((await crumbs(page).textContent()).replace(/\s+/g, " ").trim(), "Experiments / alpha-exp / child-a");
    assert.equal(await crumbs(page).getByRole("link", { name: "alpha-exp" }).getAttribute("href"), "#/experiments/" + alpha);
    await page.goto(`${srv.url}#/compare-runs?runs=${kids[0].info.run_id},${lone.info.run_id}`);
    await page.getByRole("heading", { name: "Comparing 2 runs" }).waitFor();
    await crumbs(page).getByRole("link", { name: "beta-exp" }).waitFor();
    assert.match(await crumbs(page).textContent(), /alpha-exp, beta-exp/);
  });
});

test("the run page links its parent and its children by name", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(runUrl(parent));
    const children = page.locator("section.child-runs");
    await children.getByRole("link", { name: "child-b" }).waitFor();
    assert.deepEqual(await children.getByRole("link").allTextContents(), ["child-a", "child-b"]);
    await children.getByRole("link", { name: "child-a" }).click();
    await page.getByRole("heading", { name: "child-a" }).waitFor();
    assert.equal(await page.locator("section.child-runs").count(), 0); // a leaf has no children section
    await page.getByRole("link", { name: "parent-run" }).click();
    await page.getByRole("heading", { name: "parent-run" }).waitFor();
    assert.ok(page.url().endsWith("/runs/" + parent.info.run_id), page.url());
  });
});

test("sidebar: current highlighted, search, pins first and remembered, collapses", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url + "#/experiments/" + alpha);
    await side(page).getByRole("link", { name: "beta-exp" }).waitFor();
    assert.deepEqual((await sideNames(page)).filter((n) => n.endsWith("-exp")), ["alpha-exp", "beta-exp"]);
    assert.equal(await side(page).locator("[aria-current=page]").textContent(), "alpha-exp");
    // the search asks the server; the list narrows to the match
    await side(page).getByLabel("Find an experiment").fill("bet");
    await page.waitForFunction(() => !document.querySelector("aside.sidebar").innerText.includes("alpha-exp"));
    assert.deepEqual(await sideNames(page), ["beta-exp"]);
    await side(page).getByLabel("Find an experiment").fill("");
    await side(page).getByRole("link", { name: "alpha-exp" }).waitFor();
    // pin beta: it moves first, and stays first after a reload
    await side(page).getByRole("button", { name: "Pin beta-exp" }).click();
    await page.waitForFunction(() => document.querySelector("aside.sidebar ul.side-list a")?.textContent === "beta-exp");
    await page.reload();
    await side(page).getByRole("button", { name: "Unpin beta-exp" }).waitFor();
    assert.equal((await sideNames(page))[0], "beta-exp");
    assert.equal(await side(page).getByRole("button", { name: "Unpin beta-exp" }).getAttribute("aria-pressed"), "true");
    // following a sidebar link moves the highlight
    await side(page).getByRole("link", { name: "beta-exp" }).click();
    await page.getByRole("heading", { name: "beta-exp" }).waitFor();
    await page.waitForFunction(() => document.querySelector("aside.sidebar [aria-current=page]")?.textContent === "beta-exp");
    // collapse and expand
    const toggle = side(page).getByRole("button", { name: "Experiments", exact: false }).first();
    await toggle.click();
    assert.equal(await toggle.getAttribute("aria-expanded"), "false");
    assert.equal(await side(page).getByLabel("Find an experiment").count(), 0);
    await toggle.click();
    await side(page).getByLabel("Find an experiment").waitFor();
    await side(page).getByRole("link", { name: "alpha-exp" }).waitFor(); // its list is back (a reload would cut it short)
    // a narrow screen starts collapsed and does not scroll sideways
    await page.setViewportSize({ width: 375, height: 800 });
    await page.reload();
    await page.getByRole("heading", { name: "beta-exp" }).waitFor();
    assert.equal(await side(page).locator(".sidebar-toggle").getAttribute("aria-expanded"), "false");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert.ok(overflow <= 0, "the page scrolls sideways by " + overflow + " px");
  });
});

// WCAG contrast of an element's text against the first opaque background
// behind it (a readable page needs >= 4.5 for body text).
const contrast = (page, selector) => page.evaluate((sel) => {
  const el = document.querySelector(sel);
  if (!el) throw new Error("no " + sel);
  const rgb = (c) => c.match(/[\d.]+/g).map(Number);
  let back = el, b;
  while (back && (b = rgb(getComputedStyle(back).backgroundColor)).length === 4 && b[3] === 0) back = back.parentElement;
  if (!back) b = [255, 255, 255];
  const lum = ([r, g, bl]) => [r, g, bl].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
  const [x, y] = [lum(rgb(getComputedStyle(el).color)), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}, selector);

// The mean brightness (0-255) of the opaque pixels in the y axis's strip
// of the first chart's canvas: its labels and ticks.
const axisInk = (page) => page.evaluate(() => {
  const c = document.querySelector("[data-testid=chart] canvas");
  const w = Math.round(40 * devicePixelRatio);
  const px = c.getContext("2d").getImageData(0, 0, w, c.height).data;
  let sum = 0, n = 0;
  for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 200) {
    sum += (px[i] + px[i + 1] + px[i + 2]) / 3;
    n++;
  }
  return n ? sum / n : -1;
});

const bg = (page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
const DARK = "rgb(20, 24, 29)", LIGHT = "rgb(255, 255, 255)";

test("dark theme follows the system, the toggle overrides it and is remembered", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(runUrl(parent));
    await page.getByRole("heading", { name: "parent-run" }).waitFor();
    await page.locator("section.child-runs a").first().waitFor(); // all loaded before the reload below
    await page.locator("[data-testid=chart] canvas").waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
    assert.equal(await bg(page), DARK);
    // links and errors stay readable: their colours are the dark palette's
    const link = await page.evaluate(() => getComputedStyle(document.querySelector("nav.crumbs a")).color);
    assert.equal(link, "rgb(122, 184, 255)");
    await page.getByLabel("Colour theme").selectOption("light");
    assert.equal(await bg(page), LIGHT);
    await page.reload();
    await page.getByRole("heading", { name: "parent-run" }).waitFor();
    assert.equal(await bg(page), LIGHT); // remembered over the system's dark
    assert.equal(await page.getByLabel("Colour theme").inputValue(), "light");
    await page.getByLabel("Colour theme").selectOption("system");
    assert.equal(await bg(page), DARK);
    await page.emulateMedia({ colorScheme: "light" }); // the system changes: "system" follows at once
    await page.waitForFunction(() => document.documentElement.dataset.theme === "light");
    // uPlot draws its axes on a canvas, in the page's colours: light ink
    // on the dark theme, dark on the light one, redrawn when the theme
    // changes (no CSS filter, which would also shift the runs' colours)
    assert.ok(await axisInk(page) < 110, `light theme: axis ink ${await axisInk(page)}`);
    await page.getByLabel("Colour theme").selectOption("dark");
    assert.equal(await bg(page), DARK);
    for (let i = 0; i < 50 && await axisInk(page) <= 150; i++) await page.waitForTimeout(20); // the redraw: a render away
    assert.ok(await axisInk(page) > 150, `dark theme: axis ink ${await axisInk(page)}`);
    assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector(".uplot canvas")).filter), "none");
    // every page readable: links, muted text, tables, the sidebar, errors
    for (const sel of ["nav.crumbs a", "dl.facts dt", "section.child-runs a", "aside.sidebar li.current a", "aside.sidebar li:not(.current) a"])
      assert.ok(await contrast(page, sel) >= 4.5, `${sel}: contrast ${await contrast(page, sel)}`);
    await page.goto(srv.url + "#/experiments/" + beta);
    await page.locator("table.runs tbody tr").first().waitFor();
    for (const sel of ["table.runs tbody a", "table.runs thead button", "button.primary"])
      assert.ok(await contrast(page, sel) >= 4.5, `${sel}: contrast ${await contrast(page, sel)}`);
    await page.goto(`${srv.url}#/experiments/${beta}/runs/${"0".repeat(32)}`);
    await page.getByRole("alert").waitFor();
    assert.ok(await contrast(page, ".error") >= 4.5, "the error box: contrast " + await contrast(page, ".error"));
    await page.goto(srv.url + "#/");
    await page.locator("#main table.experiments tbody tr").first().waitFor();
    for (const sel of ["#main table.experiments tbody a", "#main table.experiments thead th", "#main table.experiments button"])
      assert.ok(await contrast(page, sel) >= 4.5, `${sel}: contrast ${await contrast(page, sel)}`);
  }, ["status of 404"]); // the missing run's error box, on purpose
});

test("keyboard: j / k move through the experiments list, Enter opens one", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url);
    const rows = page.locator("#main table.experiments tbody tr");
    await rows.nth(1).waitFor();
    const names = await page.locator("#main table.experiments tbody tr td:nth-child(2) a").allTextContents();
    const focused = () => page.evaluate(() => document.activeElement.closest("tr")?.querySelector("td:nth-child(2) a")?.textContent);
    await page.keyboard.press("j");
    assert.equal(await focused(), names[0]);
    await page.keyboard.press("j");
    assert.equal(await focused(), names[1]);
    await page.keyboard.press("k");
    assert.equal(await focused(), names[0]);
    await page.keyboard.press("ArrowDown");
    assert.equal(await focused(), names[1]);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: names[1] }).waitFor();
    assert.match(page.url(), /#\/experiments\/\d+$/);
    // typing in a field is not navigation (back by the hash: a reload would cut requests short)
    await page.goto(srv.url + "#/");
    await rows.nth(1).waitFor();
    await page.getByLabel("New experiment name").pressSequentially("jk"); // key by key: each a keydown j/k must not take
    assert.equal(await focused(), undefined);
    assert.equal(await page.getByLabel("New experiment name").inputValue(), "jk");
  });
});

test("home: each experiment's newest run, and the recent runs across them", async (t) => {
  await withPage(browser, t, async (page) => {
    await page.goto(srv.url);
    const row = (name) => page.locator("#main table.experiments tbody tr", { has: page.getByRole("link", { name, exact: true }) });
    const lastAlpha = row("alpha-exp").locator("td.last-run a");
    await lastAlpha.waitFor();
    assert.equal(await lastAlpha.getAttribute("href"), `#/experiments/${alpha}/runs/${kids[1].info.run_id}`);
    assert.equal(await row("beta-exp").locator("td.last-run a").textContent(), "just now");
    await row("Default").locator("td.last-run", { hasText: "no runs" }).waitFor();
    const recent = page.locator("section.recent-runs li a");
    await recent.nth(3).waitFor();
    assert.deepEqual(await recent.allTextContents(), ["beta-run", "child-b", "child-a", "parent-run"]);
    assert.match(await page.locator("section.recent-runs li").first().textContent(), /in beta-exp/);
  });
});

test("a corrupt pins entry in localStorage is no pins, not a blank page", async (t) => {
  await withPage(browser, t, async (page) => {
    // stored before the app starts (a reload would cut the first load's requests short)
    await page.addInitScript(() => localStorage.setItem("ferry.pinnedExperiments", '{"a":1}'));
    await page.goto(srv.url);
    await page.locator("#main table.experiments tbody tr").first().waitFor();
    await page.getByRole("searchbox").or(page.getByLabel(/find an experiment/i)).first().waitFor();
  });
});
