// SPDX-License-Identifier: MIT
// The charts page's scatter (charts.js): one param of every run against a
// metric's final value (the run's latest, as runs/search gives it), a dot
// per run in the run's colour. Numeric params on a linear or log axis,
// others as evenly spaced categories.
import { useState } from "preact/hooks";
import { html } from "./html.js";
import { fmtNum } from "./util.js";
import { groupValue } from "./runs_groups.js";

const W = 640, H = 320, L = 76, R = 16, T = 12, B = 44, IN = 12; // IN: dots clear of the axes

const finalOf = (run, key) => {
  const m = (run.data.metrics || []).find((x) => x.key === key);
  const v = m ? Number(m.value) : NaN;
  return Number.isFinite(v) ? v : null;
};

// Where each of vs goes on [0, 1]: numbers by value (log10 when asked and
// all are positive; log "auto": when they also span two decades or more),
// otherwise categories in sorted order. ticks: [pos, label].
export function placeAxis(vs, log) {
  const nums = vs.map(Number);
  if (vs.length && nums.every(Number.isFinite)) {
    const positive = nums.every((v) => v > 0);
    const useLog = positive && (log === "auto" ? Math.max(...nums) / Math.min(...nums) >= 100 : !!log);
    const f = useLog ? Math.log10 : (v) => v;
    const lo = Math.min(...nums.map(f)), hi = Math.max(...nums.map(f));
    const pos = (v) => (hi > lo ? (f(v) - lo) / (hi - lo) : 0.5);
    const uniq = [...new Set(nums)].sort((a, b) => a - b);
    const ticks = (uniq.length <= 8 ? uniq : [uniq[0], uniq[uniq.length - 1]]).map((v) => [pos(v), fmtNum(v)]);
    return { at: nums.map(pos), ticks, log: useLog };
  }
  const cats = [...new Set(vs)].sort();
  const pos = (v) => (cats.length > 1 ? cats.indexOf(v) / (cats.length - 1) : 0.5);
  return { at: vs.map(pos), ticks: cats.slice(0, 20).map((c) => [pos(c), c || "(none)"]), log: false };
}

export function ParamScatter({ runs, params, metrics, color }) {
  const [param, setParam] = useState("");
  const [metric, setMetric] = useState("");
  const [logX, setLogX] = useState(false);
  const p = params.includes(param) ? param : params[0] || "";
  const m = metrics.includes(metric) ? metric : metrics[0] || "";
  const pts = runs.map((r) => ({ r, x: String(groupValue(r, p) ?? ""), y: finalOf(r, m) })).filter((d) => d.x !== "" && d.y !== null);
  const ax = placeAxis(pts.map((d) => d.x), logX);
  const ys = pts.map((d) => d.y);
  const y0 = Math.min(...ys), y1 = Math.max(...ys);
  const sx = (f) => L + IN + f * (W - L - R - 2 * IN);
  const sy = (v) => T + IN + (y1 > y0 ? 1 - (v - y0) / (y1 - y0) : 0.5) * (H - T - B - 2 * IN);
  const name = (r) => r.info.run_name || r.info.run_id;
  const label = p.replace(/^params\./, "");
  return html`
    <section class="param-scatter">
      <h2>Final metric by parameter</h2>
      <div class="toolbar">
        <label>Parameter <select aria-label="Scatter parameter" value=${p} onChange=${(e) => setParam(e.target.value)}>
          ${params.map((k) => html`<option value=${k}>${k.replace(/^params\./, "")}</option>`)}</select></label>
        <label>Metric <select aria-label="Scatter metric" value=${m} onChange=${(e) => setMetric(e.target.value)}>
          ${metrics.map((k) => html`<option value=${k}>${k}</option>`)}</select></label>
        <label><input type="checkbox" checked=${logX} onChange=${(e) => setLogX(e.target.checked)} /> Log x</label>
      </div>
      ${!pts.length ? html`<p class="muted">No run has both ${label || "a parameter"} and ${m || "a metric"}.</p>` : html`
        <svg class="scatter" viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${`Final ${m} against ${label}`}>
          <line x1=${L} y1=${H - B} x2=${W - R} y2=${H - B} class="axis" /><line x1=${L} y1=${T} x2=${L} y2=${H - B} class="axis" />
          ${ax.ticks.map(([f, t]) => html`<text x=${sx(f)} y=${H - B + 14} class="tick" text-anchor="middle">${t}</text>`)}
          <text x=${(L + W - R) / 2} y=${H - 6} text-anchor="middle">${label}${ax.log ? " (log)" : ""}</text>
          <text x=${L - 6} y=${sy(y1) + 4} class="tick" text-anchor="end">${fmtNum(y1)}</text>
          <text x=${L - 6} y=${sy(y0) + 4} class="tick" text-anchor="end">${fmtNum(y0)}</text>
          <text x=${14} y=${(T + H - B) / 2} transform=${`rotate(-90 14 ${(T + H - B) / 2})`} text-anchor="middle">${m}</text>
          ${pts.map((d, i) => html`<circle cx=${sx(ax.at[i])} cy=${sy(d.y)} r="5" style=${"fill:" + color(d.r.info.run_id)} data-run=${name(d.r)}>
            <title>${name(d.r)}: ${label} ${d.x}, ${m} ${fmtNum(d.y)}</title></circle>`)}
        </svg>`}
    </section>`;
}
