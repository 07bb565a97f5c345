// SPDX-License-Identifier: MIT
// Test support: a real `ferry server` on a free 127.0.0.1 port with its own
// database and artifact directory, seeded over the REST API, and a headless
// Chromium (Debian's) driven by playwright-core.
import { spawn } from "node:child_process";
import http from "node:http";
import { chmodSync, copyFileSync, mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

export const FERRY = resolve(process.env.FERRY_BIN || "build-san/ferry");
export const SHOTS = process.env.FERRY_UI_SHOTS || join(tmpdir(), "ferry-ui-shots");

// opts.adminPassword: start with --auth, its admin user "admin" created
// from FERRY_ADMIN_PASSWORD (without it the server on loopback runs
// without authentication). opts.bin: another ferry binary (reachableFerry's
// copy); opts.env: more environment.
export async function startServer(opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), "ferry-ui-"));
  const env = { ...process.env, ...(opts.env || {}) };
  delete env.FERRY_ADMIN_USERNAME;
  delete env.FERRY_ADMIN_PASSWORD;
  if (opts.adminPassword) env.FERRY_ADMIN_PASSWORD = opts.adminPassword;
  const proc = spawn(opts.bin || FERRY, ["server", "--host", "127.0.0.1", "--port", "0",
    "--backend-store-uri", "sqlite:///" + join(dir, "ferry.db"),
    "--artifacts-destination", join(dir, "artifacts"),
    // the seed's run whose files are a plain local directory keeps them in a temporary one
    "--allowed-artifact-roots", join(dir, "artifacts") + "," + tmpdir(),
    ...(opts.adminPassword ? ["--auth"] : [])],
    { stdio: ["ignore", "pipe", "pipe"], env });
  let stderr = "";
  proc.stderr.on("data", (d) => { stderr += d; });
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("ferry server did not start: " + stderr)), 30000);
    createInterface({ input: proc.stdout }).on("line", (line) => {
      const m = line.match(/http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) { clearTimeout(timer); ok(`http://127.0.0.1:${m[1]}/`); }
    });
    proc.on("exit", (code) => fail(new Error(`ferry server exited ${code}: ${stderr}`)));
  });
  return {
    url, dir,
    stderr: () => stderr,
    async stop() {
      proc.kill("SIGTERM");
      const code = await new Promise((ok) => proc.exitCode !== null ? ok(proc.exitCode) : proc.on("exit", ok));
      if (code !== 0) throw new Error(`ferry server exited ${code}: ${stderr}`);
    },
  };
}

// A copy of the ferry binary that anyone can run, in a 0755 directory: a
// server started as root runs what its triggers start (pipeline runs) as
// nobody, with this very binary, and a clone may sit in a directory only
// root can enter (tests/e2e/test_triggers.py's _reachable). dirs: the
// directories made, for the caller to remove.
export function reachableFerry(dirs) {
  const d = mkdtempSync(join(tmpdir(), "ferry-ui-bin-"));
  dirs.push(d);
  chmodSync(d, 0o755);
  copyFileSync(FERRY, join(d, "ferry"));
  chmodSync(join(d, "ferry"), 0o755);
  return join(d, "ferry");
}

// A REST path under the server's base: "api/..." as given, anything else
// an MLflow tracking path ("runs/create").
const restPath = (path) => (path.startsWith("api/") ? path : "api/2.0/mlflow/" + path);

// headers: e.g. basic(user, password) on a server with auth.
export async function api(base, path, body, method = "POST", headers = {}) {
  const r = await fetch(base + restPath(path), {
    method, headers: { ...headers, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? (typeof body === "string" ? body : JSON.stringify(body)) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

// The same call for each of bodies (no auth), at most `concurrency` at once
// over kept-alive connections, for seeding thousands of records: node's
// fetch spends about a millisecond of the test's CPU a request, as much as
// the sanitized server does, node:http a third of that. Resolves to the
// answers in the order of bodies; rejects on the first failure.
export async function apiMany(base, path, bodies, concurrency = 6) {
  const u = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const one = (body) => new Promise((ok, fail) => {
    const data = JSON.stringify(body);
    const req = http.request({ host: u.hostname, port: u.port, method: "POST", agent,
      path: u.pathname + restPath(path),
      headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => { text += d; });
      res.on("end", () => (res.statusCode === 200 ? ok(text ? JSON.parse(text) : {}) : fail(new Error(`${path}: ${res.statusCode} ${text}`))));
    });
    req.on("error", fail);
    req.end(data);
  });
  const out = new Array(bodies.length);
  let next = 0;
  const work = async () => {
    for (let i = next++; i < bodies.length; i = next++) out[i] = await one(bodies[i]);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, work));
  } finally {
    agent.destroy();
  }
  return out;
}

export const basic = (user, password) =>
  ({ Authorization: "Basic " + Buffer.from(`${user}:${password}`).toString("base64") });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true, timeout: 60000,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

// A page that records console errors and failed requests; check() throws
// if any happened (a test calls it at its end).
// The UI asks users/list once to learn whether to show the Admin link; its
// 404 (no auth) or 403 (not an admin) is expected, and the browser logs it.
// contextOpts: playwright's, e.g. { httpCredentials }.
export async function openPage(browser, t, contextOpts = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, ...contextOpts });
  const problems = [];
  page.on("console", (m) => m.type() === "error" && !m.location().url.includes("/api/2.0/ferry/users/list") &&
    problems.push("console: " + m.text()));
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("requestfailed", (r) => problems.push("request failed: " + r.url()));
  page.check = async (allow = []) => {
    const left = problems.filter((p) => !allow.some((a) => p.includes(a)));
    if (left.length) throw new Error(left.join("\n"));
  };
  return page;
}

// Runs body(page); on failure saves a screenshot named after the test.
// allow: console messages that are expected (a test that provokes an
// error answer makes the browser log the failed request).
export async function withPage(browser, t, body, allow = [], contextOpts = {}) {
  const page = await openPage(browser, t, contextOpts);
  try {
    await body(page);
    await page.check(allow);
  } catch (e) {
    mkdirSync(SHOTS, { recursive: true });
    const shot = join(SHOTS, t.name.replace(/[^a-z0-9]+/gi, "-") + ".png");
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    e.message += "\nscreenshot: " + shot;
    throw e;
  } finally {
    await page.close();
  }
}
