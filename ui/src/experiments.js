// SPDX-License-Identifier: MIT
// The experiments list (the home page): search by name, create, rename,
// delete and restore; pick several to see their runs together; each one's
// newest run and the recent runs across them; j / k and Enter to open one.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "./html.js";
import { post } from "./api.js";
import { fmtTime, hashWith, navigate } from "./util.js";
import { ErrorBox, useLoad, Confirm } from "./widgets.js";
import { useRowKeys } from "./keys.js";
import { CHANGED } from "./crumbs.js";

async function loadAll(q, deleted) {
  const out = [];
  let token;
  const filter = q ? `name LIKE '%${q.replace(/'/g, "\\'")}%'` : undefined;
  do {
    const r = await post("experiments/search", {
      max_results: 1000, page_token: token, filter,
      view_type: deleted ? "DELETED_ONLY" : "ACTIVE_ONLY", order_by: ["last_update_time DESC"],
    });
    out.push(...(r.experiments || []));
    token = r.next_page_token;
  } while (token && out.length < 10000);
  return out;
}

const LAST_RUNS_FOR = 100; // rows that get their newest run looked up
const RECENT = 6;

function fmtAgo(ms) {
  const s = (Date.now() - Number(ms)) / 1000;
  if (!ms || s < 0) return fmtTime(ms);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 30 * 86400) return `${Math.floor(s / 86400)} d ago`;
  return fmtTime(ms).slice(0, 10);
}

const runHref = (r) => `#/experiments/${r.info.experiment_id}/runs/${r.info.run_id}`;

// The newest run of each experiment shown: one runs/search (max_results 1)
// per experiment, four at a time, for the first LAST_RUNS_FOR rows only,
// so a long list costs a bounded number of small requests.
function useLastRuns(ids) {
  const [last, setLast] = useState({});
  useEffect(() => {
    let live = true;
    const queue = ids.slice(0, LAST_RUNS_FOR);
    const got = {};
    const worker = async () => {
      while (live && queue.length) {
        const id = queue.shift();
        try {
          const r = await post("runs/search", { experiment_ids: [id], max_results: 1, order_by: ["attributes.start_time DESC"] });
          got[id] = (r.runs || [])[0] || null;
        } catch {
          got[id] = null; // the cell stays empty; the list itself is what matters
        }
        if (live) setLast({ ...got });
      }
    };
    for (let i = 0; i < 4; i++) worker();
    return () => { live = false; };
  }, [ids.join(",")]);
  return last;
}

// The newest runs across the experiments shown, in one request.
function RecentRuns({ experiments }) {
  const ids = experiments.slice(0, LAST_RUNS_FOR).map((x) => x.experiment_id);
  const names = new Map(experiments.map((x) => [x.experiment_id, x.name]));
  const { data } = useLoad(() => (ids.length ? post("runs/search", {
    experiment_ids: ids, max_results: RECENT, order_by: ["attributes.start_time DESC"],
  }).then((r) => r.runs || []) : Promise.resolve([])), [ids.join(",")]);
  if (!data || !data.length) return null;
  return html`<section class="recent-runs"><h2>Recent runs</h2><ul class="run-links">
    ${data.map((r) => html`<li key=${r.info.run_id}><a href=${runHref(r)}>${r.info.run_name || r.info.run_id}</a>
      <span class="muted"> in ${names.get(r.info.experiment_id) || "#" + r.info.experiment_id} · ${fmtAgo(r.info.start_time)}</span>
      <span class=${"status " + (r.info.status || "").toLowerCase()}>${r.info.status}</span></li>`)}</ul></section>`;
}

export function ExperimentsPage({ query }) {
  const q = query.get("q") || "";
  const deleted = query.get("deleted") === "1";
  const { data, error, loading, reload } = useLoad(() => loadAll(q, deleted), [q, deleted]);
  const [name, setName] = useState("");
  const [actionError, setActionError] = useState(null);
  const [editing, setEditing] = useState(null);
  const [confirm, setConfirm] = useState(null);
  const [picked, setPicked] = useState(new Set());
  const table = useRef(null);
  useRowKeys(table);
  const last = useLastRuns(!deleted && data ? data.map((x) => x.experiment_id) : []);

  const setQuery = (k, v) => {
    const nq = new URLSearchParams(query);
    v ? nq.set(k, v) : nq.delete(k);
    navigate(hashWith(["experiments"], nq));
  };
  const act = async (fn) => {
    setActionError(null);
    try {
      await fn();
      reload();
      dispatchEvent(new Event(CHANGED)); // the sidebar lists them too
    } catch (e) {
      setActionError(e);
    }
  };
  const create = (e) => {
    e.preventDefault();
    if (name.trim()) act(async () => { await post("experiments/create", { name: name.trim() }); setName(""); });
  };
  const toggle = (id) => {
    const s = new Set(picked);
    s.has(id) ? s.delete(id) : s.add(id);
    setPicked(s);
  };

  return html`
    <div class="page">
      <h1>Experiments</h1>
      <div class="toolbar">
        <input type="search" aria-label="Search experiments by name" placeholder="Search by name"
          value=${q} onInput=${(e) => setQuery("q", e.target.value)} />
        <label><input type="checkbox" checked=${deleted} onChange=${(e) => setQuery("deleted", e.target.checked ? "1" : "")} /> Deleted</label>
        <button disabled=${picked.size < 1} onClick=${() => navigate(hashWith(["experiments", [...picked].join(",")]))}>
          Runs of ${picked.size || ""} selected</button>
      </div>
      <form class="toolbar" onSubmit=${create}>
        <input aria-label="New experiment name" placeholder="New experiment name" value=${name} onInput=${(e) => setName(e.target.value)} />
        <button type="submit" class="primary" disabled=${!name.trim()}>Create</button>
      </form>
      <${ErrorBox} error=${error || actionError} />
      ${loading && !data ? html`<p class="loading">Loading…</p>` : null}
      ${data && !data.length ? html`<p class="empty">No ${deleted ? "deleted " : ""}experiments${q ? " match" : ""}.</p>` : null}
      ${data && data.length && !deleted && !q ? html`<${RecentRuns} experiments=${data} />` : null}
      ${data && data.length ? html`
        <table class="grid experiments" ref=${table} aria-describedby="exp-keys">
          <thead><tr><th></th><th>Name</th><th>ID</th>${deleted ? null : html`<th>Last run</th>`}<th>Created</th><th>Last update</th><th>Actions</th></tr></thead>
          <tbody>
            ${data.map((x) => html`
              <tr key=${x.experiment_id}>
                <td><input type="checkbox" aria-label=${"Select " + x.name} checked=${picked.has(x.experiment_id)} onChange=${() => toggle(x.experiment_id)} /></td>
                <td>${editing && editing.id === x.experiment_id ? html`
                  <form onSubmit=${(e) => { e.preventDefault(); act(async () => { await post("experiments/update", { experiment_id: x.experiment_id, new_name: editing.name }); setEditing(null); }); }}>
                    <input aria-label="New name" value=${editing.name} onInput=${(e) => setEditing({ ...editing, name: e.target.value })} />
                    <button type="submit">Save</button><button type="button" onClick=${() => setEditing(null)}>Cancel</button>
                  </form>` : html`<a href=${"#/experiments/" + x.experiment_id}>${x.name}</a>`}</td>
                <td>${x.experiment_id}</td>
                ${deleted ? null : html`<td class="last-run">${last[x.experiment_id] ? html`<a href=${runHref(last[x.experiment_id])}
                  title=${(last[x.experiment_id].info.run_name || "") + " " + fmtTime(last[x.experiment_id].info.start_time)}>${fmtAgo(last[x.experiment_id].info.start_time)}</a>`
                  : last[x.experiment_id] === null ? html`<span class="muted">no runs</span>` : ""}</td>`}
                <td>${fmtTime(x.creation_time)}</td>
                <td>${fmtTime(x.last_update_time)}</td>
                <td class="actions">
                  ${deleted ? html`<button disabled=${loading} onClick=${() => act(() => post("experiments/restore", { experiment_id: x.experiment_id }))}>Restore</button>` : html`
                    <button disabled=${loading} onClick=${() => setEditing({ id: x.experiment_id, name: x.name })}>Rename</button>
                    <button disabled=${loading} onClick=${() => setConfirm(x)}>Delete</button>`}
                </td>
              </tr>`)}
          </tbody>
        </table>
        <p class="muted keys-hint" id="exp-keys">Keys: j / k or ↓ / ↑ move through the list, Enter opens.</p>` : null}
      ${confirm ? html`<${Confirm} title="Delete experiment" yes="Delete"
          text=${`Delete "${confirm.name}" and hide its runs? It can be restored from the Deleted list.`}
          onNo=${() => setConfirm(null)}
          onYes=${() => { const x = confirm; setConfirm(null); act(() => post("experiments/delete", { experiment_id: x.experiment_id })); }} />` : null}
    </div>`;
}
