// SPDX-License-Identifier: MIT
// The runs table's columns: which exist, which are shown by default, how a
// choice is remembered, what a cell shows, and the picker that edits them.
//
// A column is named as MLflow's search grammar names the field, so the same
// string sorts (order_by) and filters: "attributes.status",
// "metrics.rmse", "params.`max depth`", "tags.team"; "duration" is the one
// computed column (not sortable). The run name is not a column here: it is
// always shown, first.
//
// Which columns, in order of precedence: the URL's `cols` (a deep link),
// the user's last choice for this set of experiments (localStorage), then
// the defaults: the attribute columns and the metrics and params most runs
// have (counted on a sample, the first page of runs).
import { useState } from "preact/hooks";
import { html } from "./html.js";
import { fmtDuration, fmtNum, fmtTime, quoteKey, tagsOf } from "./util.js";

const SOURCE = "tags.`mlflow.source.name`";
export const ATTRS = [
  { id: "attributes.status", label: "Status" },
  { id: "attributes.start_time", label: "Started" },
  { id: "duration", label: "Duration" },
  { id: "attributes.user_id", label: "User" },
  { id: SOURCE, label: "Source" },
  { id: "attributes.end_time", label: "Ended" },
  { id: "attributes.run_id", label: "Run ID" },
];
const DEFAULT_ATTRS = ATTRS.slice(0, 5).map((a) => a.id);
const ATTR_IDS = new Set(ATTRS.map((a) => a.id));
export const MAX_METRICS = 6;
export const MAX_PARAMS = 4;

// "metrics.`a b`" -> { kind: "metrics", key: "a b" }
export function splitCol(id) {
  const i = id.indexOf(".");
  if (i < 0) return { kind: id, key: "" };
  return { kind: id.slice(0, i), key: id.slice(i + 1).replace(/^`(.*)`$/, "$1") };
}

export const sortable = (id) => id !== "duration";

// What a person reads: the attribute's label, else "metrics.key" (the kind
// muted in the header, see ColumnHead).
export function colName(id) {
  const a = ATTRS.find((x) => x.id === id);
  if (a) return a.label;
  const { kind, key } = splitCol(id);
  return kind + "." + key;
}

// Each metric/param/tag column id seen in these runs, with how many runs
// have it. mlflow.* tags are the system's, not columns of their own.
export function keyCounts(runs) {
  const n = new Map();
  const add = (id) => n.set(id, (n.get(id) || 0) + 1);
  for (const r of runs || []) {
    (r.data.metrics || []).forEach((m) => add("metrics." + quoteKey(m.key)));
    (r.data.params || []).forEach((p) => add("params." + quoteKey(p.key)));
    (r.data.tags || []).forEach((t) => t.key.startsWith("mlflow.") || add("tags." + quoteKey(t.key)));
  }
  return n;
}

// The attribute columns, then up to MAX_METRICS metrics and MAX_PARAMS
// params, the most common first (ties by name).
export function defaultColumns(runs) {
  const counts = keyCounts(runs);
  const top = (kind, max) => [...counts.entries()].filter(([id]) => id.startsWith(kind + "."))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, max).map(([id]) => id);
  return [...DEFAULT_ATTRS, ...top("metrics", MAX_METRICS), ...top("params", MAX_PARAMS)];
}

// Every column that can be shown: the attributes, then the keys seen, by
// kind and name.
export function availableColumns(runs) {
  return [...ATTRS.map((a) => a.id), ...[...keyCounts(runs).keys()].sort()];
}

// The URL's and localStorage's form: ids joined by ",". A list naming no
// attribute column starts with "-", so that hiding every attribute column
// is kept; a list without that mark and without attribute columns is an
// older link (extra columns after the fixed ones) and gets the defaults'
// attribute columns first.
export function parseCols(s) {
  if (!s) return null;
  const t = s.split(",").filter(Boolean);
  if (t[0] === "-") return t.slice(1);
  return t.some((c) => ATTR_IDS.has(c)) ? t : [...DEFAULT_ATTRS, ...t];
}

export function formatCols(list) {
  return (list.some((c) => ATTR_IDS.has(c)) ? list : ["-", ...list]).join(",");
}

// One key per set of experiments (sorted: "1,2" and "2,1" are one set).
const storeKey = (ids) => "ferry.runs.cols:" + [...ids].sort().join(",");
export function loadCols(ids) {
  try {
    return parseCols(localStorage.getItem(storeKey(ids)));
  } catch {
    return null; // storage off (a private window's policy): defaults
  }
}
export function saveCols(ids, list) {
  try {
    list ? localStorage.setItem(storeKey(ids), formatCols(list)) : localStorage.removeItem(storeKey(ids));
  } catch {
    // storage off: the choice lasts as long as the page
  }
}

// A cell's content.
export function cell(run, id) {
  const i = run.info;
  if (id === "attributes.status") return html`<span class=${"status " + (i.status || "").toLowerCase()}>${i.status}</span>`;
  if (id === "attributes.start_time") return fmtTime(i.start_time);
  if (id === "attributes.end_time") return fmtTime(i.end_time);
  if (id === "duration") return fmtDuration(i.start_time, i.end_time);
  if (id === "attributes.user_id") return i.user_id || "";
  if (id === "attributes.run_id") return html`<code>${i.run_id}</code>`;
  const { kind, key } = splitCol(id);
  if (kind === "metrics") {
    const m = (run.data.metrics || []).find((x) => x.key === key);
    return m ? fmtNum(m.value) : "";
  }
  if (kind === "params") {
    const p = (run.data.params || []).find((x) => x.key === key);
    return p ? p.value : "";
  }
  if (kind === "tags") {
    const v = tagsOf(run.data.tags)[key] || "";
    return id === SOURCE ? html`<span title=${v}>${v.split("/").pop()}</span>` : v;
  }
  return "";
}

export const cellClass = (id) => (id === SOURCE ? "src" : id.startsWith("metrics.") ? "num" : null);

// A header's text: the kind muted ("metrics."), the key plain.
export function ColumnHead({ id }) {
  if (ATTR_IDS.has(id)) return colName(id);
  const { kind, key } = splitCol(id);
  return html`<span class="kind">${kind}.</span>${key}`;
}

const LIST_MAX = 200; // a picker lists at most this many hidden columns; typing narrows

// The column picker: a checkbox per column (shown ones first, in their
// order, each movable up and down or by dragging), a box to narrow the
// list, and a reset to the defaults.
export function ColumnPicker({ shown, available, onChange, onReset }) {
  const [q, setQ] = useState("");
  const [drag, setDrag] = useState(null);
  const [open, setOpen] = useState(false); // the list is built only while open (hundreds of keys, every table render)
  const match = (id) => !q || colName(id).toLowerCase().includes(q.toLowerCase());
  const hidden = available.filter((id) => !shown.includes(id) && match(id));
  const move = (i, d) => {
    const n = [...shown];
    [n[i], n[i + d]] = [n[i + d], n[i]];
    onChange(n);
  };
  const dropOn = (i) => {
    if (drag === null || drag === i) return;
    const n = [...shown];
    const [c] = n.splice(drag, 1);
    n.splice(i, 0, c);
    setDrag(null);
    onChange(n);
  };
  return html`
    <details class="colpicker" onToggle=${(e) => setOpen(e.currentTarget.open)}>
      <summary>Columns</summary>
      ${open ? html`<div class="colpicker-panel">
        <input aria-label="Find a column" placeholder="Find a column" value=${q} onInput=${(e) => setQ(e.target.value)} />
        <ul aria-label="Shown columns">
          ${shown.map((id, i) => match(id) && html`
            <li key=${id} draggable="true" class=${drag === i ? "dragging" : null} onDragStart=${() => setDrag(i)}
              onDragOver=${(e) => e.preventDefault()} onDrop=${(e) => { e.preventDefault(); dropOn(i); }} onDragEnd=${() => setDrag(null)}>
              <label><input type="checkbox" checked onChange=${() => onChange(shown.filter((x) => x !== id))} /> ${colName(id)}</label>
              <button type="button" class="x" aria-label=${"Move " + colName(id) + " up"} disabled=${i === 0} onClick=${() => move(i, -1)}>↑</button>
              <button type="button" class="x" aria-label=${"Move " + colName(id) + " down"} disabled=${i === shown.length - 1} onClick=${() => move(i, 1)}>↓</button>
            </li>`)}
        </ul>
        <ul aria-label="Hidden columns">
          ${hidden.slice(0, LIST_MAX).map((id) => html`
            <li key=${id}><label><input type="checkbox" checked=${false} onChange=${() => onChange([...shown, id])} /> ${colName(id)}</label></li>`)}
          ${hidden.length > LIST_MAX ? html`<li class="muted">${hidden.length - LIST_MAX} more: type to find them</li>` : null}
        </ul>
        <button type="button" onClick=${onReset}>Reset to defaults</button>
      </div>` : null}
    </details>`;
}
