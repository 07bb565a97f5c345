// SPDX-License-Identifier: MIT
// The charts page's parallel coordinates (charts.js): one vertical axis per
// param and per charted metric's final value, one line per run in
// the run's colour across them, so that which settings led to which results
// shows at a glance. Runs missing one of the values are left out (and
// counted).
import { html } from "./html.js";
import { fmtNum } from "./util.js";
import { groupValue } from "./runs_groups.js";
import { placeAxis } from "./charts_scatter.js";

const H = 300, T = 28, B = 24, SIDE = 60, STEP = 150;

const finalOf = (run, key) => {
  const m = (run.data.metrics || []).find((x) => x.key === key);
  const v = m ? Number(m.value) : NaN;
  return Number.isFinite(v) ? String(v) : "";
};

// A run's param as text, "" when it has none (as finalOf).
const paramOf = (run, id) => String(groupValue(run, id) ?? "");

// axes: "params.<k>" or "metrics.<k>"; focus: a run id to bring out.
export function Parallel({ runs, axes, color, focus }) {
  const get = (r, a) => (a.startsWith("metrics.") ? finalOf(r, a.slice(8)) : paramOf(r, a));
  const rows = runs.filter((r) => axes.every((a) => get(r, a) !== ""));
  if (axes.length < 2) return null;
  const W = SIDE * 2 + STEP * (axes.length - 1);
  // params such as a learning rate span decades: those axes are logarithmic
  const placed = axes.map((a) => placeAxis(rows.map((r) => get(r, a)), a.startsWith("params.") ? "auto" : false));
  const ax = (i) => SIDE + i * STEP;
  const ay = (f) => T + (1 - f) * (H - T - B);
  const name = (r) => r.info.run_name || r.info.run_id;
  const left = runs.length - rows.length;
  return html`
    <section class="parallel-coords">
      <h2>Parameters and results</h2>
      ${left ? html`<p class="muted">${left} run${left === 1 ? "" : "s"} without all of these values left out.</p>` : null}
      ${!rows.length ? html`<p class="muted">No run has all of these values.</p>` : html`
        <div class="scroll">
          <svg class="parallel" viewBox=${`0 0 ${W} ${H}`} width=${W} role="img" aria-label="Parallel coordinates of params and final metrics">
            ${rows.map((r, k) => html`<polyline key=${r.info.run_id} data-run=${name(r)} class=${focus && focus !== r.info.run_id ? "dim" : ""}
              points=${axes.map((a, i) => `${ax(i)},${ay(placed[i].at[k])}`).join(" ")} style=${"stroke:" + color(r.info.run_id)}>
              <title>${name(r)}: ${axes.map((a) => `${a.replace(/^(params|metrics)\./, "")} ${get(r, a)}`).join(", ")}</title></polyline>`)}
            ${axes.map((a, i) => html`<g key=${a}>
              <line x1=${ax(i)} y1=${T} x2=${ax(i)} y2=${H - B} class="axis" />
              <text x=${ax(i)} y=${T - 10} text-anchor="middle" class="name">${a.replace(/^(params|metrics)\./, "")}${placed[i].log ? " (log)" : ""}</text>
              ${placed[i].ticks.map(([f, t]) => html`<text x=${ax(i) - 5} y=${ay(f) + 4} text-anchor="end" class="tick">${fmtTick(t)}</text>`)}
            </g>`)}
          </svg>
        </div>`}
    </section>`;
}

const fmtTick = (t) => (t.length > 10 && Number.isFinite(Number(t)) ? fmtNum(Number(Number(t).toPrecision(4))) : t.slice(0, 14));
