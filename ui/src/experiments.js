// SPDX-License-Identifier: MIT
// The experiments list: search by name, create, rename, delete and restore;
// pick several to see their runs together.
import { useRef, useState } from "preact/hooks";
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
      ${data && data.length ? html`
        <table class="grid experiments" ref=${table} aria-describedby="exp-keys">
          <thead><tr><th></th><th>Name</th><th>ID</th><th>Created</th><th>Last update</th><th>Actions</th></tr></thead>
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
