// SPDX-License-Identifier: MIT
// 2..N runs side by side: params and metrics with differences highlighted,
// one metric overlaid for all runs, a scatter of any two values and
// parallel coordinates over the chosen ones.
import { useState } from "preact/hooks";
import { html } from "./html.js";
import { get } from "./api.js";
import { fmtNum } from "./util.js";
import { ErrorBox, useLoad } from "./widgets.js";
import { RunsMetricChart } from "./chart.js";
import { ExperimentCrumbs } from "./crumbs.js";

const valueOf = (run, key) => {
  const [kind, ...rest] = key.split(":");
  const k = rest.join(":");
  const list = kind === "metric" ? run.data.metrics : run.data.params;
  const hit = (list || []).find((x) => x.key === k);
  if (!hit) return null;
  const v = Number(hit.value);
  return Number.isFinite(v) ? v : null;
};

function Scatter({ runs, x, y }) {
  const pts = runs.map((r) => ({ r, x: valueOf(r, x), y: valueOf(r, y) })).filter((p) => p.x !== null && p.y !== null);
  if (!pts.length) return html`<p class="muted">No run has both values.</p>`;
  const W = 480, H = 300, P = 40;
  const [x0, x1] = [Math.min(...pts.map((p) => p.x)), Math.max(...pts.map((p) => p.x))];
  const [y0, y1] = [Math.min(...pts.map((p) => p.y)), Math.max(...pts.map((p) => p.y))];
  const sx = (v) => P + ((v - x0) / (x1 - x0 || 1)) * (W - 2 * P);
  const sy = (v) => H - P - ((v - y0) / (y1 - y0 || 1)) * (H - 2 * P);
  return html`<svg class="scatter" viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${`Scatter of ${y} against ${x}`}>
    <line x1=${P} y1=${H - P} x2=${W - P} y2=${H - P} class="axis" /><line x1=${P} y1=${P} x2=${P} y2=${H - P} class="axis" />
    <text x=${W / 2} y=${H - 8} text-anchor="middle">${x.split(":").slice(1).join(":")}</text>
    <text x=${12} y=${H / 2} transform=${`rotate(-90 12 ${H / 2})`} text-anchor="middle">${y.split(":").slice(1).join(":")}</text>
    <text x=${P} y=${H - P + 14} class="tick">${fmtNum(x0)}</text><text x=${W - P} y=${H - P + 14} class="tick" text-anchor="end">${fmtNum(x1)}</text>
    <text x=${P - 4} y=${H - P} class="tick" text-anchor="end">${fmtNum(y0)}</text><text x=${P - 4} y=${P + 4} class="tick" text-anchor="end">${fmtNum(y1)}</text>
    ${pts.map((p) => html`<circle cx=${sx(p.x)} cy=${sy(p.y)} r="5"><title>${p.r.info.run_name || p.r.info.run_id}: ${fmtNum(p.x)}, ${fmtNum(p.y)}</title></circle>`)}
  </svg>`;
}

function Parallel({ runs, keys }) {
  const axes = keys.filter((k) => runs.some((r) => valueOf(r, k) !== null));
  if (axes.length < 2) return html`<p class="muted">Parallel coordinates need two numeric values.</p>`;
  const W = Math.max(480, axes.length * 140), H = 280, P = 30;
  const ax = (i) => P + (i * (W - 2 * P)) / (axes.length - 1);
  const ranges = axes.map((k) => {
    const vs = runs.map((r) => valueOf(r, k)).filter((v) => v !== null);
    return [Math.min(...vs), Math.max(...vs)];
  });
  const ay = (i, v) => H - P - ((v - ranges[i][0]) / (ranges[i][1] - ranges[i][0] || 1)) * (H - 2 * P);
  return html`<svg class="parallel" viewBox=${`0 0 ${W} ${H}`} role="img" aria-label="Parallel coordinates">
    ${axes.map((k, i) => html`<g><line x1=${ax(i)} y1=${P} x2=${ax(i)} y2=${H - P} class="axis" />
      <text x=${ax(i)} y=${P - 10} text-anchor="middle">${k.split(":").slice(1).join(":")}</text>
      <text x=${ax(i) + 4} y=${P + 4} class="tick">${fmtNum(ranges[i][1])}</text><text x=${ax(i) + 4} y=${H - P} class="tick">${fmtNum(ranges[i][0])}</text></g>`)}
    ${runs.map((r, n) => {
      const pts = axes.map((k, i) => { const v = valueOf(r, k); return v === null ? null : `${ax(i)},${ay(i, v)}`; }).filter(Boolean);
      return html`<polyline points=${pts.join(" ")} class=${"line c" + (n % 8)}><title>${r.info.run_name || r.info.run_id}</title></polyline>`;
    })}
  </svg>`;
}

export function ComparePage({ runIds }) {
  const { data, error } = useLoad(() => Promise.all(runIds.map((id) => get("runs/get", { run_id: id }).then((r) => r.run))), [runIds.join(",")]);
  const [metric, setMetric] = useState(null);
  const [sx, setSx] = useState(null);
  const [sy, setSy] = useState(null);
  if (runIds.length < 2) return html`<div class="page"><h1>Compare runs</h1><p>Pick two or more runs in a runs table.</p></div>`;
  if (error) return html`<div class="page"><h1>Compare runs</h1><${ErrorBox} error=${error} /></div>`;
  if (!data) return html`<div class="page"><p class="loading">Loading runs…</p></div>`;
  const keysOf = (kind) => [...new Set(data.flatMap((r) => (r.data[kind] || []).map((x) => x.key)))].sort();
  const params = keysOf("params"), metrics = keysOf("metrics");
  const numeric = [...params.map((k) => "param:" + k), ...metrics.map((k) => "metric:" + k)].filter((k) => data.some((r) => valueOf(r, k) !== null));
  const row = (kind, key) => {
    const vals = data.map((r) => {
      const hit = (r.data[kind] || []).find((x) => x.key === key);
      return hit ? (kind === "metrics" ? fmtNum(hit.value) : hit.value) : "";
    });
    const differs = new Set(vals).size > 1;
    return html`<tr key=${kind + key} class=${differs ? "differs" : ""}><th scope="row">${key}</th>${vals.map((v) => html`<td>${v}</td>`)}</tr>`;
  };
  const m = metric || metrics[0];
  const x = sx || numeric[0], y = sy || numeric[1] || numeric[0];
  return html`
    <div class="page wide">
      <${ExperimentCrumbs} ids=${[...new Set(data.map((r) => r.info.experiment_id))]} />
      <h1>Comparing ${data.length} runs</h1>
      <div class="scroll"><table class="grid compare">
        <thead><tr><th></th>${data.map((r) => html`<th><a href=${`#/experiments/${r.info.experiment_id}/runs/${r.info.run_id}`}>${r.info.run_name || r.info.run_id}</a></th>`)}</tr></thead>
        <tbody>
          <tr class="section"><th colspan=${data.length + 1}>Parameters (differences highlighted)</th></tr>
          ${params.map((k) => row("params", k))}
          <tr class="section"><th colspan=${data.length + 1}>Metrics</th></tr>
          ${metrics.map((k) => row("metrics", k))}
        </tbody>
      </table></div>
      ${m ? html`<section><h2>Metric <select aria-label="Metric to chart" value=${m} onChange=${(e) => setMetric(e.target.value)}>${metrics.map((k) => html`<option value=${k}>${k}</option>`)}</select></h2>
        <${RunsMetricChart} runs=${data} metricKey=${m} /></section>` : null}
      ${numeric.length ? html`<section><h2>Scatter</h2>
        <div class="toolbar"><label>x <select aria-label="Scatter x" value=${x} onChange=${(e) => setSx(e.target.value)}>${numeric.map((k) => html`<option value=${k}>${k}</option>`)}</select></label>
        <label>y <select aria-label="Scatter y" value=${y} onChange=${(e) => setSy(e.target.value)}>${numeric.map((k) => html`<option value=${k}>${k}</option>`)}</select></label></div>
        <${Scatter} runs=${data} x=${x} y=${y} /></section>
        <section><h2>Parallel coordinates</h2><${Parallel} runs=${data} keys=${numeric.slice(0, 8)} /></section>` : null}
    </div>`;
}
