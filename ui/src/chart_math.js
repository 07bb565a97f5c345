// SPDX-License-Identifier: MIT
// The numbers behind the charts page (charts.js), kept free of the DOM so
// that they can be tested alone: histories aligned on one x axis, the
// exponential moving average, runs grouped by a param or tag with each
// group's mean, min and max, and the CSV of what a chart draws.

// Exponential moving average with debiasing (TensorBoard's smoothing): w in
// [0, 1), 0 leaves ys as they are. Gaps (null) stay gaps and do not move the
// average.
export function ema(ys, w) {
  if (!w) return ys;
  let last = 0, n = 0;
  return ys.map((y) => {
    if (y === null || !Number.isFinite(y)) return y;
    last = last * w + (1 - w) * y;
    n++;
    return last / (1 - Math.pow(w, n));
  });
}

// The x of a point: its step, its wall time (seconds, uPlot's time unit) or
// its time since the run's first point (seconds).
function xOf(p, xMode, t0) {
  if (xMode === "step") return Number(p.step);
  if (xMode === "time") return Number(p.timestamp) / 1000;
  return (Number(p.timestamp) - t0) / 1000;
}

// pointsByRun: Map runId -> [{step, timestamp, value}] (any order);
// runIds: the columns' order. Returns uPlot's data: [xs, ys of run 0, ...],
// xs ascending and the union of every run's xs, null where a run has no
// point. At one x a run's last point (by step, then time) wins.
export function alignRuns(pointsByRun, runIds, xMode) {
  const per = runIds.map((id) => {
    const pts = [...(pointsByRun.get(id) || [])].sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
    const t0 = pts.length ? Math.min(...pts.map((p) => Number(p.timestamp))) : 0;
    return pts.map((p) => [xOf(p, xMode, t0), typeof p.value === "number" ? p.value : Number(p.value)]);
  });
  const xset = new Set();
  for (const pts of per) for (const [x] of pts) xset.add(x);
  const xs = Float64Array.from(xset).sort();
  const at = new Map();
  xs.forEach((x, i) => at.set(x, i));
  const cols = per.map((pts) => {
    const ys = new Array(xs.length).fill(null);
    for (const [x, y] of pts) ys[at.get(x)] = y;
    return ys;
  });
  return [Array.from(xs), ...cols];
}

// The value a run has for "params.<k>" or "tags.<k>", "" when none.
export function valueFor(run, by) {
  const dot = by.indexOf(".");
  const kind = by.slice(0, dot), key = by.slice(dot + 1);
  const list = kind === "params" ? run.data.params : kind === "tags" ? run.data.tags : [];
  const hit = (list || []).find((x) => x.key === key);
  return hit ? String(hit.value) : "";
}

// Runs with the same value of `by` in one group, groups in the order of
// their values (numeric when all are numbers). [{ value, runIds }]
export function groupRuns(runs, by) {
  const groups = new Map();
  for (const r of runs) {
    const v = valueFor(r, by);
    if (!groups.has(v)) groups.set(v, []);
    groups.get(v).push(r.info.run_id);
  }
  const vals = [...groups.keys()];
  const numeric = vals.every((v) => v !== "" && Number.isFinite(Number(v)));
  vals.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return vals.map((value) => ({ value, runIds: groups.get(value) }));
}

// ys with its inner gaps filled by linear interpolation in x; before its
// first and after its last point it stays null (a run does not extend).
export function fillGaps(xs, ys) {
  const out = ys.slice();
  let prev = -1;
  for (let i = 0; i < ys.length; i++) {
    if (ys[i] === null || !Number.isFinite(ys[i])) continue;
    if (prev >= 0 && i - prev > 1) {
      const x0 = xs[prev], x1 = xs[i], y0 = ys[prev], y1 = ys[i];
      for (let k = prev + 1; k < i; k++) out[k] = y0 + ((y1 - y0) * (xs[k] - x0)) / (x1 - x0 || 1);
    }
    prev = i;
  }
  return out;
}

// cols: the ys of a group's runs on one shared x axis. At each x the mean,
// min and max of the runs that have a value there (null where none has).
export function groupStats(cols) {
  const n = cols.length ? cols[0].length : 0;
  const mean = new Array(n), min = new Array(n), max = new Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0, c = 0, lo = Infinity, hi = -Infinity;
    for (const ys of cols) {
      const y = ys[i];
      if (y === null || y === undefined || !Number.isFinite(y)) continue;
      s += y;
      c++;
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
    mean[i] = c ? s / c : null;
    min[i] = c ? lo : null;
    max[i] = c ? hi : null;
  }
  return { mean, min, max };
}

// Log scales draw positive values only: the others become gaps.
export const positiveOnly = (ys) => ys.map((y) => (y !== null && y > 0 ? y : null));

// A CSV cell: quoted when it holds a comma, quote or line break.
function cell(v) {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

// header: the column names (x first); data: uPlot's [xs, ys...].
export function toCSV(header, data) {
  const lines = [header.map(cell).join(",")];
  const n = data.length ? data[0].length : 0;
  for (let i = 0; i < n; i++) lines.push(data.map((col) => cell(col[i])).join(","));
  return lines.join("\n") + "\n";
}
