// SPDX-License-Identifier: MIT
// The model registry: registered models (search by name), and one model's
// versions with stages, aliases and tags; stage transitions and alias moves
// after a confirmation; the audit history; links back to source runs.
import { useState } from "preact/hooks";
import { html } from "./html.js";
import { del, get, post } from "./api.js";
import { fmtTime, hashWith, navigate } from "./util.js";
import { Confirm, ErrorBox, useLoad } from "./widgets.js";
import { lineageHash } from "./lineage.js";

const STAGES = ["None", "Staging", "Production", "Archived"];

export function ModelsPage({ query }) {
  const q = query.get("q") || "";
  const { data, error, loading } = useLoad(async () => {
    const filter = q ? `name LIKE '%${q.replace(/'/g, "\\'")}%'` : undefined;
    const r = await get("registered-models/search", { filter, max_results: 200, order_by: "name ASC" });
    return r.registered_models || [];
  }, [q]);
  return html`
    <div class="page">
      <h1>Registered models</h1>
      <div class="toolbar"><input type="search" aria-label="Search models by name" placeholder="Search by name" value=${q}
        onInput=${(e) => navigate(hashWith(["models"], new URLSearchParams(e.target.value ? { q: e.target.value } : {})))} /></div>
      <${ErrorBox} error=${error} />
      ${loading && !data ? html`<p class="loading">Loading…</p>` : null}
      ${data && !data.length ? html`<p class="empty">No registered models${q ? " match" : ""}.</p>` : null}
      ${data && data.length ? html`<table class="grid"><thead><tr><th>Name</th><th>Latest versions</th><th>Aliases</th><th>Updated</th></tr></thead><tbody>
        ${data.map((m) => html`<tr key=${m.name}>
          <td><a href=${"#/models/" + encodeURIComponent(m.name)}>${m.name}</a></td>
          <td>${(m.latest_versions || []).map((v) => html`<span class="pill">v${v.version} ${v.current_stage !== "None" ? v.current_stage : ""}</span>`)}</td>
          <td>${(m.aliases || []).map((a) => html`<span class="pill">@${a.alias} → v${a.version}</span>`)}</td>
          <td>${fmtTime(m.last_updated_timestamp)}</td></tr>`)}
      </tbody></table>` : null}
    </div>`;
}

export function ModelPage({ name }) {
  const model = useLoad(() => get("registered-models/get", { name }).then((r) => r.registered_model), [name]);
  const versions = useLoad(async () => {
    const r = await get("model-versions/search", { filter: `name='${name.replace(/'/g, "\\'")}'`, max_results: 1000, order_by: "version_number DESC" });
    return r.model_versions || [];
  }, [name]);
  const history = useLoad(() => get("api/2.0/ferry/registered-models/history", { name }).then((r) => r.events || []), [name]);
  const [confirm, setConfirm] = useState(null);
  const [aliasDraft, setAliasDraft] = useState({ alias: "", version: "" });
  const [actionError, setActionError] = useState(null);
  const reloadAll = () => { model.reload(); versions.reload(); history.reload(); };
  const act = async (fn) => {
    setActionError(null);
    try { await fn(); reloadAll(); } catch (e) { setActionError(e); }
  };
  if (model.error) return html`<div class="page"><p class="crumbs"><a href="#/models">Models</a> /</p><${ErrorBox} error=${model.error} /></div>`;
  if (!model.data) return html`<div class="page"><p class="loading">Loading model…</p></div>`;
  const m = model.data;
  const aliasesOf = (v) => (m.aliases || []).filter((a) => a.version === v).map((a) => a.alias);
  return html`
    <div class="page wide">
      <p class="crumbs"><a href="#/models">Models</a> /</p>
      <h1>${m.name}</h1>
      ${m.description ? html`<p>${m.description}</p>` : null}
      ${(m.tags || []).length ? html`<p>${m.tags.map((t) => html`<span class="pill">${t.key}=${t.value}</span>`)}</p>` : null}
      <${ErrorBox} error=${actionError || versions.error} />
      <section><h2>Versions</h2>
        <table class="grid"><thead><tr><th>Version</th><th>Stage</th><th>Aliases</th><th>Source run</th><th>Created</th><th>Tags</th><th>Move to stage</th><th>Lineage</th></tr></thead><tbody>
        ${(versions.data || []).map((v) => html`<tr key=${v.version}>
          <td>v${v.version}</td><td>${v.current_stage}</td>
          <td>${aliasesOf(v.version).map((a) => html`<span class="pill">@${a} <button class="x" aria-label=${"Remove alias " + a}
            onClick=${() => setConfirm({ title: "Remove alias", text: `Remove @${a} from version ${v.version}?`, run: () => del("registered-models/alias", { name, alias: a }) })}>×</button></span>`)}</td>
          <td>${v.run_id ? html`<a href=${"#/experiments/0/runs/" + v.run_id} onClick=${(e) => { e.preventDefault(); get("runs/get", { run_id: v.run_id }).then((r) => navigate(`#/experiments/${r.run.info.experiment_id}/runs/${v.run_id}`), () => navigate("#/experiments/0/runs/" + v.run_id)); }}>${v.run_id.slice(0, 12)}</a>` : ""}</td>
          <td>${fmtTime(v.creation_timestamp)}</td>
          <td>${(v.tags || []).map((t) => html`<span class="pill">${t.key}=${t.value}</span>`)}</td>
          <td><select aria-label=${"Stage for version " + v.version} value=${v.current_stage} onChange=${(e) => {
            const stage = e.target.value;
            e.target.value = v.current_stage;
            setConfirm({ title: "Change stage", text: `Move version ${v.version} of ${name} from ${v.current_stage} to ${stage}?`,
              run: () => post("model-versions/transition-stage", { name, version: v.version, stage, archive_existing_versions: false }) });
          }}>${STAGES.map((s) => html`<option value=${s}>${s}</option>`)}</select></td>
          <td><a href=${lineageHash(`models:/${name}/${v.version}`)} aria-label=${"Lineage of version " + v.version}>lineage</a></td>
        </tr>`)}</tbody></table>
      </section>
      <section><h2>Move an alias</h2>
        <form class="toolbar" onSubmit=${(e) => { e.preventDefault(); const d = aliasDraft;
            const from = (m.aliases || []).find((a) => a.alias === d.alias);
            setConfirm({ title: "Set alias", text: from ? `Move @${d.alias} from version ${from.version} to version ${d.version}?` : `Point @${d.alias} at version ${d.version}?`,
              run: () => post("registered-models/alias", { name, alias: d.alias, version: d.version }) }); }}>
          <input aria-label="Alias" placeholder="champion" value=${aliasDraft.alias} onInput=${(e) => setAliasDraft({ ...aliasDraft, alias: e.target.value })} />
          <select aria-label="Version for the alias" value=${aliasDraft.version} onChange=${(e) => setAliasDraft({ ...aliasDraft, version: e.target.value })}>
            <option value="">version…</option>${(versions.data || []).map((v) => html`<option value=${v.version}>v${v.version}</option>`)}</select>
          <button type="submit" class="primary" disabled=${!aliasDraft.alias || !aliasDraft.version}>Set alias</button>
        </form>
      </section>
      <section><h2>History</h2>
        ${history.error ? html`<${ErrorBox} error=${history.error} />` : null}
        ${history.data && history.data.length ? html`<table class="grid"><thead><tr><th>When</th><th>Who</th><th>What</th></tr></thead><tbody>
          ${history.data.map((h, k) => html`<tr key=${k}><td>${fmtTime(h.timestamp)}</td><td>${h.user_id}</td>
            <td>${h.action}${h.version ? " v" + h.version : ""} ${h.detail}</td></tr>`)}
        </tbody></table>` : html`<p class="muted">No history yet.</p>`}
      </section>
      ${confirm ? html`<${Confirm} title=${confirm.title} text=${confirm.text} onNo=${() => setConfirm(null)}
        onYes=${() => { const c = confirm; setConfirm(null); act(c.run); }} />` : null}
    </div>`;
}
