// SPDX-License-Identifier: MIT
// A deployment's monitoring (issue 18), its own page
// (#/deployments/<name>/monitoring?monitor=<monitor>[&alert=<id>], the
// alert's row marked and scrolled to): the deployment page
// already polls its live figures every few seconds and is long; monitoring
// reads stored windows, has several charts of its own and deserves a deep
// link an alert can point to.
//
// Per monitor (monitors/list?deployment=): its spec in brief; the share of
// drifted columns per window with the dataset-drift threshold (uPlot); the
// windows as a table, one picked (the newest judged by default); the picked
// window's report (monitors/report): per-column tests (sortable; a column's
// reference and current histograms overlaid on click), data quality and
// the checks it judged; the decay guards' metric per window with the
// guards' lines; the monitor's alerts with Acknowledge and Resolve (after a
// confirmation; the server's refusal shown) and each alert's deliveries.
//
// Shapes (src/api/monitors_ops.c, src/monitor/monitor_run.c,
// src/monitor/drift_report_json.c, src/api/alerts_ops.c): a report is
// {id, monitor, window_start_ms, window_end_ms, status: ok|insufficient|failed,
// n_rows, dataset_drift, share_of_drifted_columns, figures: {n_rows,
// share_of_drifted_columns, columns: {name: {stattest, score, drifted}},
// decay: {metric: value}, breached: [condition]}, error, report?: {window,
// min_rows, reference, drift: {dataset_drift, drift_share, columns: [...],
// data_quality: {...}, histograms: {column: {kind, edges|labels, reference,
// current}}}, conditions: [{condition, verdict, message}], decay: [{metric,
// verdict, targets: [{model, labeled, value, baseline, verdict, why}]}]}}.
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { html } from "./html.js";
import { ackAlert, alertDeliveries, getMonitorReport, listAlerts, listMonitorReports, listMonitors, resolveAlert } from "./api.js";
import { fmtTime, hashWith, navigate } from "./util.js";
import { Confirm, ErrorBox, useLoad } from "./widgets.js";
import { plotAxes, useTheme } from "./theme.js";

const REF_COLOR = "#1f77b4", CUR_COLOR = "#ff7f0e", BAD = "#b42318";

// Numbers as the tables show them: 4 significant digits, tiny ones in
// exponent form; null as a dash.
export function sig(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && a < 1e-4) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}
const pct = (v) => (typeof v === "number" && Number.isFinite(v) ? (100 * v).toFixed(v > 0 && v < 0.001 ? 3 : 1) + "%" : "–");

const EXAMPLE = (dep) => `name: ${dep}-drift
deployment: ${dep}
reference: {window: {last: 7d, ending: 1d}}   # or {run_artifact: "runs:/<run_id>/reference.csv"}
window: {last: 1h}
schedule: {every: 1h}
decay: {f1: {max_drop: 0.05}}                 # against the F1 the training run logged
sinks:
  - webhook: {url: "https://hooks.example.com/ferry", secret_env: FERRY_WEBHOOK_SECRET}`;

export function MonitoringPage({ name, query }) {
  const monitors = useLoad(() => listMonitors(name), [name]);
  const list = monitors.data || [];
  const wanted = query && query.get("monitor");
  const m = list.find((x) => x.name === wanted) || list[0];
  const focus = query && m && m.name === wanted ? Number(query.get("alert")) || null : null;
  const pick = (n) => navigate(hashWith(["deployments", name, "monitoring"], new URLSearchParams({ monitor: n })));
  return html`
    <div class="page wide monitoring">
      <p class="crumbs"><a href="#/deployments">Deployments</a> / <a href=${"#/deployments/" + encodeURIComponent(name)}>${name}</a> /</p>
      <h1>Monitoring</h1>
      <${ErrorBox} error=${monitors.error} />
      ${monitors.loading && !monitors.data ? html`<p class="loading">Loading monitors…</p>` : null}
      ${monitors.data && !list.length ? html`<div class="empty note" role="status">
        <p>No monitor watches ${name} yet. A monitor compares each window of the prediction log with a reference
        (Evidently's default drift tests per column), checks data quality and the model's metrics against guards,
        and opens alerts that its webhooks and commands are told about. Create one with${" "}
        <code>ferry monitors apply -f monitor.yaml</code>, for example:</p>
        <pre class="example">${EXAMPLE(name)}</pre>
        <p>Scheduled windows run inside <code>ferry server</code>; <code>ferry monitors run NAME</code> judges one now.</p></div>` : null}
      ${list.length > 1 ? html`<nav class="tabs" aria-label="Monitors">${list.map((x) => html`
        <button class=${"tab" + (x === m ? " current" : "")} aria-pressed=${x === m ? "true" : "false"} onClick=${() => pick(x.name)}>${x.name}</button>`)}</nav>` : null}
      ${m ? html`<${MonitorView} key=${m.name} m=${m} reloadMonitors=${monitors.reload} focus=${focus} />` : null}
    </div>`;
}

// The deployment page's way here, with how many alerts are active.
export function MonitoringLink({ name }) {
  const active = useLoad(() => listAlerts({ deployment: name, state: "active", max_results: 100 }), [name]);
  const n = active.data ? active.data.length : 0;
  return html`<p class="subnav"><a href=${"#/deployments/" + encodeURIComponent(name) + "/monitoring"}>Monitoring</a>: drift, data quality,
    decay and alerts${n ? html` · <strong class="bad">${n}${n === 100 ? "+" : ""} active alert${n === 1 ? "" : "s"}</strong>` : null}</p>`;
}

function refText(r) {
  if (!r) return "–";
  if (r.run_artifact) return r.run_artifact;
  if (r.dataset) return r.dataset;
  const w = r.window || {};
  if (w.last) return `the log's ${w.last} ending ${w.ending && w.ending !== "0s" ? w.ending + " before" : "at"} each window's end`;
  if (w.from || w.to) return `the log from ${fmtTime(w.from)} to ${fmtTime(w.to)}`;
  return JSON.stringify(r);
}

function guardText(g) {
  return Object.entries(g).map(([k, v]) => `${k.replace("_", " ")} ${v}`).join(", ");
}

function MonitorView({ m, reloadMonitors, focus }) {
  const s = m.spec, st = m.state || {};
  const reports = useLoad(() => listMonitorReports(m.name), [m.name, m.revision]);
  const [picked, setPicked] = useState(null);
  const [tick, setTick] = useState(0); // Refresh: the alerts too
  const all = reports.data || [];
  const newestOk = all.find((r) => r.status === "ok");
  const current = all.find((r) => r.window_start_ms === picked) || newestOk || all[0];
  const body = useLoad(() => (current ? getMonitorReport(m.name, current.window_start_ms) : Promise.resolve(null)),
    [m.name, current && current.window_start_ms]);
  const report = body.data && body.data.window_start_ms === (current && current.window_start_ms) ? body.data : null;
  const threshold = s.drift && typeof s.drift.drift_share === "number" ? s.drift.drift_share : 0.5;
  const decay = Object.entries(s.decay || {});
  return html`
    <section class="monitor" aria-label=${"Monitor " + m.name}>
      <h2>${m.name} <span class="count">revision ${m.revision}</span></h2>
      <dl class="facts">
        <div><dt>Window</dt><dd>${s.window && s.window.last_rows ? `last ${s.window.last_rows} rows` : `last ${(s.window || {}).last || "?"}`}${" "}
          · at least ${s.min_rows} rows</dd></div>
        <div><dt>Schedule</dt><dd>${s.schedule ? "every " + s.schedule.every : "on demand (ferry monitors run)"}</dd></div>
        <div><dt>Reference</dt><dd>${refText(s.reference)}</dd></div>
        <div><dt>Columns</dt><dd>${s.columns && s.columns.length ? s.columns.join(", ") : "the logged inputs the reference also has, and the prediction"}</dd></div>
        <div><dt>Dataset drift at</dt><dd>≥ ${pct(threshold)} of the columns drifted</dd></div>
        <div><dt>Decay guards</dt><dd>${decay.length ? decay.map(([k, g]) => `${k}: ${guardText(g)}`).join("; ") : "none"}</dd></div>
        <div><dt>Sinks</dt><dd>${(s.sinks || []).length ? s.sinks.map((k) => (k.webhook ? "webhook " + k.webhook.url : "command " + (k.command && k.command.path))).join(", ") : "none"}</dd></div>
        <div><dt>Last run</dt><dd>${st.last_run_ms ? html`${fmtTime(st.last_run_ms)} · <span class=${"status " + (st.last_status === "failed" ? "failed" : st.last_status === "ok" ? "finished" : "")}>${st.last_status}</span>` : "never"}
          ${st.run_id ? html` · <a href=${"#/experiments/0/runs/" + st.run_id} title="the monitoring run its figures are logged to">its run</a>` : null}</dd></div>
      </dl>
      ${st.last_error ? html`<p class="error">Last run failed: ${st.last_error}</p>` : null}
      <div class="toolbar"><button onClick=${() => { reloadMonitors(); reports.reload(); body.reload(); setTick(tick + 1); }}>Refresh</button></div>
      <${ErrorBox} error=${reports.error} />
      ${reports.loading && !reports.data ? html`<p class="loading">Loading windows…</p>` : null}
      ${reports.data && !all.length ? html`<p class="muted empty" role="status">No window judged yet. ${s.schedule
        ? `The server runs one every ${s.schedule.every}; ` : ""}<code>ferry monitors run ${m.name}</code> judges the latest window now.</p>` : null}
      ${all.length ? html`
        <section><h3>Drift share over time</h3>
          <${DriftChart} reports=${all} threshold=${threshold} onPick=${setPicked} /></section>
        <${Windows} reports=${all} current=${current} onPick=${setPicked} />
        <${ErrorBox} error=${body.error} />
        ${report ? html`<${WindowReport} r=${report} />` : body.loading ? html`<p class="loading">Loading the window's report…</p>` : null}
        <section><h3>Decay</h3>
          ${decay.length ? html`<${DecayChart} reports=${all} guards=${decay} body=${report && report.report} />`
            : html`<p class="muted">No decay guards. Add some to the spec, e.g. <code>decay: {f1: {min: 0.8}}</code> or${" "}
              <code>{max_drop: 0.05}</code> against the training run's metric; they need labels (<code>ferry feedback log</code>).</p>`}
        </section>` : null}
      <${AlertsPanel} monitor=${m.name} onPick=${setPicked} tick=${tick} focus=${focus}
        settled=${!!reports.data && (!all.length || !!report || !!body.error)} />
    </section>`;
}

// ------------------------------------------------------------------ charts

// A time chart: xs in seconds, series [{label, values, stroke, dash}].
function TimeChart({ xs, series, yLabel, testid, yRange, onPickIndex }) {
  const box = useRef(null);
  const pickRef = useRef(onPickIndex);
  pickRef.current = onPickIndex;
  const key = JSON.stringify([xs, series.map((s) => [s.label, s.values]), yRange]);
  const theme = useTheme();
  useEffect(() => {
    if (!box.current || !xs.length) return;
    // one window alone: an hour each side of it, not uPlot's years
    const opts = {
      width: Math.max(300, box.current.clientWidth || 600), height: 220,
      scales: { x: { time: true, ...(xs.length === 1 ? { range: () => [xs[0] - 3600, xs[0] + 3600] } : {}) },
        y: yRange ? { range: yRange } : {} },
      series: [{ label: "window end" }, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: s.dash ? 1 : 1.5,
        dash: s.dash, spanGaps: !!s.dash, points: { show: !s.dash, size: 6, fill: s.stroke } }))],
      axes: plotAxes(box.current, [{}, { label: yLabel }]),
      // a click picks the nearest window (uPlot's plotting area is u.over)
      hooks: { ready: [(u) => u.over.addEventListener("click", (e) => {
        const i = u.posToIdx(e.offsetX);
        if (pickRef.current && i >= 0 && i < xs.length) pickRef.current(i);
      })] },
    };
    const plot = new uPlot(opts, [xs, ...series.map((s) => s.values)], box.current);
    const onResize = () => plot.setSize({ width: box.current.clientWidth || 600, height: 220 });
    addEventListener("resize", onResize);
    return () => { removeEventListener("resize", onResize); plot.destroy(); };
  }, [key, theme]);
  return html`<div ref=${box} class="plot" data-testid=${testid}></div>`;
}

// Oldest window first, for the charts.
const chrono = (reports) => reports.slice().sort((a, b) => a.window_end_ms - b.window_end_ms);

function DriftChart({ reports, threshold, onPick }) {
  const rs = chrono(reports);
  const xs = rs.map((r) => r.window_end_ms / 1000);
  const share = rs.map((r) => (r.status === "ok" && typeof r.share_of_drifted_columns === "number" ? r.share_of_drifted_columns : null));
  return html`<figure class="chart drift-chart">
    <figcaption><span class="muted">share of drifted columns per window (points; gaps: windows not judged) against the
      dataset-drift threshold (dashed, ${pct(threshold)}); click a point for its window</span></figcaption>
    <${TimeChart} xs=${xs} testid="drift-chart" yLabel="share drifted" yRange=${[0, 1]} onPickIndex=${(i) => onPick(rs[i].window_start_ms)} series=${[
      { label: "share of drifted columns", values: share, stroke: REF_COLOR },
      { label: "threshold", values: xs.map(() => threshold), stroke: BAD, dash: [6, 4] }]} />
  </figure>`;
}

// The guards' lines of one metric: min and max as they are; max_drop and
// max_rise around the training run's value, which the window's report
// body names per target (the first target that has one).
function guardLines(g, body, metric) {
  const lines = [];
  if (typeof g.min === "number") lines.push({ label: "min", v: g.min });
  if (typeof g.max === "number") lines.push({ label: "max", v: g.max });
  const d = body && (body.decay || []).find((x) => x.metric === metric);
  const base = d && (d.targets || []).map((t) => t.baseline).find((b) => typeof b === "number");
  if (typeof base === "number") {
    if (typeof g.max_drop === "number") lines.push({ label: "training − max_drop", v: base - g.max_drop });
    if (typeof g.max_rise === "number") lines.push({ label: "training + max_rise", v: base + g.max_rise });
  }
  return { lines, base, d };
}

function DecayChart({ reports, guards, body }) {
  const [metric, setMetric] = useState(guards[0][0]);
  const g = (guards.find(([k]) => k === metric) || guards[0]);
  const m = g[0];
  const rs = chrono(reports);
  const xs = rs.map((r) => r.window_end_ms / 1000);
  const values = rs.map((r) => (r.figures && r.figures.decay && typeof r.figures.decay[m] === "number" ? r.figures.decay[m] : null));
  const { lines, base, d } = guardLines(g[1], body, m);
  const any = values.some((v) => v !== null);
  return html`<figure class="chart decay-chart">
    <figcaption>
      ${guards.length > 1 ? html`<label>Metric <select aria-label="Decay metric" value=${m} onChange=${(e) => setMetric(e.target.value)}>
        ${guards.map(([k]) => html`<option value=${k}>${k}</option>`)}</select></label>` : html`<strong>${m}</strong>`}
      <span class="muted">per window (the first target with enough labels) against its guard${lines.length > 1 ? "s" : ""}${" "}
        (${guardText(g[1])}${typeof base === "number" ? `; the training run logged ${sig(base)}` : ""})</span>
    </figcaption>
    ${any ? null : html`<p class="muted">No window has ${m} yet: it needs at least min_rows labeled rows in a window
      (<code>ferry feedback log</code>).</p>`}
    <${TimeChart} xs=${xs} testid="decay-chart" yLabel=${m} series=${[
      { label: m, values, stroke: "#2ca02c" },
      ...lines.map((l) => ({ label: l.label, values: xs.map(() => l.v), stroke: BAD, dash: [6, 4] }))]} />
    <details><summary>The numbers</summary><table class="grid decay-data"><thead><tr><th>Window end</th><th>${m}</th></tr></thead><tbody>
      ${rs.map((r, i) => html`<tr><td>${fmtTime(r.window_end_ms)}</td><td class="num">${sig(values[i])}</td></tr>`)}</tbody></table></details>
    ${d ? html`<table class="grid decay-targets"><caption class="muted">The picked window, per target</caption>
      <thead><tr><th>Target</th><th>Labeled</th><th>${m}</th><th>Training run</th><th>Verdict</th><th>Why</th></tr></thead><tbody>
      ${(d.targets || []).map((t) => html`<tr><td>${t.model}</td><td class="num">${t.labeled}</td><td class="num">${sig(t.value)}</td>
        <td class="num">${sig(t.baseline)}</td><td><${Verdict} v=${t.verdict} /></td><td class="reason">${t.why}</td></tr>`)}
    </tbody></table>` : null}
  </figure>`;
}

function Verdict({ v }) {
  return html`<span class=${"verdict " + v}>${v}</span>`;
}

// ----------------------------------------------------------------- windows

function Windows({ reports, current, onPick }) {
  return html`<section class="windows"><h3>Windows <span class="count">${reports.length}, newest first</span></h3>
    <div class="scroll windows-box"><table class="grid windows"><thead><tr><th>Window end</th><th>Rows</th><th>Status</th>
      <th>Drift share</th><th>Drifted</th><th>Breached</th></tr></thead><tbody>
      ${reports.map((r) => {
        const f = r.figures || {};
        const on = r === current;
        return html`<tr key=${r.window_start_ms} class=${on ? "picked" : null}>
          <td><button class=${"link" + (on ? " current" : "")} aria-pressed=${on ? "true" : "false"} onClick=${() => onPick(r.window_start_ms)}
            title=${"from " + fmtTime(r.window_start_ms)}>${fmtTime(r.window_end_ms)}</button></td>
          <td class="num">${r.n_rows}</td>
          <td><span class=${"status " + (r.status === "ok" ? "finished" : r.status === "failed" ? "failed" : "")}
            title=${r.error || ""}>${r.status}</span></td>
          <td class="num">${r.status === "ok" ? pct(r.share_of_drifted_columns) : "–"}</td>
          <td>${r.dataset_drift === true ? html`<strong class="bad">dataset drift</strong>` : r.dataset_drift === false ? "no" : "–"}
            ${typeof f.number_of_drifted_columns === "number" ? html` <span class="muted">(${f.number_of_drifted_columns} of ${f.number_of_columns})</span>` : null}</td>
          <td>${(f.breached || []).map((c) => html`<span class="pill bad">${c}</span>`)}</td>
        </tr>`;
      })}
    </tbody></table></div></section>`;
}

// The picked window's whole report.
function WindowReport({ r }) {
  const b = r.report || {};
  const drift = b.drift;
  const w = b.window || {};
  // a last_rows window: from its first row
  const start = w.first_row_ms && w.first_row_ms < r.window_start_ms ? w.first_row_ms : r.window_start_ms;
  return html`<section class="window-report" aria-label="Window report">
    <h3>Window ${fmtTime(start)} – ${fmtTime(r.window_end_ms)}</h3>
    <p class="muted">${r.n_rows} rows${w.corrupt_rows ? `, ${w.corrupt_rows} skipped (undecodable)` : ""}${b.reference
      ? ` against a reference of ${b.reference.n_rows} rows (${b.reference.kind === "window" ? `the log from ${fmtTime(b.reference.start_ms)} to ${fmtTime(b.reference.end_ms)}` : b.reference.uri})` : ""}.</p>
    ${r.status === "insufficient" ? html`<p class="note" role="status">Not judged: ${r.n_rows} rows, fewer than min_rows (${b.min_rows}).</p>` : null}
    ${r.status === "failed" ? html`<p class="error">The window failed: ${r.error}</p>` : null}
    ${drift ? html`
      <p class=${"verdict-line " + (drift.dataset_drift ? "bad" : "")}><strong>${drift.dataset_drift ? "Dataset drift" : "No dataset drift"}</strong>:${" "}
        ${drift.number_of_drifted_columns} of ${drift.number_of_columns} columns drifted (${pct(drift.share_of_drifted_columns)}; drift at ≥ ${pct(drift.drift_share)}).</p>
      <${ColumnsTable} drift=${drift} />
      <${Quality} q=${drift.data_quality} />` : null}
    ${(b.conditions || []).length ? html`<h4>Checks</h4><table class="grid checks"><thead><tr><th>Condition</th><th>Verdict</th><th>Why</th></tr></thead><tbody>
      ${b.conditions.map((c) => html`<tr class=${c.verdict === "breach" ? "breach" : null}><td>${c.condition}</td><td><${Verdict} v=${c.verdict} /></td>
        <td class="reason">${c.message}</td></tr>`)}</tbody></table>` : null}
  </section>`;
}

const SORTS = {
  name: (c) => c.name, kind: (c) => c.kind, stattest: (c) => c.stattest,
  statistic: (c) => (c.statistic === null ? Infinity : c.statistic), p_value: (c) => c.p_value,
  threshold: (c) => c.threshold, drifted: (c) => (c.drifted ? 1 : 0),
};
const HEADS = [["name", "Column"], ["kind", "Kind"], ["stattest", "Test"], ["statistic", "Statistic"], ["p_value", "p-value"],
  ["threshold", "Threshold"], ["drifted", "Drifted"]];

export function sortColumns(cols, key, dir) {
  const f = SORTS[key];
  const out = cols.slice();
  out.sort((a, b) => {
    const x = f(a), y = f(b);
    // a missing value (a distance test's p-value) sorts last either way
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
    if (y === null || y === undefined) return -1;
    const c = typeof x === "string" ? x.localeCompare(y) : x - y;
    return dir * c || a.name.localeCompare(b.name);
  });
  return out;
}

function ColumnsTable({ drift }) {
  const [sort, setSort] = useState({ key: null, dir: 1 });
  const [open, setOpen] = useState(null);
  const cols = sort.key ? sortColumns(drift.columns || [], sort.key, sort.dir) : drift.columns || [];
  const by = (k) => setSort(sort.key === k ? { key: k, dir: -sort.dir } : { key: k, dir: 1 });
  const aria = (k) => (sort.key === k ? (sort.dir > 0 ? "ascending" : "descending") : null);
  const mark = (k) => (sort.key === k ? (sort.dir > 0 ? " ▲" : " ▼") : "");
  const hist = open && drift.histograms && drift.histograms[open];
  return html`<h4>Columns <span class="count">click a column for its histograms</span></h4>
    <div class="scroll"><table class="grid drift-columns"><thead><tr>
      ${HEADS.map(([k, label]) => html`<th aria-sort=${aria(k)}><button class="sort" onClick=${() => by(k)}>${label}${mark(k)}</button></th>`)}
    </tr></thead><tbody>
      ${cols.map((c) => html`<tr key=${c.name} class=${(c.name === open ? "picked " : "") + (c.drifted ? "drifted" : "")}>
        <td><button class="link col" aria-expanded=${c.name === open ? "true" : "false"} onClick=${() => setOpen(c.name === open ? null : c.name)}>${c.name}</button></td>
        <td>${c.kind}</td><td>${c.stattest}</td>
        <td class="num">${c.statistic === null ? html`<span title="infinite: a category new in the window">∞</span>` : sig(c.statistic)}</td>
        <td class="num">${c.p_value === null ? html`<span class="muted" title="a distance test: no p-value">–</span>` : sig(c.p_value)}</td>
        <td class="num">${sig(c.threshold)}</td>
        <td>${c.drifted ? html`<strong class="bad">drifted</strong>` : "no"}</td>
      </tr>`)}
    </tbody></table></div>
    ${open ? html`<${Histogram} name=${open} h=${hist} />` : null}`;
}

// ------------------------------------------------------------- histograms

// A column's reference and current distributions on shared bins, as
// shares of each side's rows (the sides differ in size), overlaid: one
// translucent bar of each per bin. SVG: a few dozen bars need no canvas,
// and each bar says its numbers on hover.
export function Histogram({ name, h }) {
  if (!h) return html`<p class="muted">No histogram for ${name}.</p>`;
  const n = h.reference.length;
  const tot = (a) => a.reduce((s, x) => s + x, 0);
  const rt = tot(h.reference), ct = tot(h.current);
  const rs = h.reference.map((x) => x / (rt || 1)), cs = h.current.map((x) => x / (ct || 1));
  const top = Math.max(...rs, ...cs, 1e-9);
  const W = 640, H = 220, L = 44, B = h.labels ? 70 : 34, T = 8, R = 24;
  const bw = (W - L - R) / Math.max(n, 1);
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const bin = (i) => (h.labels ? h.labels[i] : `[${sig(h.edges[i])}, ${sig(h.edges[i + 1])}${i === n - 1 ? "]" : ")"}`);
  const ticks = [0, top / 2, top];
  const every = Math.max(1, Math.ceil(n / 10));
  return html`<figure class="chart histogram" aria-label=${"Histograms of " + name}>
    <figcaption><strong>${name}</strong>
      <span class="legend"><i style=${"background:" + REF_COLOR}></i> reference (${rt} values)</span>
      <span class="legend"><i style=${"background:" + CUR_COLOR}></i> current (${ct} values)</span>
      <span class="muted">share of each side's values per ${h.labels ? "category" : "bin"}</span></figcaption>
    <svg class="hist" viewBox=${`0 0 ${W} ${H}`} width=${W} height=${H} role="img" data-testid="histogram">
      ${ticks.map((t) => html`<g><line class="grid" x1=${L} x2=${W - R} y1=${y(t)} y2=${y(t)} />
        <text class="tick" x=${L - 4} y=${y(t) + 3} text-anchor="end">${(100 * t).toFixed(0)}%</text></g>`)}
      ${rs.map((v, i) => html`<rect class="ref" x=${L + i * bw + 1} y=${y(v)} width=${Math.max(bw - 2, 1)} height=${H - B - y(v)}
        fill=${REF_COLOR}><title>${bin(i)}: reference ${pct(v)} (${h.reference[i]})</title></rect>`)}
      ${cs.map((v, i) => html`<rect class="cur" x=${L + i * bw + 1} y=${y(v)} width=${Math.max(bw - 2, 1)} height=${H - B - y(v)}
        fill=${CUR_COLOR}><title>${bin(i)}: current ${pct(v)} (${h.current[i]})</title></rect>`)}
      <line class="axis" x1=${L} x2=${W - R} y1=${H - B} y2=${H - B} />
      ${h.labels ? h.labels.map((l, i) => html`<text class="tick" transform=${`translate(${L + (i + 0.5) * bw},${H - B + 10}) rotate(35)`}>${l.length > 14 ? l.slice(0, 13) + "…" : l}</text>`)
        : h.edges.map((e, i) => (i % every && i !== n ? null : html`<text class="tick" x=${L + i * bw} y=${H - B + 14} text-anchor="middle">${sig(e)}</text>`))}
    </svg>
    <details><summary>The counts</summary>
      <table class="grid hist-data"><thead><tr><th>${h.labels ? "Category" : "Bin"}</th><th>Reference</th><th>Current</th></tr></thead><tbody>
        ${rs.map((v, i) => html`<tr><td>${bin(i)}</td><td class="num">${h.reference[i]} (${pct(v)})</td><td class="num">${h.current[i]} (${pct(cs[i])})</td></tr>`)}
      </tbody></table></details>
  </figure>`;
}

// ------------------------------------------------------------ data quality

function Quality({ q }) {
  if (!q) return null;
  const cols = q.columns || [];
  return html`<h4>Data quality <span class="count">reference ${q.reference_rows} rows, window ${q.current_rows}</span></h4>
    ${(q.missing_in_current || []).length ? html`<p class="bad">Missing in the window: ${q.missing_in_current.join(", ")}</p>` : null}
    ${(q.missing_in_reference || []).length ? html`<p class="bad">Not in the reference: ${q.missing_in_reference.join(", ")}</p>` : null}
    <div class="scroll"><table class="grid quality"><thead><tr><th>Column</th><th>Type (reference → window)</th><th>Missing (reference)</th>
      <th>Missing (window)</th><th>Out of the reference's range</th><th>New categories</th><th>Note</th></tr></thead><tbody>
      ${cols.map((c) => html`<tr key=${c.name}>
        <td>${c.name}</td>
        <td class=${c.type_mismatch ? "bad" : null}>${c.type_mismatch ? html`<strong>${c.reference_dtype} → ${c.current_dtype}</strong>` : c.reference_dtype}</td>
        <td class="num">${pct(c.reference_missing_share)}</td>
        <td class=${"num" + (c.current_missing_share > c.reference_missing_share ? " worse" : "")}>${pct(c.current_missing_share)}</td>
        <td class="num">${typeof c.current_out_of_range === "number" ? html`${c.current_out_of_range} (${pct(c.current_out_of_range_share)})${" "}
          <span class="muted">outside [${sig(c.reference_min)}, ${sig(c.reference_max)}]</span>` : "–"}</td>
        <td>${typeof c.new_categories === "number" ? html`${c.new_categories}${c.new_categories ? html` (${pct(c.current_new_category_share)} of rows)${" "}
          <span class="muted">${(c.new_category_examples || []).join(", ")}</span>` : ""}` : "–"}</td>
        <td class="reason">${c.skipped ? "not tested: " + c.skipped : c.current_infinite ? `${c.current_infinite} infinite values` : ""}</td>
      </tr>`)}
    </tbody></table></div>`;
}

// ----------------------------------------------------------------- alerts

const STATES = [["", "any state"], ["active", "active"], ["open", "open"], ["acknowledged", "acknowledged"], ["resolved", "resolved"]];
const ALERT_ACTIONS = {
  ack: { label: "Acknowledge", title: "Acknowledge the alert", call: ackAlert,
    text: (a) => `Acknowledge alert #${a.id} (${a.condition})? It stays active until a window passes the condition or someone resolves it.` },
  resolve: { label: "Resolve", title: "Resolve the alert", call: resolveAlert,
    text: (a) => `Resolve alert #${a.id} (${a.condition}) now? The sinks are told; a later breach opens a new alert.` },
};

function AlertsPanel({ monitor, onPick, tick, focus, settled }) {
  const [state, setState] = useState("");
  const alerts = useLoad(() => listAlerts({ monitor, state: state || undefined, max_results: 200 }), [monitor, state, tick]);
  const [confirm, setConfirm] = useState(null);
  const [error, setError] = useState(null);
  const [open, setOpen] = useState(null);
  const act = async (what, a) => {
    setError(null);
    try {
      await ALERT_ACTIONS[what].call(a.id);
    } catch (e) {
      setError(e);
    }
    alerts.reload();
  };
  const list = alerts.data || [];
  // a link to one alert (the deployment page's list): its row in view, once
  // the window's report above it has been drawn (else it pushes the row out)
  const shownFocus = useRef(null);
  useEffect(() => {
    if (!focus || !settled || shownFocus.current === focus || !list.some((a) => a.id === focus)) return;
    shownFocus.current = focus;
    document.querySelector(`tr[data-alert="${focus}"]`)?.scrollIntoView({ block: "center" });
  }, [focus, settled, alerts.data]);
  return html`<section class="alerts"><h3>Alerts</h3>
    <div class="toolbar"><label>State <select aria-label="Alert state" value=${state} onChange=${(e) => setState(e.target.value)}>
      ${STATES.map(([v, l]) => html`<option value=${v}>${l}</option>`)}</select></label>
      <button onClick=${alerts.reload}>Refresh</button></div>
    <${ErrorBox} error=${error} />
    <${ErrorBox} error=${alerts.error} />
    ${alerts.data && !list.length ? html`<p class="muted empty">${state ? "No alert in this state." : "No alerts: no window has breached a condition."}</p>` : null}
    ${list.length ? html`<div class="scroll"><table class="grid alerts-table"><thead><tr><th>Alert</th><th>Condition</th><th>Severity</th><th>State</th>
      <th>Message</th><th>Opened</th><th>Last breached window</th><th>Breaches</th><th>Handled</th><th></th></tr></thead><tbody>
      ${list.map((a) => [html`<tr key=${a.id} class=${"alert " + a.state + (a.id === focus ? " focused" : "")} data-alert=${a.id}
        aria-current=${a.id === focus ? "true" : null}>
        <td class="num">#${a.id}</td><td>${a.condition}</td>
        <td><span class=${"severity " + a.severity}>${a.severity}</span></td>
        <td><span class=${"status alert-state " + a.state}>${a.state}</span></td>
        <td class="reason">${a.message}</td>
        <td>${fmtTime(a.opened_ms)}</td><td><button class="link" title="show this window's report" onClick=${() => { onPick(a.last_window_start_ms); document.querySelector("section.windows")?.scrollIntoView(); }}>${fmtTime(a.last_window_start_ms)}</button></td><td class="num">${a.breach_count}</td>
        <td class="reason">${a.acked_ms ? html`<div>acknowledged ${fmtTime(a.acked_ms)}${a.acked_by ? " by " + a.acked_by : ""}</div>` : null}
          ${a.resolved_ms ? html`<div>resolved ${fmtTime(a.resolved_ms)}${a.resolved_by ? " by " + (a.resolved_by === "monitor" ? "a passing window" : a.resolved_by) : ""}</div>` : null}</td>
        <td><div class="row-actions">
          ${a.state === "open" ? html`<button onClick=${() => setConfirm({ what: "ack", a })}>Acknowledge</button>` : null}
          ${a.state !== "resolved" ? html`<button onClick=${() => setConfirm({ what: "resolve", a })}>Resolve</button>` : null}
          <button aria-expanded=${open === a.id ? "true" : "false"} onClick=${() => setOpen(open === a.id ? null : a.id)}>Deliveries</button></div></td>
      </tr>`, open === a.id ? html`<tr key=${a.id + "/d"} class="detail-row"><td colspan="10"><${Deliveries} id=${a.id} /></td></tr>` : null])}
    </tbody></table></div>` : null}
    ${confirm ? html`<${Confirm} title=${ALERT_ACTIONS[confirm.what].title} yes=${ALERT_ACTIONS[confirm.what].label}
      text=${ALERT_ACTIONS[confirm.what].text(confirm.a)} onNo=${() => setConfirm(null)}
      onYes=${() => { const c = confirm; setConfirm(null); act(c.what, c.a); }} />` : null}
  </section>`;
}

function Deliveries({ id }) {
  const d = useLoad(() => alertDeliveries(id), [id]);
  const list = d.data || [];
  return html`<div class="detail deliveries" role="region" aria-label=${"Deliveries of alert " + id}>
    <${ErrorBox} error=${d.error} />
    ${d.loading && !d.data ? html`<p class="loading">Loading deliveries…</p>` : null}
    ${d.data && !list.length ? html`<p class="muted">No deliveries: the monitor has no sinks (webhook or command).</p>` : null}
    ${list.length ? html`<table class="grid deliveries-table"><thead><tr><th>Sink</th><th>Event</th><th>State</th><th>Attempts</th>
      <th>HTTP</th><th>Error</th><th>Queued</th><th>Next attempt</th><th>Delivered</th></tr></thead><tbody>
      ${list.map((x) => html`<tr key=${x.id}><td>${x.sink_kind} #${x.sink_index}</td><td>${x.event}</td>
        <td><span class=${"status " + (x.state === "delivered" ? "finished" : x.state === "failed" ? "failed" : "running")}>${x.state}</span></td>
        <td class="num">${x.attempt}</td><td class="num">${x.http_status || "–"}</td><td class="reason">${x.error}</td>
        <td>${fmtTime(x.created_ms)}</td><td>${x.state === "pending" ? fmtTime(x.next_attempt_ms) : "–"}</td><td>${fmtTime(x.delivered_ms)}</td></tr>`)}
    </tbody></table>` : null}
  </div>`;
}
