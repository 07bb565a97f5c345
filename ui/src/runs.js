// SPDX-License-Identifier: MIT
// The runs table of one or more experiments: the common metrics and params
// as columns by default, any params, metrics, tags and attributes as
// columns on demand (runs_columns.js: shown, ordered, remembered), sort by
// any column on the server, a filter box in MLflow's search grammar with
// completion (runs_filter.js), server pages fetched as the table scrolls
// with only the rows near the viewport rendered (fast however many runs
// there are), nested runs under their parent, a stable colour per run
// (colors.js, the charts' too), and actions on the selected runs. The
// header row and the run-name column stay in view as the table scrolls.
// Grouped by a param or a tag (runs_groups.js), the table loads the
// search's runs up to a cap and shows them in collapsible groups, a header
// row each with the group's count and metric means; the rows near the
// viewport are still the only ones rendered.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { html } from "./html.js";
import { post } from "./api.js";
import { hashWith, navigate, tagsOf } from "./util.js";
import { Confirm, ErrorBox, useLoad } from "./widgets.js";
import { runColor } from "./colors.js";
import { ColumnHead, ColumnPicker, availableColumns, cell, cellClass, colName, defaultColumns, formatCols, loadCols,
  parseCols, saveCols, sortable } from "./runs_columns.js";
import { FilterBox, filterFields } from "./runs_filter.js";
import { GROUP_CAP, GroupBy, GroupRow, groupRuns, groupable, loadGroup, metricStats, saveGroup } from "./runs_groups.js";
import { useRowKeys } from "./keys.js";
import { chartsHash } from "./charts.js";

const PAGE = 100;
const ALL_PAGE = 1000; // a grouped table's pages: up to GROUP_CAP runs in a few requests

// runs/search, with one answer for identical requests in flight: the sample
// the default columns are counted on is the table's own first page when
// the table shows the default view, and then costs nothing more.
const inflight = new Map();
function search(body) {
  const k = JSON.stringify(body);
  if (!inflight.has(k)) {
    const p = post("runs/search", body);
    inflight.set(k, p);
    const drop = () => inflight.delete(k);
    p.then(drop, drop);
  }
  return inflight.get(k);
}

// Children after their parent, with depth. A child is nested only under a
// parent on its own page or an earlier one, so the rows already shown never
// move when a later page arrives (a child whose parent comes on a later page
// stays where the server's order put it). Runs on a cycle of parent tags are
// shown as roots, never dropped.
function nest(runs) {
  const page = new Map(runs.map((r, i) => [r.info.run_id, Math.floor(i / PAGE)]));
  const kids = new Map();
  const roots = [];
  for (const [i, r] of runs.entries()) {
    const p = tagsOf(r.data.tags)["mlflow.parentRunId"];
    if (p && page.has(p) && page.get(p) <= Math.floor(i / PAGE) && p !== r.info.run_id) {
      if (!kids.has(p)) kids.set(p, []);
      kids.get(p).push(r);
    } else roots.push(r);
  }
  const out = [];
  const done = new Set();
  const walk = (r, depth) => {
    if (done.has(r.info.run_id)) return;
    done.add(r.info.run_id);
    out.push({ run: r, depth, children: (kids.get(r.info.run_id) || []).length });
    for (const k of kids.get(r.info.run_id) || []) walk(k, depth + 1);
  };
  roots.forEach((r) => walk(r, 0));
  runs.forEach((r) => walk(r, 0)); // a cycle's runs: none of them is a root
  return out;
}

const DEFAULT_ORDER = "attributes.start_time DESC";

// Rows are fetched a server page at a time as the table scrolls down, and
// only those near the viewport are in the DOM (spacing above and below
// stands for the rest), so a 100,000-run experiment scrolls as smoothly as
// a small one and its first paint costs one page.
const OVERSCAN = 25; // rows rendered beyond each edge of the viewport
const STEP = 10; // (< OVERSCAN) see view.top
const AHEAD = 40; // fetch the next page when fewer loaded rows than this are left below (> OVERSCAN)

export function RunsPage({ experimentIds, query }) {
  const filter = query.get("filter") || "";
  const order = query.get("order") || DEFAULT_ORDER;
  const urlCols = parseCols(query.get("cols"));
  const deleted = query.get("deleted") === "1";
  // the URL's grouping, else the one remembered for these experiments
  const urlGroup = query.get("group");
  const group = urlGroup !== null && groupable(urlGroup) ? urlGroup : loadGroup(experimentIds);
  const grouped = !!group;
  const [closed, setClosed] = useState(new Set()); // collapsed groups' ids
  useEffect(() => setClosed(new Set()), [group]);
  const [draft, setDraft] = useState(filter);
  useEffect(() => setDraft(filter), [filter]); // the link's filter (back, forward, a pasted link) shows in the box
  const [picked, setPicked] = useState(new Set());
  const [collapsed, setCollapsed] = useState(new Set());
  const [confirm, setConfirm] = useState(false);
  const [tagDraft, setTagDraft] = useState(null);
  const [actionError, setActionError] = useState(null);
  const [, setSaved] = useState(0); // bumped when the stored column choice changes
  // the rows of the last search that worked (a failed one, a bad filter,
  // keeps them under its message), its key and next page's token
  const [list, setList] = useState({ key: null, runs: [], next: null, capped: false });
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0); // a new search's answers supersede an older one's
  const busy = useRef(false);
  const asked = useRef(null); // the last next-page token asked for
  const box = useRef(null);
  const table = useRef(null); // j/k and arrows move a focus row, Enter opens the run
  useRowKeys(table);
  const rowH = useRef(30); // measured from a rendered row
  const [view, setView] = useState({ top: 0, height: 900 });
  const key = [experimentIds.join(","), filter, order, deleted, grouped].join("|");

  const exps = useLoad(() => Promise.all(experimentIds.map((id) => post("experiments/get", { experiment_id: id }).then(
    (r) => r.experiment, () => ({ experiment_id: id, name: "#" + id })))), [experimentIds.join(",")]);
  const pageBody = (o, f, token, del) => ({
    experiment_ids: experimentIds, filter: f, max_results: PAGE, order_by: [o],
    page_token: token || undefined, run_view_type: del ? "DELETED_ONLY" : "ACTIVE_ONLY",
  });
  // the runs the default columns are counted on, and completion's keys
  const sample = useLoad(() => search(pageBody(DEFAULT_ORDER, "", null, false)).then((r) => r.runs || []),
    [experimentIds.join(",")]);
  // token null: this search's first page (replacing the rows); else the next
  const load = (token) => {
    const n = token ? seq.current : ++seq.current;
    // page tokens are offsets, the same for every search: a new search's
    // second page must not look asked for already
    if (!token) asked.current = null;
    busy.current = true;
    setLoading(true);
    search(pageBody(order, filter, token, deleted)).then((r) => {
      if (n !== seq.current) return;
      busy.current = false;
      setLoading(false);
      setError(null);
      // a page is appended once, to the list whose next page it is
      setList((l) => (token && l.next !== token ? l
        : { key, runs: token ? [...l.runs, ...(r.runs || [])] : r.runs || [], next: r.next_page_token || null, capped: false }));
    }, (e) => {
      if (n !== seq.current) return;
      busy.current = false;
      setLoading(false);
      setError(e);
      if (token) asked.current = null; // a failed next page is asked for again as the user scrolls
    });
  };
  // grouped: every run of the search up to GROUP_CAP, shown as its pages come
  const loadAll = async () => {
    const n = ++seq.current;
    asked.current = null;
    busy.current = true;
    setLoading(true);
    let all = [], token = null;
    try {
      do {
        // the last request asks for one run past the cap: whether there are more
        const r = await search({ ...pageBody(order, filter, token, deleted), max_results: Math.min(ALL_PAGE, GROUP_CAP + 1 - all.length) });
        if (n !== seq.current) return;
        all = [...all, ...(r.runs || [])];
        token = r.next_page_token || null;
        setList({ key, runs: all.slice(0, GROUP_CAP), next: null, capped: all.length > GROUP_CAP });
      } while (token && all.length <= GROUP_CAP);
      setError(null);
    } catch (e) {
      if (n !== seq.current) return;
      setError(e);
    }
    busy.current = false;
    setLoading(false);
  };
  useEffect(() => { // a new search starts at the top, with nothing picked
    setPicked(new Set());
    grouped ? loadAll() : load(null);
    if (box.current) box.current.scrollTop = 0;
  }, [key]);

  const setQuery = (k, v) => {
    const nq = new URLSearchParams(query);
    v ? nq.set(k, v) : nq.delete(k);
    navigate(hashWith(["experiments", experimentIds.join(",")], nq));
  };
  const [sortCol, sortDir = "ASC"] = order.split(/ (?=ASC$|DESC$)/);
  const sortBy = (col) => setQuery("order", `${col} ${sortCol === col && sortDir !== "ASC" ? "ASC" : "DESC"}`);
  const ariaSort = (col) => (sortCol === col ? (sortDir === "ASC" ? "ascending" : "descending") : null);
  const sortMark = (col) => (sortCol === col ? (sortDir === "ASC" ? " ▲" : " ▼") : "");
  const sortButton = (col, label) => html`<button class="sort" onClick=${() => sortBy(col)}>${label}${sortMark(col)}</button>`;

  const runs = list.runs;
  // keys for the picker and completion: the sample's and the first page's
  // (not all of 100,000 loaded runs', on every render)
  const seen = useMemo(() => [...(sample.data || []), ...runs.slice(0, PAGE)], [sample.data, runs]);
  const fields = useMemo(() => filterFields(seen), [seen]);
  const cols = urlCols || loadCols(experimentIds) || (sample.data || sample.error ? defaultColumns(sample.data || []) : null);
  const shown = cols || [];
  const available = useMemo(() => availableColumns(seen), [seen]);
  const pickable = [...new Set([...available, ...shown])];
  const setGroup = (id) => { // in the link and remembered for these experiments
    saveGroup(experimentIds, id);
    setQuery("group", id);
  };
  const setCols = (list) => { // in the link when it names columns (a shared link), else remembered for these experiments
    if (urlCols) return setQuery("cols", list ? formatCols(list) : "");
    saveCols(experimentIds, list);
    setSaved((n) => n + 1);
  };

  const groups = useMemo(() => (grouped ? groupRuns(runs, group) : null), [runs, group, grouped]);
  const stats = useMemo(() => new Map((groups || []).map((g) =>
    [g.id, new Map(shown.filter((c) => c.startsWith("metrics.")).map((c) => [c, metricStats(g.runs, c)]))])), [groups, shown.join(",")]);
  const rows = useMemo(() => {
    if (groups) { // a header row per group, then its runs (flat: a group is the nesting here)
      const out = [];
      for (const g of groups) {
        out.push({ group: g });
        if (!closed.has(g.id)) g.runs.forEach((run) => out.push({ run, depth: 0, children: 0 }));
      }
      return out;
    }
    const byId = new Map(runs.map((r) => [r.info.run_id, r]));
    const parentOf = (r) => tagsOf(r.data.tags)["mlflow.parentRunId"];
    return nest(runs).filter((row) => {
      let p = parentOf(row.run);
      for (let i = 0; p && i < 50; i++) {
        if (collapsed.has(p)) return false;
        p = byId.has(p) && parentOf(byId.get(p));
      }
      return true;
    });
  }, [runs, collapsed, groups, closed]);

  // the rows near the viewport
  // view.top moves in steps of STEP rows, so a scroll re-renders the table
  // once per STEP rows passed rather than once per pixel
  const h = rowH.current;
  const first = Math.max(0, Math.floor(view.top / h) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((view.top + view.height) / h) + STEP + OVERSCAN);
  const viewOf = (s) => ({ top: Math.floor(s.scrollTop / (h * STEP)) * h * STEP, height: s.clientHeight });
  const onScroll = (e) => {
    const v = viewOf(e.currentTarget);
    if (v.top !== view.top || v.height !== view.height) setView(v);
  };
  useLayoutEffect(() => {
    const s = box.current;
    if (!s) return;
    const tr = s.querySelector("tbody tr");
    const th = tr ? tr.getBoundingClientRect().height : 0; // fractional: rounding would drift over thousands of rows
    if (th > 0) rowH.current = th;
    if (s.clientHeight !== view.height) setView(viewOf(s));
  });
  useEffect(() => { // the next page, when the loaded rows below run short
    // (an effect of an earlier render may run after the answer came: asked
    // keeps it from asking for the same page twice)
    if (!grouped && list.key === key && list.next && list.next !== asked.current && !busy.current && rows.length - last < AHEAD) {
      asked.current = list.next;
      load(list.next);
    }
  }, [list, key, last, rows.length, grouped]);

  const act = async (fn) => {
    setActionError(null);
    try {
      await fn();
      setPicked(new Set());
      load(null);
    } catch (e) {
      setActionError(e);
    }
  };
  const toggle = (s, id, set) => {
    const n = new Set(s);
    n.has(id) ? n.delete(id) : n.add(id);
    set(n);
  };
  const title = (exps.data || []).map((e) => e.name).join(", ");

  return html`
    <div class="page wide runs-page">
      <p class="crumbs"><a href="#/">Experiments</a> /</p>
      <h1>${title || "Runs"}</h1>
      <form class="toolbar" onSubmit=${(e) => { e.preventDefault(); setQuery("filter", draft.trim()); }}>
        <${FilterBox} value=${draft} onInput=${setDraft} fields=${fields} />
        <button type="submit" class="primary">Search</button>
        ${filter ? html`<button type="button" onClick=${() => { setDraft(""); setQuery("filter", ""); }}>Clear</button>` : null}
        <label><input type="checkbox" checked=${deleted} onChange=${(e) => setQuery("deleted", e.target.checked ? "1" : "")} /> Deleted</label>
      </form>
      <div class="toolbar">
        <${ColumnPicker} shown=${shown} available=${pickable} onChange=${setCols} onReset=${() => setCols(null)} />
        <${GroupBy} value=${group} available=${available} onChange=${setGroup} />
        ${groups && groups.length > 1 ? html`<button type="button" onClick=${() => setClosed(closed.size ? new Set() : new Set(groups.map((g) => g.id)))}>
          ${closed.size ? "Expand all" : "Collapse all"}</button>` : null}
        <a class="button" href=${chartsHash(experimentIds, filter)} title="every metric of these runs on one chart each">Charts</a>
        <button disabled=${picked.size < 2} onClick=${() => navigate("#/compare-runs?runs=" + [...picked].join(","))}>Compare ${picked.size || ""}</button>
        <button disabled=${!picked.size} onClick=${() => setTagDraft({ key: "", value: "" })}>Tag</button>
        ${deleted
          ? html`<button disabled=${!picked.size} onClick=${() => act(() => Promise.all([...picked].map((id) => post("runs/restore", { run_id: id }))))}>Restore</button>`
          : html`<button disabled=${!picked.size} onClick=${() => setConfirm(true)}>Delete</button>`}
      </div>
      ${tagDraft ? html`
        <form class="toolbar" onSubmit=${(e) => { e.preventDefault(); const t = tagDraft; setTagDraft(null);
            act(() => Promise.all([...picked].map((id) => post("runs/set-tag", { run_id: id, key: t.key, value: t.value })))); }}>
          <input aria-label="Tag key" placeholder="key" value=${tagDraft.key} onInput=${(e) => setTagDraft({ ...tagDraft, key: e.target.value })} />
          <input aria-label="Tag value" placeholder="value" value=${tagDraft.value} onInput=${(e) => setTagDraft({ ...tagDraft, value: e.target.value })} />
          <button type="submit" class="primary" disabled=${!tagDraft.key}>Set tag on ${picked.size}</button>
          <button type="button" onClick=${() => setTagDraft(null)}>Cancel</button>
        </form>` : null}
      <${ErrorBox} error=${error || actionError} />
      <div class="scroll runs-scroll" ref=${box} onScroll=${onScroll}>
        <div style=${`padding-top:${first * h}px;padding-bottom:${(rows.length - last) * h}px`}>
        <table class="grid runs" ref=${table} aria-busy=${loading ? "true" : "false"} aria-rowcount=${list.next ? -1 : rows.length + 1}>
          <thead><tr>
            <th class="pick"><input type="checkbox" aria-label="Select all loaded runs" checked=${runs.length > 0 && runs.every((r) => picked.has(r.info.run_id))}
              onChange=${(e) => setPicked(e.target.checked ? new Set(runs.map((r) => r.info.run_id)) : new Set())} /></th>
            <th class="name" aria-sort=${ariaSort("attributes.run_name")}>${sortButton("attributes.run_name", "Run")}</th>
            ${shown.map((c) => html`<th key=${c} aria-sort=${ariaSort(c)}>
              ${sortable(c) ? sortButton(c, html`<${ColumnHead} id=${c} />`) : html`<${ColumnHead} id=${c} />`}
              <button class="x" aria-label=${"Hide column " + colName(c)} onClick=${() => setCols(shown.filter((x) => x !== c))}>×</button></th>`)}
          </tr></thead>
          <tbody>
            ${rows.slice(first, last).map(({ run, depth, children, group: g }) => {
              if (g) return html`<${GroupRow} key=${"group:" + g.id} g=${g} by=${group} cols=${shown} stats=${stats.get(g.id)}
                open=${!closed.has(g.id)} picked=${picked} onToggle=${(x) => toggle(closed, x.id, setClosed)}
                onPick=${(x, on) => { const n = new Set(picked); x.runs.forEach((r) => (on ? n.add(r.info.run_id) : n.delete(r.info.run_id))); setPicked(n); }} />`;
              const i = run.info;
              const id = i.run_id;
              return html`<tr key=${id} class=${picked.has(id) ? "picked" : ""}>
                <td class="pick"><input type="checkbox" aria-label=${"Select run " + (i.run_name || id)} checked=${picked.has(id)} onChange=${() => toggle(picked, id, setPicked)} /></td>
                <td class="name" style=${"padding-left:" + (0.5 + depth * 1.25) + "em"}>
                  ${children ? html`<button class="twisty" aria-expanded=${!collapsed.has(id)} aria-label=${(collapsed.has(id) ? "Expand " : "Collapse ") + (i.run_name || id)}
                    onClick=${() => toggle(collapsed, id, setCollapsed)}>${collapsed.has(id) ? "▸" : "▾"}</button>` : null}
                  <span class="swatch" style=${"background-color:" + runColor(id)} aria-hidden="true"></span>
                  <a href=${`#/experiments/${i.experiment_id}/runs/${id}`}>${i.run_name || id}</a></td>
                ${shown.map((c) => html`<td class=${cellClass(c)}>${cell(run, c)}</td>`)}
              </tr>`;
            })}
          </tbody>
        </table>
        </div>
      </div>
      ${loading ? html`<p class="loading">Loading…</p>` : null}
      ${!loading && !error && !runs.length ? html`<p class="empty">No runs${filter ? " match this filter" : ""}.</p>` : null}
      ${runs.length && !groups ? html`<p class="count runs-count" aria-live="polite">${runs.length} run${runs.length === 1 ? "" : "s"}${list.next ? " loaded; more as you scroll" : ""}</p>` : null}
      ${groups && runs.length ? html`<p class="count runs-count" aria-live="polite">${runs.length} run${runs.length === 1 ? "" : "s"} in ${groups.length}${" "}
        group${groups.length === 1 ? "" : "s"}${loading ? ", loading more…" : ""}; grouping reads at most ${GROUP_CAP.toLocaleString("en")} runs of a search</p>` : null}
      ${groups && list.capped && !loading ? html`<p class="note capped" role="status">Only the first ${GROUP_CAP.toLocaleString("en")} runs of this
        search are grouped (in its sort order); narrow the filter to group the rest, or group by none to scroll through every run.</p>` : null}
      ${confirm ? html`<${Confirm} title="Delete runs" yes="Delete" text=${`Delete ${picked.size} run(s)? They can be restored from the Deleted view.`}
        onNo=${() => setConfirm(false)}
        onYes=${() => { setConfirm(false); act(() => Promise.all([...picked].map((id) => post("runs/delete", { run_id: id })))); }} />` : null}
    </div>`;
}
