// SPDX-License-Identifier: MIT
// The runs table of one or more experiments: any params, metrics and tags
// as columns, sort by any column, a filter box in MLflow's search grammar,
// server-side pages (fast however many runs there are), nested runs under
// their parent, and actions on the selected runs.
import { useState } from "preact/hooks";
import { html } from "./html.js";
import { post } from "./api.js";
import { fmtDuration, fmtNum, fmtTime, hashWith, navigate, quoteKey, tagsOf } from "./util.js";
import { Confirm, ErrorBox, useLoad } from "./widgets.js";

const PAGE = 100;
const FIXED = [
  { id: "attributes.run_name", label: "Run" },
  { id: "attributes.status", label: "Status" },
  { id: "attributes.start_time", label: "Started" },
  { id: "duration", label: "Duration" },
  { id: "attributes.user_id", label: "User" },
  { id: "tags.`mlflow.source.name`", label: "Source" },
];

function cell(run, col) {
  const [kind, ...rest] = col.split(".");
  const key = rest.join(".");
  if (kind === "metrics") {
    const m = (run.data.metrics || []).find((x) => x.key === key);
    return m ? fmtNum(m.value) : "";
  }
  if (kind === "params") {
    const p = (run.data.params || []).find((x) => x.key === key);
    return p ? p.value : "";
  }
  if (kind === "tags") return tagsOf(run.data.tags)[key] || "";
  return "";
}

// Children after their parent (when the parent is on this page), with depth.
function nest(runs) {
  const byId = new Map(runs.map((r) => [r.info.run_id, r]));
  const kids = new Map();
  const roots = [];
  for (const r of runs) {
    const p = tagsOf(r.data.tags)["mlflow.parentRunId"];
    if (p && byId.has(p) && p !== r.info.run_id) {
      if (!kids.has(p)) kids.set(p, []);
      kids.get(p).push(r);
    } else roots.push(r);
  }
  const out = [];
  const walk = (r, depth) => {
    if (out.length > runs.length) return; // a cycle in parent tags: stop
    out.push({ run: r, depth, children: (kids.get(r.info.run_id) || []).length });
    for (const k of kids.get(r.info.run_id) || []) walk(k, depth + 1);
  };
  roots.forEach((r) => walk(r, 0));
  return out;
}

export function RunsPage({ experimentIds, query }) {
  const filter = query.get("filter") || "";
  const order = query.get("order") || "attributes.start_time DESC";
  const cols = (query.get("cols") || "").split(",").filter(Boolean);
  const deleted = query.get("deleted") === "1";
  const [tokens, setTokens] = useState([null]); // page tokens, one per page seen
  const [pageNo, setPageNo] = useState(0);
  const [draft, setDraft] = useState(filter);
  const [picked, setPicked] = useState(new Set());
  const [collapsed, setCollapsed] = useState(new Set());
  const [confirm, setConfirm] = useState(false);
  const [tagDraft, setTagDraft] = useState(null);
  const [actionError, setActionError] = useState(null);
  const key = [experimentIds.join(","), filter, order, deleted].join("|");
  const [lastKey, setLastKey] = useState(key);
  if (key !== lastKey) { // a new search starts at its first page
    setLastKey(key);
    setTokens([null]);
    setPageNo(0);
  }

  const exps = useLoad(() => Promise.all(experimentIds.map((id) => post("experiments/get", { experiment_id: id }).then(
    (r) => r.experiment, () => ({ experiment_id: id, name: "#" + id })))), [experimentIds.join(",")]);
  const page = useLoad(async () => {
    const r = await post("runs/search", {
      experiment_ids: experimentIds, filter, max_results: PAGE, order_by: [order],
      page_token: tokens[pageNo] || undefined, run_view_type: deleted ? "DELETED_ONLY" : "ACTIVE_ONLY",
    });
    if (r.next_page_token && tokens.length === pageNo + 1) setTokens((t) => [...t, r.next_page_token]);
    return r.runs || [];
  }, [key, pageNo, tokens[pageNo]]);

  const setQuery = (k, v) => {
    const nq = new URLSearchParams(query);
    v ? nq.set(k, v) : nq.delete(k);
    navigate(hashWith(["experiments", experimentIds.join(",")], nq));
  };
  const sortBy = (col) => {
    if (col === "duration") return; // not in MLflow's order_by grammar
    const [c, dir] = order.split(" ");
    setQuery("order", `${col} ${c === col && dir === "DESC" ? "ASC" : "DESC"}`);
  };
  const sortMark = (col) => {
    const [c, dir] = order.split(" ");
    return c === col ? (dir === "ASC" ? " ▲" : " ▼") : "";
  };
  const ariaSort = (col) => {
    const [c, dir] = order.split(" ");
    return c === col ? (dir === "ASC" ? "ascending" : "descending") : null;
  };
  const runs = page.data || [];
  const available = new Set();
  for (const r of runs) {
    (r.data.metrics || []).forEach((m) => available.add("metrics." + quoteKey(m.key)));
    (r.data.params || []).forEach((p) => available.add("params." + quoteKey(p.key)));
    (r.data.tags || []).forEach((t) => t.key.startsWith("mlflow.") || available.add("tags." + quoteKey(t.key)));
  }
  const unquote = (c) => c.replace(/`/g, "");
  const rows = nest(runs).filter((row) => {
    let p = tagsOf(row.run.data.tags)["mlflow.parentRunId"];
    for (let i = 0; p && i < 50; i++) {
      if (collapsed.has(p)) return false;
      const parent = runs.find((r) => r.info.run_id === p);
      p = parent && tagsOf(parent.data.tags)["mlflow.parentRunId"];
    }
    return true;
  });
  const act = async (fn) => {
    setActionError(null);
    try {
      await fn();
      setPicked(new Set());
      page.reload();
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
    <div class="page wide">
      <p class="crumbs"><a href="#/">Experiments</a> /</p>
      <h1>${title || "Runs"}</h1>
      <form class="toolbar" onSubmit=${(e) => { e.preventDefault(); setQuery("filter", draft.trim()); }}>
        <input class="filter" aria-label="Filter runs" placeholder="metrics.rmse < 1 and params.model = 'tree'"
          value=${draft} onInput=${(e) => setDraft(e.target.value)} />
        <button type="submit" class="primary">Search</button>
        ${filter ? html`<button type="button" onClick=${() => { setDraft(""); setQuery("filter", ""); }}>Clear</button>` : null}
        <label><input type="checkbox" checked=${deleted} onChange=${(e) => setQuery("deleted", e.target.checked ? "1" : "")} /> Deleted</label>
      </form>
      <div class="toolbar">
        <label>Add column <select aria-label="Add a column" value="" onChange=${(e) => e.target.value && setQuery("cols", [...cols, e.target.value].join(","))}>
          <option value="">choose…</option>
          ${[...available].filter((c) => !cols.includes(c)).sort().map((c) => html`<option value=${c}>${unquote(c)}</option>`)}
        </select></label>
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
      <${ErrorBox} error=${page.error || actionError} />
      <div class="scroll">
        <table class="grid runs">
          <thead><tr>
            <th><input type="checkbox" aria-label="Select all on this page" checked=${runs.length && picked.size === runs.length}
              onChange=${(e) => setPicked(e.target.checked ? new Set(runs.map((r) => r.info.run_id)) : new Set())} /></th>
            ${FIXED.map((c) => html`<th aria-sort=${ariaSort(c.id)}>${c.id === "duration" ? c.label
              : html`<button class="sort" onClick=${() => sortBy(c.id)}>${c.label}${sortMark(c.id)}</button>`}</th>`)}
            ${cols.map((c) => html`<th aria-sort=${ariaSort(c)}><button class="sort" onClick=${() => sortBy(c)}>${unquote(c)}${sortMark(c)}</button>
              <button class="x" aria-label=${"Remove column " + unquote(c)} onClick=${() => setQuery("cols", cols.filter((x) => x !== c).join(","))}>×</button></th>`)}
          </tr></thead>
          <tbody>
            ${rows.map(({ run, depth, children }) => {
              const i = run.info, tags = tagsOf(run.data.tags);
              const id = i.run_id;
              return html`<tr key=${id} class=${picked.has(id) ? "picked" : ""}>
                <td><input type="checkbox" aria-label=${"Select run " + (i.run_name || id)} checked=${picked.has(id)} onChange=${() => toggle(picked, id, setPicked)} /></td>
                <td style=${"padding-left:" + (0.5 + depth * 1.25) + "em"}>
                  ${children ? html`<button class="twisty" aria-expanded=${!collapsed.has(id)} aria-label=${(collapsed.has(id) ? "Expand " : "Collapse ") + (i.run_name || id)}
                    onClick=${() => toggle(collapsed, id, setCollapsed)}>${collapsed.has(id) ? "▸" : "▾"}</button>` : null}
                  <a href=${`#/experiments/${i.experiment_id}/runs/${id}`}>${i.run_name || id}</a></td>
                <td><span class=${"status " + (i.status || "").toLowerCase()}>${i.status}</span></td>
                <td>${fmtTime(i.start_time)}</td>
                <td>${fmtDuration(i.start_time, i.end_time)}</td>
                <td>${i.user_id || ""}</td>
                <td class="src" title=${tags["mlflow.source.name"] || ""}>${(tags["mlflow.source.name"] || "").split("/").pop()}</td>
                ${cols.map((c) => html`<td class="num">${cell(run, unquote(c))}</td>`)}
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      ${page.loading ? html`<p class="loading">Loading…</p>` : null}
      ${!page.loading && !page.error && !runs.length ? html`<p class="empty">No runs${filter ? " match this filter" : ""}.</p>` : null}
      <nav class="pager" aria-label="Pages">
        <button disabled=${pageNo === 0} onClick=${() => setPageNo(pageNo - 1)}>← Previous</button>
        <span>Page ${pageNo + 1} · runs ${pageNo * PAGE + (runs.length ? 1 : 0)}–${pageNo * PAGE + runs.length}</span>
        <button disabled=${tokens.length <= pageNo + 1} onClick=${() => setPageNo(pageNo + 1)}>Next →</button>
      </nav>
      ${confirm ? html`<${Confirm} title="Delete runs" yes="Delete" text=${`Delete ${picked.size} run(s)? They can be restored from the Deleted view.`}
        onNo=${() => setConfirm(false)}
        onYes=${() => { setConfirm(false); act(() => Promise.all([...picked].map((id) => post("runs/delete", { run_id: id })))); }} />` : null}
    </div>`;
}
