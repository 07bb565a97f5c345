// SPDX-License-Identifier: MIT
// A deployment's prediction log (issue 17), three panels of its page:
//  - the request log: logged rows filtered by target, label and status,
//    paged with the server's page tokens; a row opens its detail (inputs by
//    column, prediction, probabilities, label and the label's history);
//  - quality over time: one metric per target version, from the
//    performance answer's buckets (the server's hourly aggregates), drawn
//    with uPlot, its numbers also as a table;
//  - the A/B panel: each target's metric with its 95% interval, the
//    difference against the first target with its interval, p-value and
//    sample sizes, and a sentence saying it plainly.
// The numbers are the server's (deployments/performance computes them and
// the tests check them against sklearn and scipy); this file only shows them.
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { html } from "./html.js";
import { getPerformance, getPrediction, searchPredictions } from "./api.js";
import { fmtTime } from "./util.js";
import { ErrorBox, useLoad } from "./widgets.js";
import { plotAxes, useTheme } from "./theme.js";

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

// The metrics the chart offers, in this order, with which way is better.
// prop: a proportion (0..1), whose differences read as percentage points.
export const METRICS = {
  accuracy: { label: "accuracy", better: 1, prop: true },
  precision: { label: "precision", better: 1, prop: true },
  recall: { label: "recall", better: 1, prop: true },
  f1: { label: "F1", better: 1, prop: true },
  f1_macro: { label: "macro F1", better: 1, prop: true },
  roc_auc: { label: "ROC AUC", better: 1, prop: true },
  log_loss: { label: "log loss", better: -1 },
  mse: { label: "MSE", better: -1 },
  rmse: { label: "RMSE", better: -1 },
  mae: { label: "MAE", better: -1 },
  r2: { label: "R²", better: 1 },
  requests: { label: "requests", better: 0 },
  error_rate: { label: "error rate", better: -1, prop: true },
};
const QUALITY = ["accuracy", "precision", "recall", "f1", "f1_macro", "roc_auc", "log_loss", "rmse", "mae", "r2"];

export const num = (v, d = 3) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(d) : "–");
const pts = (v) => (100 * v).toFixed(1);
export function fmtP(p) {
  if (typeof p !== "number") return "–";
  if (p < 0.001) return "< 0.001";
  return String(Number(p.toFixed(3)));
}
const fmtVal = (v) => (v === undefined ? "" : v === null ? "null" : typeof v === "object" ? JSON.stringify(v) : String(v));

// A bucket's value of metric m: a quality metric, the request count or
// the error rate (figures).
function valueOf(b, m) {
  if (m === "requests") return b.figures && typeof b.figures.requests === "number" ? b.figures.requests : b.count;
  if (m === "error_rate") return b.figures ? b.figures.error_rate : undefined;
  return b.metrics ? b.metrics[m] : undefined;
}

// "fraud/2" -> how a sentence names a target: "v2" when every target is a
// version of one model, else "fraud/2".
export function shortNames(models) {
  const names = new Set(models.map((m) => m.slice(0, m.lastIndexOf("/"))));
  return (m) => (names.size === 1 ? "v" + m.slice(m.lastIndexOf("/") + 1) : m);
}

// The A/B answer (store/prediction_performance.h): per target after the
// first, {"model", "shadow", "baseline": "name/version", "n", "baseline_n",
// "note"?, and per metric {"value", "baseline", "interval",
// "baseline_interval", "delta", "delta_interval", "p_value", "n",
// "baseline_n", with "z" (two-proportion z-test), "t" (Welch) or
// "resamples" (bootstrap intervals, no test), "note"?}}. Flattened here to
// one row per target and metric.
export const AB_METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc", "mae", "mse"];
export function abRows(ab) {
  const out = [];
  for (const t of ab) {
    for (const m of AB_METRICS) {
      const x = t[m];
      if (!x) continue;
      out.push({ model: t.model, shadow: !!t.shadow, against: t.baseline, metric: m, value: x.value, interval: x.interval,
        baseline: x.baseline, baseline_interval: x.baseline_interval, diff: x.delta, diff_interval: x.delta_interval,
        pvalue: x.p_value, n: x.n ?? t.n, baseline_n: x.baseline_n ?? t.baseline_n, note: x.note,
        test: "z" in x ? "two-proportion z-test" : "t" in x ? "Welch's t-test" : "resamples" in x ? `bootstrap (${x.resamples} resamples)` : "" });
    }
  }
  return out;
}

// The plain sentence for one A/B row, e.g. "v2 is 1.3 points less
// accurate than v1 (95% CI -2.1 to -0.5), p = 0.002".
export function abSentence(a, name) {
  const M = METRICS[a.metric] || { label: a.metric, better: 0 };
  const d = a.diff;
  const who = name(a.model), base = name(a.against);
  if (typeof d !== "number") return `${who}'s ${M.label} cannot be compared with ${base}'s yet.`;
  const f = M.prop ? pts : (v) => num(v, 3);
  const size = M.prop ? `${pts(Math.abs(d))} point${pts(Math.abs(d)) === "1.0" ? "" : "s"}` : num(Math.abs(d), 3);
  let what;
  if (d === 0) what = a.metric === "accuracy" ? `${who} is as accurate as ${base}` : `${who}'s ${M.label} is the same as ${base}'s`;
  else if (a.metric === "accuracy") what = `${who} is ${size} ${d > 0 ? "more" : "less"} accurate than ${base}`;
  else {
    const better = M.better === 0 ? "" : (d > 0) === (M.better > 0) ? ", which is better" : ", which is worse";
    what = `${who}'s ${M.label} is ${size} ${d > 0 ? "higher" : "lower"} than ${base}'s${better}`;
  }
  const [lo, hi] = a.diff_interval || [];
  if (typeof lo === "number" && typeof hi === "number") what += ` (95% CI ${f(lo)} to ${f(hi)})`;
  else if (a.interval && a.baseline_interval && typeof a.interval[0] === "number" && typeof a.baseline_interval[0] === "number") {
    const g = (v) => num(v, 3);
    what += ` (95% intervals: ${who} ${g(a.interval[0])} to ${g(a.interval[1])}, ${base} ${g(a.baseline_interval[0])} to ${g(a.baseline_interval[1])})`;
  }
  if (typeof a.pvalue !== "number") return what + ".";
  return what + `, p ${a.pvalue < 0.001 ? "< 0.001" : "= " + fmtP(a.pvalue)}` +
    (a.pvalue >= 0.05 ? "; not a significant difference at the 5% level." : ".");
}

const targetLabel = (t) => t.model + (t.shadow ? " (shadow)" : "");

// ---------------------------------------------------------------- the log

const PAGE_SIZES = [25, 50, 100];

// targets: [{ model: "name/version", shadow }] the deployment's, for the filter.
export function RequestLog({ deployment, targets }) {
  const [filters, setFilters] = useState({ model: "", labeled: "", status: "" });
  const [size, setSize] = useState(50);
  const [tokens, setTokens] = useState([null]); // tokens[i]: page i's token
  const [pageNo, setPageNo] = useState(0);
  const [open, setOpen] = useState(null); // the request id shown in detail
  const token = tokens[pageNo];
  // the target filter's value is "name/version|shadow" (0 or 1): a version
  // may answer and shadow in the same deployment
  const [model, shadow] = filters.model ? filters.model.split("|") : [];
  const page = useLoad(() => searchPredictions({
    deployment, max_results: size, page_token: token || undefined, model, shadow: shadow && (shadow === "1" ? "true" : "false"),
    labeled: filters.labeled || undefined, status: filters.status || undefined,
  }), [deployment, filters.model, filters.labeled, filters.status, size, token]);
  // a page's next token opens the next page
  useEffect(() => {
    if (!page.data) return;
    const next = page.data.next_page_token || null;
    setTokens((t) => (t[pageNo + 1] === next && t.length === pageNo + 2) || (!next && t.length === pageNo + 1) ? t
      : [...t.slice(0, pageNo + 1), ...(next ? [next] : [])]);
  }, [page.data]);
  const set = (k) => (e) => {
    setFilters({ ...filters, [k]: e.target.value });
    setTokens([null]);
    setPageNo(0);
  };
  const rows = (page.data && page.data.predictions) || [];
  return html`
    <section class="plog"><h2>Request log</h2>
      <div class="toolbar" role="group" aria-label="Request log filters">
        <label>Target <select aria-label="Target" value=${filters.model} onChange=${set("model")}>
          <option value="">all</option>
          ${targets.map((t) => html`<option value=${t.model + "|" + (t.shadow ? 1 : 0)}>${targetLabel(t)}</option>`)}</select></label>
        <label>Label <select aria-label="Label" value=${filters.labeled} onChange=${set("labeled")}>
          <option value="">any</option><option value="true">labeled</option><option value="false">unlabeled</option></select></label>
        <label>Status <select aria-label="Status" value=${filters.status} onChange=${set("status")}>
          <option value="">any</option><option value="ok">ok</option><option value="failed">failed</option></select></label>
        <label>Rows <select aria-label="Rows per page" value=${size} onChange=${(e) => { setSize(Number(e.target.value)); setTokens([null]); setPageNo(0); }}>
          ${PAGE_SIZES.map((n) => html`<option value=${n}>${n}</option>`)}</select></label>
        <button onClick=${page.reload}>Refresh</button>
      </div>
      <${ErrorBox} error=${page.error} />
      ${page.loading && !page.data ? html`<p class="loading">Loading the log…</p>` : null}
      ${page.data && !rows.length ? html`<p class="muted empty">${pageNo || filters.model || filters.labeled || filters.status
        ? "No logged requests match." : "No logged requests yet. The gateway (ferry serve) logs each request it scores for this deployment."}</p>` : null}
      ${rows.length ? html`<div class="scroll"><table class="grid predictions" aria-busy=${page.loading ? "true" : "false"}><thead><tr><th>Time</th><th>Request</th><th>Target</th>
        <th>Status</th><th>Latency</th><th>Prediction</th><th>Label</th></tr></thead><tbody>
        ${rows.map((r) => [html`<tr key=${r.request_id} class=${r.request_id === open ? "picked" : null}>
          <td>${fmtTime(r.time)}</td>
          <td><button class="link rid" title=${r.request_id} aria-label=${"Request " + r.request_id}
            onClick=${() => setOpen(r.request_id === open ? null : r.request_id)}>${r.request_id}</button></td>
          <td>${r.model}${r.shadow ? html` <span class="pill muted">shadow</span>` : null}</td>
          <td><span class=${"status " + (r.status >= 200 && r.status < 300 ? "finished" : "failed")}>${r.status}</span></td>
          <td class="num">${typeof r.latency_ms === "number" ? r.latency_ms.toFixed(2) + " ms" : ""}</td>
          <td class="num">${r.corrupt ? html`<span class="bad">corrupt</span>` : fmtVal(r.prediction)}</td>
          <td class="num">${r.label === undefined ? html`<span class="muted">–</span>` : fmtVal(r.label)}</td>
        </tr>`, r.request_id === open ? html`<tr key=${r.request_id + "/detail"} class="detail-row"><td colspan="7">
          <${RequestDetail} deployment=${deployment} id=${open} onClose=${() => setOpen(null)} /></td></tr>` : null])}
        </tbody></table></div>` : null}
      ${page.data && (pageNo > 0 || tokens.length > pageNo + 1) ? html`<nav class="pager" aria-label="Log pages">
        <button disabled=${pageNo === 0} onClick=${() => setPageNo(pageNo - 1)}>← Previous</button>
        <span>Page ${pageNo + 1} · rows ${pageNo * size + (rows.length ? 1 : 0)}–${pageNo * size + rows.length}</span>
        <button disabled=${tokens.length <= pageNo + 1} onClick=${() => setPageNo(pageNo + 1)}>Next →</button>
      </nav>` : null}
    </section>`;
}

function RequestDetail({ deployment, id, onClose }) {
  const got = useLoad(() => getPrediction({ deployment, request_id: id }), [deployment, id]);
  const ref = useRef(null);
  useEffect(() => { ref.current && ref.current.focus(); }, [id]);
  const p = got.data && got.data.prediction;
  const history = (got.data && got.data.label_history) || [];
  const probs = p && p.probabilities ? Object.entries(p.probabilities) : [];
  return html`
    <div class="detail" role="region" aria-label="Request detail" tabindex="-1" ref=${ref}>
      <div class="toolbar"><h3>Request <code>${id}</code></h3><button onClick=${onClose} aria-label="Close the detail">Close</button></div>
      <${ErrorBox} error=${got.error} />
      ${got.loading && !p ? html`<p class="loading">Loading…</p>` : null}
      ${p ? html`
        <dl class="facts">
          <div><dt>Time</dt><dd>${fmtTime(p.time)}</dd></div>
          <div><dt>Target</dt><dd>${p.model}${p.shadow ? " (shadow)" : ""} · revision ${p.revision}</dd></div>
          <div><dt>Status · latency</dt><dd>${p.status} · ${typeof p.latency_ms === "number" ? p.latency_ms.toFixed(2) + " ms" : "–"}</dd></div>
          ${p.caller_request_id ? html`<div><dt>Caller's request id</dt><dd>${p.caller_request_id}</dd></div>` : null}
          ${p.tags && Object.keys(p.tags).length ? html`<div><dt>Tags</dt><dd>${Object.entries(p.tags).map(([k, v]) => html`<span class="pill">${k}=${v}</span>`)}</dd></div>` : null}
        </dl>
        ${p.corrupt ? html`<p class="error">This row's stored values do not decode.</p>` : null}
        <div class="cols">
          <div><h3>Inputs</h3>
            ${p.inputs && Object.keys(p.inputs).length ? html`<table class="kv inputs"><tbody>
              ${Object.entries(p.inputs).map(([k, v]) => html`<tr><th>${k}</th><td>${fmtVal(v)}</td></tr>`)}</tbody></table>`
              : html`<p class="muted">None logged.</p>`}</div>
          <div><h3>Output</h3>
            <table class="kv outputs"><tbody>
              <tr><th>Prediction</th><td>${p.prediction === undefined ? html`<span class="muted">none (the request failed)</span>` : fmtVal(p.prediction)}</td></tr>
              ${probs.map(([c, v]) => html`<tr class="proba"><th>P(${c})</th><td>${num(v, 4)} <span class="bar" style=${`width:${Math.round(60 * v)}px`}></span></td></tr>`)}
            </tbody></table></div>
          <div><h3>Label</h3>
            ${p.label === undefined ? html`<p class="muted">Not labeled yet.</p>`
              : html`<p class="label"><strong>${fmtVal(p.label)}</strong> <span class="muted">given ${fmtTime(p.label_time)}</span></p>`}
            ${history.length ? html`<table class="grid label-history"><thead><tr><th>Time</th><th>Label</th><th>Replaced</th><th>User</th></tr></thead><tbody>
              ${history.map((h) => html`<tr><td>${fmtTime(h.time)}</td><td>${fmtVal(h.label)}</td>
                <td>${h.previous === undefined || h.previous === null ? html`<span class="muted">–</span>` : fmtVal(h.previous)}</td>
                <td>${h.user_id || html`<span class="muted">–</span>`}</td></tr>`)}</tbody></table>` : null}
          </div>
        </div>` : null}
    </div>`;
}

// ------------------------------------------------------- quality over time

const RANGES = [
  { key: "24h", ms: 24 * 3600e3, bucket: "1h", label: "last 24 hours" },
  { key: "7d", ms: 7 * 24 * 3600e3, bucket: "1h", label: "last 7 days" },
  { key: "30d", ms: 30 * 24 * 3600e3, bucket: "1d", label: "last 30 days" },
];

// One deployment's performance: the chart over time and the A/B panel.
// primaries: how many targets (not shadows) the deployment's spec has.
export function QualityPanels({ deployment, primaries }) {
  const [range, setRange] = useState("24h");
  const [exact, setExact] = useState(false);
  const R = RANGES.find((r) => r.key === range);
  const perf = useLoad(() => {
    const end = Date.now(), start = end - R.ms;
    return getPerformance({ name: deployment, start_time: start, end_time: end, bucket: R.bucket, exact: exact ? "true" : undefined })
      .then((r) => ({ ...r, range: [(r.start_time || start) / 1000, (r.end_time || end) / 1000] })); // as widened to whole hours
  }, [deployment, range, exact]);
  // the spec's targets come back with zero counts when nothing was logged
  const targets = ((perf.data && perf.data.targets) || []).filter((t) => t.count > 0);
  return html`
    <section class="quality"><h2>Quality over time</h2>
      <div class="toolbar" role="group" aria-label="Performance range">
        <label>Range <select aria-label="Range" value=${range} onChange=${(e) => setRange(e.target.value)}>
          ${RANGES.map((r) => html`<option value=${r.key}>${r.label}</option>`)}</select></label>
        <label title="compute from the raw rows rather than the hourly aggregates (exact AUC; slower)">
          <input type="checkbox" checked=${exact} onChange=${(e) => setExact(e.target.checked)} /> exact</label>
        <button onClick=${perf.reload}>Refresh</button>
      </div>
      <${ErrorBox} error=${perf.error} />
      ${perf.loading && !perf.data ? html`<p class="loading">Loading performance…</p>` : null}
      ${perf.data && !targets.length ? html`<p class="muted empty">Nothing logged in this range.</p>` : null}
      ${targets.length ? html`<${Summary} targets=${targets} /><${QualityChart} targets=${targets} range=${perf.data.range} />` : null}
    </section>
    <section class="ab"><h2>A/B comparison</h2>
      ${perf.data ? html`<${ABPanel} primaries=${primaries} ab=${perf.data.ab || []} logged=${targets.length > 0} />` : null}
    </section>`;
}

// Per target: counts and every metric over the whole range.
function Summary({ targets }) {
  const ms = QUALITY.filter((m) => targets.some((t) => t.metrics && typeof t.metrics[m] === "number"));
  return html`<div class="scroll"><table class="grid perf-summary"><thead><tr><th>Target</th><th>Rows</th><th>Labeled</th>
    <th>Error rate</th>${ms.map((m) => html`<th>${METRICS[m].label}</th>`)}</tr></thead><tbody>
    ${targets.map((t) => html`<tr key=${targetLabel(t)}><td>${targetLabel(t)}</td><td class="num">${t.count}</td><td class="num">${t.labeled}</td>
      <td class="num">${t.figures && typeof t.figures.error_rate === "number" ? (100 * t.figures.error_rate).toFixed(1) + "%" : "–"}</td>
      ${ms.map((m) => html`<td class="num">${num(t.metrics && t.metrics[m], 4)}</td>`)}</tr>`)}
  </tbody></table></div>`;
}

// range: [start, end] in seconds, the x axis (a single bucket would
// otherwise stretch it over years).
function QualityChart({ targets, range }) {
  const avail = [...QUALITY, "requests", "error_rate"].filter((m) => m === "requests" || m === "error_rate" ||
    targets.some((t) => (t.buckets || []).some((b) => typeof valueOf(b, m) === "number")));
  const [metric, setMetric] = useState(null);
  const m = avail.includes(metric) ? metric : avail[0];
  // x: every bucket start (s); one column per target
  const xs = [...new Set(targets.flatMap((t) => (t.buckets || []).map((b) => b.start_time / 1000)))].sort((a, b) => a - b);
  const cols = targets.map((t) => {
    const by = new Map((t.buckets || []).map((b) => [b.start_time / 1000, valueOf(b, m)]));
    return xs.map((x) => (typeof by.get(x) === "number" ? by.get(x) : null));
  });
  const box = useRef(null);
  const key = m + "|" + JSON.stringify(cols) + xs.join(",") + "|" + range.join(",");
  const theme = useTheme();
  useEffect(() => {
    if (!box.current || !xs.length) return;
    const opts = {
      width: Math.max(300, box.current.clientWidth || 600), height: 240,
      scales: { x: { time: true, range: () => range } },
      series: [{ label: "time" }, ...targets.map((t, i) => ({ label: targetLabel(t), stroke: COLORS[i % COLORS.length], width: 1.5,
        points: { show: true, size: 5, fill: COLORS[i % COLORS.length] } }))],
      axes: plotAxes(box.current, [{}, { label: METRICS[m].label }]),
    };
    const plot = new uPlot(opts, [xs, ...cols], box.current);
    const onResize = () => plot.setSize({ width: box.current.clientWidth || 600, height: 240 });
    addEventListener("resize", onResize);
    return () => { removeEventListener("resize", onResize); plot.destroy(); };
  }, [key, theme]);
  const cell = (v) => (v === null ? "–" : m === "requests" ? String(v) : m === "error_rate" ? (100 * v).toFixed(1) + "%" : num(v, 4));
  return html`
    <figure class="chart quality-chart">
      <figcaption>
        <label>Metric <select aria-label="Metric" value=${m} onChange=${(e) => setMetric(e.target.value)}>
          ${avail.map((k) => html`<option value=${k}>${METRICS[k].label}</option>`)}</select></label>
        <span class="muted">per bucket, by target version</span>
      </figcaption>
      ${xs.length ? null : html`<p class="muted">No bucket has this metric yet.</p>`}
      <div ref=${box} class="plot" data-testid="quality-chart"></div>
      <details><summary>The numbers</summary>
        <table class="grid quality-data"><thead><tr><th>Bucket start</th>${targets.map((t) => html`<th>${targetLabel(t)}</th>`)}</tr></thead><tbody>
          ${xs.map((x, i) => html`<tr><td>${fmtTime(x * 1000)}</td>${cols.map((c) => html`<td class="num">${cell(c[i])}</td>`)}</tr>`)}
        </tbody></table></details>
    </figure>`;
}

export function ABPanel({ primaries, ab, logged }) {
  const all = abRows(ab);
  const metrics = AB_METRICS.filter((m) => all.some((a) => a.metric === m));
  const [metric, setMetric] = useState(null);
  const notes = ab.filter((t) => t.note);
  if (!all.length) return html`<p class="muted empty">${primaries < 2
    ? "An A/B comparison needs two or more targets (shadows aside); this deployment has one."
    : "Nothing to compare in this range yet: the targets' metrics and their differences appear here once logged " +
      "requests have labels (ferry feedback log, or POST /api/2.0/ferry/feedback/log)."}</p>
    ${logged ? notes.map((t) => html`<p class="muted">${t.model}: ${t.note}</p>`) : null}`;
  const m = metrics.includes(metric) ? metric : metrics[0];
  const rows = all.filter((a) => a.metric === m);
  const name = shortNames([...rows.map((a) => a.model), ...rows.map((a) => a.against)]);
  const base = rows[0];
  const ci = (iv, f) => (iv && typeof iv[0] === "number" && typeof iv[1] === "number" ? `${f(iv[0])} to ${f(iv[1])}` : "–");
  const f4 = (v) => num(v, 4);
  const label = (METRICS[m] || { label: m }).label;
  return html`
    <div class="toolbar"><label>Metric <select aria-label="A/B metric" value=${m} onChange=${(e) => setMetric(e.target.value)}>
      ${metrics.map((k) => html`<option value=${k}>${(METRICS[k] || { label: k }).label}</option>`)}</select></label>
      <span class="muted">each target against the first, ${base.against}; 95% intervals</span></div>
    <div class="scroll"><table class="grid ab-table"><thead><tr><th>Target</th><th>${label}</th><th>95% CI</th><th>n</th>
      <th>Difference</th><th>95% CI of the difference</th><th>p-value</th><th>Test</th></tr></thead><tbody>
      <tr class="baseline"><td>${base.against} <span class="muted">(baseline)</span></td><td class="num">${f4(base.baseline)}</td>
        <td class="num">${ci(base.baseline_interval, f4)}</td><td class="num">${base.baseline_n ?? "–"}</td><td colspan="4"></td></tr>
      ${rows.map((a) => html`<tr key=${a.model + (a.shadow ? "/shadow" : "")}><td>${a.model}${a.shadow ? html` <span class="muted">(shadow)</span>` : null}</td>
        <td class="num">${f4(a.value)}</td><td class="num">${ci(a.interval, f4)}</td>
        <td class="num">${a.n ?? "–"}</td><td class="num">${typeof a.diff === "number" ? (a.diff > 0 ? "+" : "") + f4(a.diff) : "–"}</td>
        <td class="num">${ci(a.diff_interval, f4)}</td><td class="num">${fmtP(a.pvalue)}</td><td class="muted">${a.test}</td></tr>`)}
    </tbody></table></div>
    <ul class="ab-sentences">${rows.map((a) => html`<li>${abSentence(a, name)}${a.note ? html` <span class="muted">(${a.note})</span>` : null}</li>`)}</ul>
    ${notes.map((t) => html`<p class="muted">${t.model}: ${t.note}</p>`)}`;
}
