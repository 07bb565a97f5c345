// SPDX-License-Identifier: MIT
// The chart view of an experiment's runs (#/experiments/<ids>/charts?filter=):
// the newest runs that match the filter, one chart per chosen metric (which
// and in what order is remembered per experiment in localStorage), every
// run a line in its own colour, or runs grouped by a param or tag drawn as
// each group's mean with a min-max band. Smoothing, log scale, x as step,
// wall time or time since the run's start; hover lists every line's value
// at that x; each chart exports as PNG and CSV. Below, a param against a
// metric's final value (charts_scatter.js) and parallel coordinates of the
// params and the charted metrics' final values (charts_parallel.js).
//
// Histories come from ferry's metrics/get-histories-downsampled, CHUNK runs
// a request (at most IN_FLIGHT at once across all the charts), in about two
// points a pixel of the chart's width: each bucket's lowest and highest
// value, so a spike survives where a sampling of steps (MLflow's
// get-history-bulk-interval) would skip it. Its answer is columns (steps,
// timestamps, values), half the bytes of one object a point, and a browser
// pays for each request and each byte: 50 runs of 10,000 steps are 5
// requests of 10 runs of ~2,000 points, where one request a run took 0.8 s
// of a 1 s budget. The runs' points then share one x axis (alignRuns in
// chart_math.js).
//
// For tests and the console: window.ferryCharts maps each drawn metric key
// to its uPlot instance (u.data, u.series[i].label); an entry goes when its
// chart does.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { html } from "./html.js";
import { get, post } from "./api.js";
import { fmtNum, hashWith, loadStored, navigate, saveStored } from "./util.js";
import { ErrorBox, useLoad } from "./widgets.js";
import { ParamScatter } from "./charts_scatter.js";
import { Parallel } from "./charts_parallel.js";
import { alignRuns, ema, fillGaps, groupStats, positiveOnly, toCSV } from "./chart_math.js";
import { groupRuns } from "./runs_groups.js";
import { runColor } from "./colors.js";
import { plotAxes, useTheme } from "./theme.js";

// Requests for histories in flight at once, for all charts together: as
// many as a browser opens to one host, so none waits in the browser, where
// a queued request could not be dropped.
const IN_FLIGHT = 6;
const SERVER_MAX_POINTS = 100000; // get-histories-downsampled's limit a run
// Runs a request: several requests keep both the server's cores and the
// browser's connections busy, and 10 x 100,000 points stay within the
// server's 1,000,000 points a request.
const CHUNK = 10;
const DEFAULT_RUNS = 50, MAX_RUNS = 100;
const DEFAULT_METRICS = 12; // charted when the user has not chosen
const GROUP_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

// The runs grouped as the runs table groups them (runs_groups.js: by value,
// "(none)" last), each group with its runs' ids, which the chart needs:
// [{ id, value, label, runs, runIds }].
const chartGroups = (runs, by) => groupRuns(runs, by).map((g) => ({ ...g, runIds: g.runs.map((r) => r.info.run_id) }));

// The link to this page, for the runs table and elsewhere.
export function chartsHash(experimentIds, filter) {
  const q = new URLSearchParams();
  if (filter) q.set("filter", filter);
  return hashWith(["experiments", [].concat(experimentIds).join(","), "charts"], q);
}

// Any CSS colour with alpha a, through a canvas (which normalises it).
let probe = null;
function withAlpha(color, a) {
  probe = probe || document.createElement("canvas").getContext("2d");
  probe.fillStyle = "#000";
  probe.fillStyle = color;
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(probe.fillStyle);
  return m ? `rgba(${parseInt(m[1], 16)}, ${parseInt(m[2], 16)}, ${parseInt(m[3], 16)}, ${a})` : probe.fillStyle;
}

const runName = (r) => r.info.run_name || r.info.run_id;
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

// The chosen metrics of these experiments, in their order; null when none
// was chosen (or storage is unavailable).
const storeKey = (ids) => "ferry.charts.metrics." + ids.join(",");
function loadChoice(ids) {
  const v = loadStored(storeKey(ids), null);
  return Array.isArray(v) ? v.filter((k) => typeof k === "string") : null;
}
const saveChoice = (ids, keys) => saveStored(storeKey(ids), keys);

// The queue of history requests: fn runs when fewer than IN_FLIGHT are out;
// one whose job is over by then (job.dead: its chart left or asks for other
// runs; job.failed: another of its requests failed) is dropped, not sent.
let inFlight = 0;
const waiting = [];
const STALE = new Error("stale");
function queued(job, fn) {
  return new Promise((ok, fail) => {
    waiting.push({ job, fn, ok, fail });
    pump();
  });
}
function pump() {
  while (inFlight < IN_FLIGHT && waiting.length) {
    const w = waiting.shift();
    if (w.job.dead || w.job.failed) {
      w.fail(STALE);
      continue;
    }
    inFlight++;
    w.fn().then(w.ok, w.fail).finally(() => {
      inFlight--;
      pump();
    });
  }
}

// The points a history is asked in for a chart this wide (CSS pixels):
// two a pixel, the lowest and highest of its bucket.
const pointsFor = (width) => Math.min(SERVER_MAX_POINTS, Math.max(200, 2 * Math.round(width)));
const plotWidth = (el) => Math.max(280, (el && el.clientWidth) || 500);

// One metric of all runs, downsampled to maxPoints each: Map runId ->
// {steps, timestamps, values} (alignRuns' columns, as the server answers).
async function loadMetric(runIds, key, maxPoints, job) {
  const chunks = [];
  for (let i = 0; i < runIds.length; i += CHUNK) chunks.push(runIds.slice(i, i + CHUNK));
  const answers = await Promise.all(chunks.map((ids) => queued(job, () => get("api/2.0/ferry/metrics/get-histories-downsampled",
    { run_ids: ids, metric_key: key, max_points: maxPoints })).catch((e) => {
    job.failed = true;
    throw e;
  })));
  const byRun = new Map();
  for (const a of answers) for (const h of a.histories || []) byRun.set(h.run_id, h);
  return byRun;
}

// What a chart draws: uPlot's data and series, the bands, and the CSV's
// columns (one per run or group, before the log scale's gaps).
// maxSlots: the most xs (see alignRuns).
export function buildChart(runs, byRun, { xMode, smoothing, log, groupBy }, maxSlots = Infinity) {
  const ids = runs.map((r) => r.info.run_id);
  const aligned = alignRuns(byRun, ids, xMode, maxSlots);
  const xs = aligned[0];
  const cols = aligned.slice(1).map((ys) => ema(ys, smoothing));
  const draw = log ? positiveOnly : (ys) => ys;
  const series = [], data = [xs], bands = [], csvHeader = [xMode === "step" ? "step" : xMode === "time" ? "time (s)" : "relative time (s)"], csv = [xs];
  if (!groupBy) {
    runs.forEach((r, i) => {
      const color = runColor(r.info.run_id);
      series.push({ label: runName(r), stroke: color, width: 1.5, spanGaps: true, _color: color, _key: r.info.run_id });
      data.push(draw(cols[i]));
      csvHeader.push(runName(r));
      csv.push(cols[i]);
    });
  } else {
    const at = new Map(ids.map((id, i) => [id, i]));
    // a run's gaps (x where only other runs have points) bridged, so that
    // each x's mean and band take every run that spans it
    const filled = cols.map((ys) => fillGaps(xs, ys));
    chartGroups(runs, groupBy).forEach((g, gi) => {
      const st = groupStats(g.runIds.map((id) => filled[at.get(id)]));
      const color = GROUP_COLORS[gi % GROUP_COLORS.length];
      const label = `${groupBy.replace(/^(params|tags)\./, "")}=${g.label}`;
      const base = data.length;
      series.push({ label, stroke: color, width: 2, spanGaps: true, _color: color, _group: g, _key: "group:" + g.id },
        { label: label + " max", stroke: "rgba(0,0,0,0)", spanGaps: true, points: { show: false }, _band: true },
        { label: label + " min", stroke: "rgba(0,0,0,0)", spanGaps: true, points: { show: false }, _band: true });
      data.push(draw(st.mean), draw(st.max), draw(st.min));
      bands.push({ series: [base + 1, base + 2], fill: withAlpha(color, 0.18) });
      csvHeader.push(`${label} (mean of ${g.runIds.length})`);
      csv.push(st.mean);
    });
  }
  // nothing left to draw: e.g. only values <= 0 on a log scale
  const empty = data.slice(1).every((ys) => ys.every((y) => y === null));
  return { data, series, bands, csvHeader, csv, empty };
}

function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

const fileName = (key, ext) => key.replace(/[^A-Za-z0-9._-]+/g, "_") + "." + ext;

// The plot's canvas on an opaque background, under the metric's name and
// above a legend of its lines (so the image explains itself).
function exportPng(u, title) {
  const src = u.ctx.canvas;
  const px = devicePixelRatio || 1;
  const pad = Math.round(28 * px), font = Math.round(12 * px), gap = Math.round(14 * px), sw = Math.round(10 * px);
  const c = document.createElement("canvas");
  const ctx = c.getContext("2d");
  const body = getComputedStyle(document.body);
  // the legend's items laid out in rows across the image's width
  ctx.font = `${font}px system-ui, sans-serif`;
  const items = [];
  let x = pad / 3, row = 0;
  for (const s of u.series.slice(1)) {
    if (s._band) continue;
    const w = sw + 4 * px + ctx.measureText(s.label).width;
    if (x + w > src.width && x > pad / 3) {
      x = pad / 3;
      row++;
    }
    items.push({ s, x, row });
    x += w + gap;
  }
  const lineH = Math.round(font * 1.5);
  c.width = src.width;
  c.height = pad + src.height + (items.length ? (row + 1) * lineH + lineH / 2 : 0);
  ctx.fillStyle = body.backgroundColor || "#fff";
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.fillStyle = body.color || "#000";
  ctx.font = `600 ${Math.round(pad * 0.5)}px system-ui, sans-serif`;
  ctx.fillText(title, pad / 3, pad * 0.7);
  ctx.drawImage(src, 0, pad);
  ctx.font = `${font}px system-ui, sans-serif`;
  for (const it of items) {
    const y = pad + src.height + it.row * lineH + lineH / 2;
    ctx.fillStyle = it.s._color;
    ctx.fillRect(it.x, y, sw, sw);
    ctx.fillStyle = body.color || "#000";
    ctx.fillText(it.s.label, it.x + sw + 4 * px, y + sw - px);
  }
  c.toBlob((b) => b && download(b, fileName(title, "png")), "image/png");
}

// The hover readout: every line's value at the cursor's x, highest first.
function readout(u, tip, xMode) {
  const i = u.cursor.idx;
  if (i === null || i === undefined || u.cursor.left < 0) {
    tip.hidden = true;
    return;
  }
  const x = u.data[0][i];
  const xs = xMode === "step" ? "step " + fmtNum(x) : xMode === "time" ? new Date(x * 1000).toLocaleString() : fmtNum(x) + " s";
  const rows = [];
  u.series.forEach((s, k) => {
    if (!k || s._band) return;
    const y = u.data[k][i];
    if (y === null || y === undefined) return;
    const range = s._group ? ` <span class="muted">[${esc(fmtNum(u.data[k + 2][i]))}, ${esc(fmtNum(u.data[k + 1][i]))}]</span>` : "";
    rows.push([y, `<li><i style="background:${esc(s._color)}"></i>${esc(s.label)} <b>${esc(fmtNum(y))}</b>${range}</li>`]);
  });
  rows.sort((a, b) => b[0] - a[0]);
  tip.innerHTML = `<div class="at">${esc(xs)}</div><ul${rows.length > 16 ? ' class="many"' : ""}>${rows.map((r) => r[1]).join("")}</ul>`;
  tip.hidden = false;
  const box = u.over.getBoundingClientRect();
  const left = u.cursor.left + 16;
  tip.style.left = (left + tip.offsetWidth > box.width ? Math.max(0, u.cursor.left - tip.offsetWidth - 16) : left) + u.over.offsetLeft + "px";
  tip.style.top = u.over.offsetTop + 4 + "px";
}

// focus: the run id (or "group:" + the group's id) to highlight, the others
// dimmed; maxPoints: what the histories were asked in; fig: the panel's ref
// to the figure.
function MetricChart({ metric, runs, byRun, maxPoints, opts, focus, fig }) {
  const box = useRef(null);
  const tip = useRef(null);
  const plot = useRef(null);
  const built = useMemo(() => buildChart(runs, byRun, opts, maxPoints), [runs, byRun, opts, maxPoints]);
  const theme = useTheme();
  useEffect(() => {
    if (!box.current) return;
    const width = () => plotWidth(box.current);
    const x0 = built.data[0];
    let inside = false;
    const u = new uPlot({
      width: width(), height: 260,
      // one x alone (a single step) gets a unit's room around it, not a day or years
      scales: { x: { time: opts.xMode === "time", ...(x0.length === 1 ? { auto: false, range: [x0[0] - 1, x0[0] + 1] } : {}) },
        y: { distr: opts.log ? 3 : 1 } },
      series: [{ label: "x" }, ...built.series],
      bands: built.bands,
      // in the page's colours, so that they read on a dark theme too
      axes: plotAxes(box.current, [opts.xMode === "relative" ? { label: "seconds since the run's first point", labelSize: 20 } : {}, { size: 60 }]),
      legend: { show: false },
      // the line nearest the cursor stands out (not with groups: their
      // bands' invisible edges would take the focus)
      focus: { alpha: 0.2 },
      // the charts share their cursor: the same step (and the same run's
      // line) on every chart; the readout only on the one under the pointer
      cursor: { drag: { x: true, y: false }, points: { show: false }, focus: { prox: opts.groupBy ? -1 : 12 },
        sync: { key: "ferry-charts" } },
      hooks: { setCursor: [(u) => (inside ? readout(u, tip.current, opts.xMode) : (tip.current.hidden = true))] },
    }, built.data, box.current);
    plot.current = u;
    window.ferryCharts = window.ferryCharts || {};
    window.ferryCharts[metric] = u;
    const ro = new ResizeObserver(() => u.width !== width() && u.setSize({ width: width(), height: 260 }));
    ro.observe(box.current);
    const enter = () => { inside = true; };
    const leave = () => {
      inside = false;
      tip.current.hidden = true;
    };
    u.over.addEventListener("mouseenter", enter);
    u.over.addEventListener("mouseleave", leave);
    return () => {
      ro.disconnect();
      u.over.removeEventListener("mouseenter", enter);
      u.over.removeEventListener("mouseleave", leave);
      if (window.ferryCharts[metric] === u) delete window.ferryCharts[metric];
      u.destroy();
      plot.current = null;
    };
  }, [built, theme]);
  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    const i = focus ? built.series.findIndex((s) => s._key === focus) + 1 : 0;
    u.setSeries(i > 0 ? i : null, { focus: true });
  }, [focus, built]);
  const csv = () => download(new Blob([toCSV(built.csvHeader, built.csv)], { type: "text/csv" }), fileName(metric, "csv"));
  return html`
    <figure class="chart run-chart" data-metric=${metric} ref=${fig}>
      <figcaption>
        <strong>${metric}</strong>
        ${built.empty ? html`<span class="muted">${opts.log ? "no value above 0 for a log scale" : "no values"}</span>` : null}
        <span class="exports">
          <button type="button" onClick=${() => plot.current && exportPng(plot.current, metric)} aria-label=${metric + ": export PNG"}>PNG</button>
          <button type="button" onClick=${csv} aria-label=${metric + ": export CSV"}>CSV</button>
        </span>
      </figcaption>
      <div class="plot-wrap">
        <div ref=${box} class="plot" data-testid="chart"></div>
        <div ref=${tip} class="chart-tip" hidden role="status" aria-live="off"></div>
      </div>
    </figure>`;
}

// Loads one metric's histories for the figure's width, then draws them.
// While other runs load, the chart keeps drawing the runs its histories
// are of. The requests start as soon as the figure is in the page (a
// layout effect), not a frame later. A figure that grows past what its
// points can show (a wider window, the sidebar collapsed) asks again at
// its new width, 300 ms after the resizing stops, and keeps drawing the
// old points meanwhile; one that shrinks keeps them (alignRuns bins them),
// and one whose histories came whole never asks again.
function MetricPanel({ metric, runs, opts, focus }) {
  const fig = useRef(null);
  const [hist, setHist] = useState({ runs: null, byRun: null, maxPoints: 0, error: null });
  const ids = runs.map((r) => r.info.run_id).join(",");
  // the points to ask after a resize, for these runs and this metric only
  const [want, setWant] = useState({ key: "", n: 0 });
  const key = ids + "|" + metric;
  // the figure less its y axis (60 px), as the plot will be
  const pointsNow = () => pointsFor(plotWidth(fig.current) - 60);
  useLayoutEffect(() => {
    const job = { dead: false };
    const maxPoints = (want.key === key && want.n) || pointsNow();
    loadMetric(runs.map((r) => r.info.run_id), metric, maxPoints, job).then(
      (byRun) => job.dead || setHist({ runs, byRun, maxPoints, error: null }),
      (error) => job.dead || setHist({ runs: null, byRun: null, maxPoints: 0, error }));
    return () => {
      job.dead = true;
    };
  }, [ids, metric, want]);
  // some history has more points than it was answered with
  const cut = !!hist.byRun && [...hist.byRun.values()].some((h) => h.downsampled);
  useEffect(() => {
    if (!fig.current || !hist.maxPoints || !cut) return;
    let timer = 0;
    const ro = new ResizeObserver(() => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const n = pointsNow();
        if (n > hist.maxPoints * 1.25 && hist.maxPoints < SERVER_MAX_POINTS && cut) setWant({ key, n });
      }, 300);
    });
    ro.observe(fig.current);
    return () => {
      clearTimeout(timer);
      ro.disconnect();
    };
  }, [hist.maxPoints, key, cut]);
  if (hist.error) return html`<figure class="chart run-chart" ref=${fig}><figcaption><strong>${metric}</strong></figcaption><${ErrorBox} error=${hist.error} /></figure>`;
  if (!hist.byRun) return html`<figure class="chart run-chart" ref=${fig}><figcaption><strong>${metric}</strong></figcaption><p class="loading">Loading ${metric}…</p></figure>`;
  return html`<${MetricChart} metric=${metric} runs=${hist.runs} byRun=${hist.byRun} maxPoints=${hist.maxPoints} opts=${opts} focus=${focus} fig=${fig} />`;
}

// Which metrics are charted, and in what order.
function MetricPicker({ keys, chosen, setChosen }) {
  const move = (k, d) => {
    const i = chosen.indexOf(k), j = i + d;
    if (j < 0 || j >= chosen.length) return;
    const n = [...chosen];
    [n[i], n[j]] = [n[j], n[i]];
    setChosen(n);
  };
  const rest = keys.filter((k) => !chosen.includes(k));
  // a menu: it closes on Escape and on a click elsewhere
  const ref = useRef(null);
  useEffect(() => {
    const close = (e) => {
      const d = ref.current;
      if (!d || !d.open) return;
      if (e.type === "keydown" ? e.key === "Escape" : !d.contains(e.target)) {
        d.open = false;
        if (e.type === "keydown") d.querySelector("summary").focus();
      }
    };
    addEventListener("pointerdown", close);
    addEventListener("keydown", close);
    return () => {
      removeEventListener("pointerdown", close);
      removeEventListener("keydown", close);
    };
  }, []);
  return html`
    <details class="metric-picker" ref=${ref}>
      <summary>Metrics (${chosen.length} of ${keys.length})</summary>
      <ol>
        ${chosen.map((k, i) => html`<li key=${k}>
          <label><input type="checkbox" checked onChange=${() => setChosen(chosen.filter((x) => x !== k))} /> ${k}</label>
          <button type="button" class="x" disabled=${i === 0} aria-label=${"Move " + k + " up"} onClick=${() => move(k, -1)}>↑</button>
          <button type="button" class="x" disabled=${i === chosen.length - 1} aria-label=${"Move " + k + " down"} onClick=${() => move(k, 1)}>↓</button>
        </li>`)}
        ${rest.map((k) => html`<li key=${k} class="off">
          <label><input type="checkbox" onChange=${() => setChosen([...chosen, k])} /> ${k}</label></li>`)}
      </ol>
    </details>`;
}

export function ChartsPage({ experimentIds, query }) {
  const filter = query.get("filter") || "";
  const maxRuns = Math.min(MAX_RUNS, Math.max(1, Number(query.get("max")) || DEFAULT_RUNS));
  const idsKey = experimentIds.join(",");
  const [draft, setDraft] = useState(filter);
  useEffect(() => setDraft(filter), [filter]); // the box follows the URL (back, links)
  const [smoothing, setSmoothing] = useState(0);
  const [log, setLog] = useState(false);
  const [xMode, setXMode] = useState("step");
  const [groupBy, setGroupBy] = useState("");
  const [focus, setFocus] = useState(null); // the legend entry under the pointer or keyboard
  const hover = (key) => ({ onMouseEnter: () => setFocus(key), onMouseLeave: () => setFocus(null),
    onFocusIn: () => setFocus(key), onFocusOut: () => setFocus(null) });
  const [choice, setChoice] = useState(() => loadChoice(experimentIds));
  useEffect(() => setChoice(loadChoice(experimentIds)), [idsKey]);

  const exps = useLoad(() => Promise.all(experimentIds.map((id) => post("experiments/get", { experiment_id: id }).then(
    (r) => r.experiment, () => ({ experiment_id: id, name: "#" + id })))), [idsKey]);
  const found = useLoad(() => post("runs/search", {
    experiment_ids: experimentIds, filter, max_results: maxRuns, order_by: ["attributes.start_time DESC"],
  }), [idsKey, filter, maxRuns]);
  const runs = found.data ? found.data.runs || [] : null;

  const keys = useMemo(() => {
    const s = new Set();
    for (const r of runs || []) for (const m of r.data.metrics || []) s.add(m.key);
    return [...s].sort();
  }, [runs]);
  const groupable = useMemo(() => {
    const s = new Set();
    for (const r of runs || []) {
      for (const p of r.data.params || []) s.add("params." + p.key);
      for (const t of r.data.tags || []) t.key.startsWith("mlflow.") || s.add("tags." + t.key);
    }
    return [...s].sort();
  }, [runs]);
  const chosen = choice ? choice.filter((k) => keys.includes(k)) : keys.slice(0, DEFAULT_METRICS);
  const setChosen = (ks) => {
    setChoice(ks);
    saveChoice(experimentIds, ks);
  };
  const opts = useMemo(() => ({ xMode, smoothing, log, groupBy: groupable.includes(groupBy) ? groupBy : "" }),
    [xMode, smoothing, log, groupBy, groupable]);

  const setQuery = (k, v) => {
    const q = new URLSearchParams(query);
    v ? q.set(k, v) : q.delete(k);
    navigate(hashWith(["experiments", idsKey, "charts"], q));
  };
  const setFilter = (f) => setQuery("filter", f);
  const title = (exps.data || []).map((e) => e.name).join(", ");
  const tableHash = hashWith(["experiments", idsKey], filter ? new URLSearchParams({ filter }) : null);
  const groups = runs && opts.groupBy ? chartGroups(runs, opts.groupBy) : null;

  return html`
    <div class="page wide charts-page">
      <p class="crumbs"><a href="#/">Experiments</a> / <a href=${tableHash}>${title || idsKey}</a> /</p>
      <h1>Charts${title ? ": " + title : ""}</h1>
      <form class="toolbar" onSubmit=${(e) => { e.preventDefault(); setFilter(draft.trim()); }}>
        <input class="filter" aria-label="Filter runs" placeholder="metrics.rmse < 1 and params.model = 'tree'"
          value=${draft} onInput=${(e) => setDraft(e.target.value)} />
        <button type="submit" class="primary">Search</button>
        ${filter ? html`<button type="button" onClick=${() => { setDraft(""); setFilter(""); }}>Clear</button>` : null}
        <a href=${tableHash}>Runs table</a>
      </form>
      <${ErrorBox} error=${found.error} />
      ${runs && html`
        <div class="toolbar chart-controls">
          <label>Runs <select value=${maxRuns} aria-label="Runs to chart" onChange=${(e) => setQuery("max", e.target.value === String(DEFAULT_RUNS) ? "" : e.target.value)}>
            ${[...new Set([10, 25, 50, 100, maxRuns])].sort((a, b) => a - b).map((n) => html`<option value=${n}>${n}</option>`)}</select></label>
          <span class="count">${runs.length} run${runs.length === 1 ? "" : "s"}${found.data.next_page_token ? ", the newest" : ""}</span>
          <${MetricPicker} keys=${keys} chosen=${chosen} setChosen=${setChosen} />
          <label>Smoothing <input type="range" min="0" max="0.99" step="0.01" value=${smoothing} aria-label="Smoothing"
            onInput=${(e) => setSmoothing(Number(e.target.value))} /> <output>${smoothing.toFixed(2)}</output></label>
          <label><input type="checkbox" checked=${log} onChange=${(e) => setLog(e.target.checked)} /> Log scale</label>
          <label>X axis <select value=${xMode} aria-label="X axis" onChange=${(e) => setXMode(e.target.value)}>
            <option value="step">step</option><option value="relative">relative time</option><option value="time">wall time</option></select></label>
          <label>Group by <select value=${opts.groupBy} aria-label="Group by" onChange=${(e) => setGroupBy(e.target.value)}>
            <option value="">none</option>${groupable.map((g) => html`<option value=${g}>${g}</option>`)}</select></label>
        </div>
        ${!runs.length ? html`<p class="muted">No runs match.</p>`
          : !keys.length ? html`<p class="muted">These runs have no metrics.</p>`
          : !chosen.length ? html`<p class="muted">No metric chosen: pick some under Metrics.</p>` : null}
        <ul class="chart-legend" aria-label="Legend">
          ${groups ? groups.map((g, i) => html`<li key=${g.id} ...${hover("group:" + g.id)}><i style=${"background:" + GROUP_COLORS[i % GROUP_COLORS.length]}></i>
              ${opts.groupBy.replace(/^(params|tags)\./, "")}=${g.label} <span class="muted">(${g.runIds.length} run${g.runIds.length === 1 ? "" : "s"})</span></li>`)
            : runs.map((r) => html`<li key=${r.info.run_id} ...${hover(r.info.run_id)}><i style=${"background:" + runColor(r.info.run_id)}></i>
              <a href=${"#/experiments/" + r.info.experiment_id + "/runs/" + r.info.run_id}>${runName(r)}</a></li>`)}
        </ul>
        <div class="chart-grid">
          ${runs.length ? chosen.map((k) => html`<${MetricPanel} key=${k} metric=${k} runs=${runs} opts=${opts} focus=${focus} />`) : null}
        </div>
        ${runs.length && keys.length && groupable.some((g) => g.startsWith("params."))
          ? html`<${ParamScatter} runs=${runs} params=${groupable.filter((g) => g.startsWith("params."))} metrics=${keys} color=${runColor} />` : null}
        ${runs.length ? html`<${Parallel} runs=${runs} color=${runColor} focus=${groups ? null : focus}
          axes=${[...groupable.filter((g) => g.startsWith("params.")).slice(0, 6), ...chosen.slice(0, 6).map((k) => "metrics." + k)]} />` : null}`}
      ${!runs && !found.error ? html`<p class="loading">Loading runs…</p>` : null}
    </div>`;
}
