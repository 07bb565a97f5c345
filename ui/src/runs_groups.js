// SPDX-License-Identifier: MIT
// The runs table's grouping (Aim's "group by"): the runs of the search in
// one group per value of a param or a tag, runs without it in "(none)",
// each group a header row with its value, its run count and, per metric
// column shown, the group's mean (min and max in its title).
//
// Grouping needs every run of the search, so a grouped table loads the
// search's runs up to GROUP_CAP (and says so when there are more) and
// groups them here; the ungrouped table still loads a page at a time.
//
// The choice is a column id ("params.optimizer", "tags.team"), named in the
// URL as `group` and remembered per set of experiments, as the columns are.
import { html } from "./html.js";
import { fmtNum, loadStored, saveStored, tagsOf } from "./util.js";
import { colName, splitCol } from "./runs_columns.js";

export const GROUP_CAP = 5000;
export const NONE = "(none)";

export const groupable = (id) => id.startsWith("params.") || id.startsWith("tags.");

// A run's value of the grouping column, or null when it has none.
export function groupValue(run, id) {
  const { kind, key } = splitCol(id);
  if (kind === "params") {
    const p = (run.data.params || []).find((x) => x.key === key);
    return p ? p.value : null;
  }
  if (kind === "tags") {
    const v = tagsOf(run.data.tags)[key];
    return v === undefined ? null : v;
  }
  return null;
}

// Values in order: numbers by value when every value is one, else text;
// numbers before text when mixed.
const num = (v) => (v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : null);
function compareValues(a, b) {
  const x = num(a), y = num(b);
  if (x !== null && y !== null) return x - y || (a < b ? -1 : a > b ? 1 : 0);
  if (x !== null) return -1;
  if (y !== null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

// [{ id, value (null for the runs without one), label, runs }], by value,
// "(none)" last; runs keep the order they came in (the server's sort).
export function groupRuns(runs, id) {
  const by = new Map();
  for (const r of runs) {
    const v = groupValue(r, id);
    if (!by.has(v)) by.set(v, []);
    by.get(v).push(r);
  }
  const values = [...by.keys()].filter((v) => v !== null).sort(compareValues);
  if (by.has(null)) values.push(null);
  return values.map((v) => ({ id: v === null ? "\u0000" : "=" + v, value: v, label: v === null ? NONE : v, runs: by.get(v) }));
}

// A metric column's figures over a group's runs that have the metric:
// { n, mean, min, max }, or null when none has it.
export function metricStats(runs, col) {
  const { key } = splitCol(col);
  let n = 0, sum = 0, min = Infinity, max = -Infinity;
  for (const r of runs) {
    const m = (r.data.metrics || []).find((x) => x.key === key);
    if (!m || typeof m.value !== "number" || !Number.isFinite(m.value)) continue;
    n++;
    sum += m.value;
    if (m.value < min) min = m.value;
    if (m.value > max) max = m.value;
  }
  return n ? { n, mean: sum / n, min, max } : null;
}

// One key per set of experiments, as the columns' choice.
const storeKey = (ids) => "ferry.runs.group:" + [...ids].sort().join(",");
export const loadGroup = (ids) => {
  const v = loadStored(storeKey(ids), "");
  return typeof v === "string" && groupable(v) ? v : "";
};
export const saveGroup = (ids, id) => saveStored(storeKey(ids), id || "");

// The "Group by" control: none, or a param or a tag seen in the runs.
export function GroupBy({ value, available, onChange }) {
  const ids = [...new Set([...available.filter(groupable), ...(value ? [value] : [])])];
  const params = ids.filter((c) => c.startsWith("params.")), tags = ids.filter((c) => c.startsWith("tags."));
  const opt = (c) => html`<option value=${c}>${splitCol(c).key}</option>`;
  return html`<label class="groupby">Group by <select aria-label="Group by" value=${value} onChange=${(e) => onChange(e.target.value)}>
    <option value="">none</option>
    ${params.length ? html`<optgroup label="Params">${params.map(opt)}</optgroup>` : null}
    ${tags.length ? html`<optgroup label="Tags">${tags.map(opt)}</optgroup>` : null}
  </select></label>`;
}

// A group's header row: its checkbox (every run of the group), its twisty,
// value and count, and per column the metric's mean over the group.
export function GroupRow({ g, cols, stats, open, picked, onToggle, onPick, by }) {
  const all = g.runs.length > 0 && g.runs.every((r) => picked.has(r.info.run_id));
  const what = `${colName(by)} ${g.value === null ? NONE : "= " + g.value}`;
  return html`<tr class="group-row" data-group=${g.label}>
    <td class="pick"><input type="checkbox" aria-label=${"Select the runs of group " + what} checked=${all} onChange=${() => onPick(g, !all)} /></td>
    <td class="name"><button class="twisty" aria-expanded=${open} aria-label=${(open ? "Collapse" : "Expand") + " group " + what}
      onClick=${() => onToggle(g)}>${open ? "▾" : "▸"}</button>
      <span class=${"group-value" + (g.value === null ? " muted" : "")}>${g.label}</span>${" "}
      <span class="count group-count">${g.runs.length} run${g.runs.length === 1 ? "" : "s"}</span></td>
    ${cols.map((c) => {
      const s = stats.get(c);
      return html`<td class=${c.startsWith("metrics.") ? "num group-stat" : null}>${s ? html`<span
        title=${`mean of ${s.n} run${s.n === 1 ? "" : "s"}; min ${fmtNum(s.min)} – max ${fmtNum(s.max)}`}>${fmtNum(s.mean)}</span>` : ""}</td>`;
    })}
  </tr>`;
}
