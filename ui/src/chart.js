// SPDX-License-Identifier: MIT
// Metric charts with uPlot: one or more runs' histories of one metric
// against step, wall time or relative time; smoothing, log scale, zoom
// (drag to zoom, double-click to reset). Histories come downsampled by the
// server (min and max per bucket), so spikes survive and a million points
// draw at once.
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { html } from "./html.js";
import { get } from "./api.js";
import { ErrorBox } from "./widgets.js";
import { runColor } from "./colors.js";
import { ema } from "./chart_math.js"; // the smoothing, shared with the chart view
import { plotAxes, useTheme } from "./theme.js";

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

export function loadHistory(runId, key, maxPoints = 2000) {
  return get("api/2.0/ferry/metrics/get-history-downsampled", { run_id: runId, metric_key: key, max_points: maxPoints });
}

// series: [{ label, points: [{step, timestamp, value}], color? }] (color: a CSS colour, else by position)
function toData(series, xMode) {
  const xs = new Set();
  const xOf = (p, s) => (xMode === "step" ? Number(p.step) : xMode === "time" ? Number(p.timestamp) / 1000
    : (Number(p.timestamp) - Number(s.points.length ? s.points[0].timestamp : 0)) / 1000);
  for (const s of series) for (const p of s.points) xs.add(xOf(p, s));
  const xArr = [...xs].sort((a, b) => a - b);
  const idx = new Map(xArr.map((x, i) => [x, i]));
  const cols = series.map((s) => {
    const ys = new Array(xArr.length).fill(null);
    for (const p of s.points) ys[idx.get(xOf(p, s))] = typeof p.value === "number" ? p.value : Number(p.value);
    return ys;
  });
  return [xArr, ...cols];
}

export function MetricChart({ title, series, height = 260 }) {
  const box = useRef(null);
  const plot = useRef(null);
  const [xMode, setXMode] = useState("step");
  const [log, setLog] = useState(false);
  const [sm, setSm] = useState(0);
  const theme = useTheme();
  useEffect(() => {
    if (!box.current || !series.length) return;
    const data = toData(series, xMode);
    const multi = series.length > 1;
    const ys = data.slice(1).map((c) => ema(c, sm));
    const opts = {
      width: Math.max(300, box.current.clientWidth || 600),
      height,
      scales: { x: { time: xMode === "time" }, y: { distr: log ? 3 : 1 } },
      series: [{ label: xMode === "step" ? "step" : xMode === "time" ? "time" : "seconds" },
        ...series.map((s, i) => ({ label: s.label, stroke: s.color || COLORS[i % COLORS.length], width: 1.5, spanGaps: multi,
          points: { show: s.points.length < 100, size: 5, fill: s.color || COLORS[i % COLORS.length] } }))],
      axes: plotAxes(box.current, [{}, {}]),
      cursor: { drag: { x: true, y: false } },
    };
    plot.current && plot.current.destroy();
    plot.current = new uPlot(opts, [data[0], ...ys], box.current);
    const onResize = () => plot.current && plot.current.setSize({ width: box.current.clientWidth || 600, height });
    addEventListener("resize", onResize);
    return () => {
      removeEventListener("resize", onResize);
      plot.current && plot.current.destroy();
      plot.current = null;
    };
  }, [series, xMode, log, sm, theme]);
  const total = series.reduce((a, s) => a + (s.total || s.points.length), 0);
  return html`
    <figure class="chart">
      <figcaption>
        <strong>${title}</strong>
        <label>x <select value=${xMode} onChange=${(e) => setXMode(e.target.value)} aria-label=${title + ": x axis"}>
          <option value="step">step</option><option value="time">wall time</option><option value="relative">relative time</option></select></label>
        <label><input type="checkbox" checked=${log} onChange=${(e) => setLog(e.target.checked)} /> log</label>
        <label>smoothing <input type="range" min="0" max="0.99" step="0.01" value=${sm} aria-label=${title + ": smoothing"}
          onInput=${(e) => setSm(Number(e.target.value))} /></label>
        <span class="muted">${total.toLocaleString()} points${series.some((s) => s.downsampled) ? " (min/max downsampled)" : ""} · drag to zoom, double-click to reset</span>
      </figcaption>
      <div ref=${box} class="plot" data-testid="chart"></div>
    </figure>`;
}

// Loads one metric of several runs and draws them overlaid.
export function RunsMetricChart({ runs, metricKey }) {
  const [state, setState] = useState({ series: null, error: null });
  useEffect(() => {
    let live = true;
    Promise.all(runs.map((r) => loadHistory(r.info.run_id, metricKey).then((h) => ({
      label: r.info.run_name || r.info.run_id, points: h.metrics || [], total: Number(h.total || 0), downsampled: !!h.downsampled,
      color: runColor(r.info.run_id), // the run's colour in the runs table and the chart view
    })))).then((series) => live && setState({ series, error: null }), (error) => live && setState({ series: null, error }));
    return () => { live = false; };
  }, [runs.map((r) => r.info.run_id).join(","), metricKey]);
  if (state.error) return html`<${ErrorBox} error=${state.error} />`;
  if (!state.series) return html`<p class="loading">Loading ${metricKey}…</p>`;
  return html`<${MetricChart} title=${metricKey} series=${state.series} />`;
}
