// SPDX-License-Identifier: MIT
// The numbers behind the charts page (charts.js), kept free of the DOM so
// that they can be tested alone: histories aligned on one x axis, the
// exponential moving average, each group's mean, min and max (the groups
// themselves are the runs table's, runs_groups.js), and the CSV of what a
// chart draws.

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

// A run's xs, from its columns: its steps, its wall times (seconds, uPlot's
// time unit) or its times since the run's first point (seconds).
function xsOf(h, xMode) {
  const n = h.values.length, xs = new Float64Array(n);
  if (xMode === "step") {
    for (let i = 0; i < n; i++) xs[i] = Number(h.steps[i]);
    return xs;
  }
  let t0 = Infinity;
  if (xMode !== "time") for (let i = 0; i < n; i++) t0 = Math.min(t0, Number(h.timestamps[i]));
  for (let i = 0; i < n; i++) xs[i] = xMode === "time" ? Number(h.timestamps[i]) / 1000 : (Number(h.timestamps[i]) - t0) / 1000;
  return xs;
}

// One run's points in the order alignRuns places them: by x, points at one
// x by step then time (so the last is the one kept). The server answers in
// step order; time order can differ (a resumed run), and then this sorts.
function perRun(h, xMode) {
  const n = h.values.length;
  const xs = xsOf(h, xMode), ys = new Float64Array(n);
  for (let i = 0; i < n; i++) ys[i] = typeof h.values[i] === "number" ? h.values[i] : Number(h.values[i]);
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) {
    const d = xs[i] - xs[i - 1] || Number(h.steps[i]) - Number(h.steps[i - 1]) || Number(h.timestamps[i]) - Number(h.timestamps[i - 1]);
    if (d < 0) sorted = false;
  }
  if (sorted) return { xs, ys };
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => xs[a] - xs[b] ||
    Number(h.steps[a]) - Number(h.steps[b]) || Number(h.timestamps[a]) - Number(h.timestamps[b]));
  return { xs: Float64Array.from(order, (i) => xs[i]), ys: Float64Array.from(order, (i) => ys[i]) };
}

// historyByRun: Map runId -> {steps, timestamps, values} (the columns of
// ferry's get-histories-downsampled; values numbers or MLflow's "NaN"
// strings; points in any order); runIds: the columns' order; maxSlots: the
// most xs wanted (about two a pixel). Returns uPlot's data: [xs, ys of run
// 0, ...], xs ascending, null where a run has no point.
// When the union of every run's xs holds at most maxSlots, xs is that union
// and each run keeps its own points (at one x its last, by step then time).
// Otherwise (each run's history is downsampled on its own, so its buckets'
// lows and highs fall on steps of its own, and the union would have nearly
// runs x points xs, each with one run's value) the runs are binned: see binRuns.
// Typed arrays, a sort and merges, not a Set and a Map of every x: this runs
// on the page's first draw of 50 runs x 2,000 points, where those took 100 ms.
export function alignRuns(historyByRun, runIds, xMode, maxSlots = Infinity) {
  const empty = { steps: [], timestamps: [], values: [] };
  const per = runIds.map((id) => perRun(historyByRun.get(id) || empty, xMode));
  let total = 0;
  for (const r of per) total += r.xs.length;
  const all = new Float64Array(total);
  let at = 0;
  for (const r of per) {
    all.set(r.xs, at);
    at += r.xs.length;
  }
  all.sort();
  let nx = 0;
  for (let i = 0; i < total; i++) if (i === 0 || all[i] !== all[i - 1]) all[nx++] = all[i];
  if (nx > maxSlots) return binRuns(per, Math.max(1, Math.floor(maxSlots / 2)));
  const xs = all.subarray(0, nx);
  const cols = per.map((r) => {
    const ys = new Array(nx).fill(null);
    for (let i = 0, j = 0; i < r.xs.length; i++) {
      while (xs[j] < r.xs[i]) j++;
      ys[j] = r.ys[i];
    }
    return ys;
  });
  return [Array.from(xs), ...cols];
}

// per: each run's xs and ys. The x range cut into nb equal buckets shared
// by all runs, two slots a bucket: a run's lowest and highest value in a
// bucket go into them in the order of their xs (a run with one point there
// has it in both), so every run has a value at every x it spans, which
// hover, groups and the cursor need, and no spike is lost; a point moves by
// less than a bucket (about a pixel). A slot's x is one of the points' own:
// the first slot's the smallest x put in it, the second's the largest (one
// slot when they are the same x). Non-finite values are left out.
function binRuns(per, nb) {
  let lo = Infinity, hi = -Infinity;
  for (const r of per) {
    for (const x of r.xs) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  const scale = nb / (hi - lo || 1);
  const first = new Float64Array(nb).fill(Infinity), last = new Float64Array(nb).fill(-Infinity);
  // each run's index of its first and second slot's point in each bucket (-1: none)
  const pairs = per.map(({ xs, ys }) => {
    const low = new Int32Array(nb).fill(-1), high = new Int32Array(nb).fill(-1);
    for (let i = 0; i < xs.length; i++) {
      const y = ys[i];
      if (!Number.isFinite(y)) continue;
      const k = Math.min(nb - 1, Math.floor((xs[i] - lo) * scale));
      if (low[k] < 0 || y < ys[low[k]]) low[k] = i;
      if (high[k] < 0 || y > ys[high[k]]) high[k] = i;
    }
    for (let k = 0; k < nb; k++) {
      if (low[k] < 0) continue;
      if (xs[high[k]] < xs[low[k]]) [low[k], high[k]] = [high[k], low[k]];
      if (xs[low[k]] < first[k]) first[k] = xs[low[k]];
      if (xs[high[k]] > last[k]) last[k] = xs[high[k]];
    }
    return [low, high]; // now in x order: the first slot's, the second's
  });
  const xs = [], slot0 = new Int32Array(nb), slot1 = new Int32Array(nb);
  for (let k = 0; k < nb; k++) {
    if (first[k] === Infinity) continue;
    slot0[k] = xs.push(first[k]) - 1;
    slot1[k] = first[k] === last[k] ? slot0[k] : xs.push(last[k]) - 1;
  }
  const cols = pairs.map(([a, b], r) => {
    const ys = new Array(xs.length).fill(null);
    for (let k = 0; k < nb; k++) {
      if (a[k] < 0) continue;
      ys[slot0[k]] = per[r].ys[a[k]];
      ys[slot1[k]] = per[r].ys[b[k]];
    }
    return ys;
  });
  return [xs, ...cols];
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
