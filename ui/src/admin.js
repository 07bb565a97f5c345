// SPDX-License-Identifier: MIT
// The admin page (#/admin): users (create, admin flag, delete), one user's
// permissions on experiments and registered models (#/admin?user=NAME), and
// the caller's own API tokens. Everything goes through the auth REST API the
// server serves with --auth; without auth those routes answer 404, and to a
// user who is not an admin users/list answers 403: the page says which.
import { useState } from "preact/hooks";
import { html } from "./html.js";
import { del, get, patch, post } from "./api.js";
import { fmtTime, hashWith, navigate } from "./util.js";
import { Confirm, ErrorBox, useLoad } from "./widgets.js";

export const USERS_LIST = "api/2.0/ferry/users/list";
const TOKENS = "api/2.0/ferry/tokens/";
const PERMS = ["READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS"];

// The two kinds of resource a permission is on, as MLflow's auth API names
// their fields and routes.
const KINDS = [
  { title: "Experiments", what: "experiment", key: "experiment_id", list: "experiment_permissions", base: "experiments/permissions/",
    load: async () => (await post("experiments/search", { max_results: 1000, order_by: ["name ASC"] })).experiments || [],
    id: (x) => x.experiment_id },
  { title: "Registered models", what: "registered model", key: "name", list: "registered_model_permissions", base: "registered-models/permissions/",
    load: async () => (await get("registered-models/search", { max_results: 1000, order_by: "name ASC" })).registered_models || [],
    id: (x) => x.name },
];

// act(fn): runs fn, shows its error or reloads; shared by a page's forms.
function useAct(reload) {
  const [error, setError] = useState(null);
  const act = async (fn) => {
    setError(null);
    try {
      await fn();
      reload();
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };
  return [act, error];
}

export function AdminPage({ query }) {
  const users = useLoad(() => get(USERS_LIST).then((r) => r.users || []), []);
  const [act, actionError] = useAct(users.reload);
  const [confirm, setConfirm] = useState(null);
  const [draft, setDraft] = useState({ username: "", password: "" });
  const picked = query.get("user") || "";
  const pick = (name) => navigate(hashWith(["admin"], new URLSearchParams(name ? { user: name } : {})));

  const e = users.error;
  if (e && e.status === 404)
    return html`<div class="page"><h1>Admin</h1><p class="note" role="status">Authentication is off on this server, so there are
      no users, permissions or tokens to manage. Start it with <code>ferry server --auth</code> (the default on any address but
      loopback) and an admin user to manage them here.</p></div>`;
  if (e && e.status === 403)
    return html`<div class="page"><h1>Admin</h1><p class="note" role="status">Only admins manage users and permissions, and you are
      not one. You can still manage your own API tokens.</p><${Tokens} /></div>`;

  if (e) return html`<div class="page"><h1>Admin</h1><${ErrorBox} error=${e} /></div>`;
  if (!users.data) return html`<div class="page"><h1>Admin</h1><p class="loading">Loading…</p></div>`;

  const create = (ev) => {
    ev.preventDefault();
    const u = draft.username.trim();
    act(async () => { await post("users/create", { username: u, password: draft.password }); setDraft({ username: "", password: "" }); });
  };
  const list = users.data;
  // The server lets the last admin go; a server left with none can only be
  // repaired on its database file, so the page does not offer it.
  const last = (u) => u.is_admin && list.filter((x) => x.is_admin).length === 1;
  return html`
    <div class="page">
      <h1>Admin</h1>
      <${ErrorBox} error=${actionError} />
      <section><h2>Users</h2>
        <form class="toolbar" onSubmit=${create}>
          <input aria-label="New username" placeholder="New username" autocomplete="off" value=${draft.username}
            onInput=${(ev) => setDraft({ ...draft, username: ev.target.value })} />
          <input type="password" aria-label="Password" placeholder="Password" autocomplete="new-password" value=${draft.password}
            onInput=${(ev) => setDraft({ ...draft, password: ev.target.value })} />
          <button type="submit" class="primary" disabled=${!draft.username.trim() || !draft.password}>Create user</button>
        </form>
        ${list.length ? html`<table class="grid"><thead><tr><th>Username</th><th>Admin</th><th>Actions</th></tr></thead><tbody>
          ${list.map((u) => html`<tr key=${u.username} class=${u.username === picked ? "picked" : null}>
            <td><button class=${"link" + (u.username === picked ? " current" : "")} aria-label=${"Permissions of " + u.username}
              onClick=${() => pick(u.username)}>${u.username}</button></td>
            <td><input type="checkbox" aria-label=${"Admin: " + u.username} checked=${u.is_admin} disabled=${last(u)}
              title=${last(u) ? "the only admin" : null} onChange=${(ev) => {
              const to = ev.target.checked;
              ev.target.checked = u.is_admin; // until confirmed
              setConfirm({ title: to ? "Make admin" : "Remove admin", yes: to ? "Make admin" : "Remove admin",
                text: to ? `Make ${u.username} an admin, who may do anything on this server?` : `Take admin rights away from ${u.username}?`,
                run: () => patch("users/update-admin", { username: u.username, is_admin: to }) });
            }} /></td>
            <td class="actions"><button disabled=${last(u)} title=${last(u) ? "the only admin" : null} onClick=${() => setConfirm({ title: "Delete user", yes: "Delete",
              text: `Delete ${u.username}, with their permissions and API tokens? This cannot be undone.`,
              run: async () => { await del("users/delete", { username: u.username }); if (u.username === picked) pick(""); } })}>Delete</button></td>
          </tr>`)}</tbody></table>` : null}
      </section>
      ${picked ? html`<${UserPerms} key=${picked} username=${picked} />` : html`<p class="muted">Pick a user to see and edit their permissions.</p>`}
      <${Tokens} />
      ${confirm ? html`<${Confirm} title=${confirm.title} yes=${confirm.yes} text=${confirm.text} onNo=${() => setConfirm(null)}
        onYes=${() => { const c = confirm; setConfirm(null); act(c.run); }} />` : null}
    </div>`;
}

// One user's grants, both kinds; names of experiments and models come from
// their searches (an admin sees them all).
function UserPerms({ username }) {
  const user = useLoad(() => get("users/get", { username }).then((r) => r.user), [username]);
  const [act, actionError] = useAct(user.reload);
  const [confirm, setConfirm] = useState(null);
  return html`
    <section aria-label=${"Permissions of " + username}>
      <h2>Permissions of ${username}${user.data && user.data.is_admin ? html` <span class="count">(an admin: may do anything)</span>` : null}</h2>
      <${ErrorBox} error=${user.error || actionError} />
      ${user.data ? html`<div class="cols">${KINDS.map((k) => html`<${PermTable} kind=${k} user=${user.data} act=${act} setConfirm=${setConfirm} />`)}</div>` : null}
      ${confirm ? html`<${Confirm} title=${confirm.title} yes=${confirm.yes} text=${confirm.text} onNo=${() => setConfirm(null)}
        onYes=${() => { const c = confirm; setConfirm(null); act(c.run); }} />` : null}
    </section>`;
}

function PermTable({ kind, user, act, setConfirm }) {
  const all = useLoad(kind.load, [kind]);
  const [draft, setDraft] = useState({ key: "", permission: "EDIT" });
  const names = new Map((all.data || []).map((x) => [kind.id(x), x.name]));
  const label = (key) => (kind.key === "name" || !names.has(key) ? key : `${names.get(key)} (${key})`);
  const grants = user[kind.list] || [];
  const body = (key, permission) => ({ [kind.key]: key, username: user.username, ...(permission ? { permission } : {}) });
  const grant = (ev) => {
    ev.preventDefault();
    // an experiment may be typed by name as well as by id
    let key = draft.key.trim();
    const byName = (all.data || []).find((x) => x.name === key);
    if (byName) key = kind.id(byName);
    const has = grants.some((g) => g[kind.key] === key);
    act(() => (has ? patch : post)(kind.base + (has ? "update" : "create"), body(key, draft.permission)))
      .then((ok) => ok && setDraft({ ...draft, key: "" }));
  };
  const listId = "opts-" + kind.key;
  return html`
    <div>
      <h3>${kind.title}</h3>
      ${all.error ? html`<${ErrorBox} error=${all.error} />` : null}
      ${grants.length ? html`<table class="grid"><thead><tr><th>${kind.what === "experiment" ? "Experiment" : "Model"}</th><th>Permission</th><th></th></tr></thead><tbody>
        ${grants.map((g) => html`<tr key=${g[kind.key]}>
          <td>${label(g[kind.key])}</td>
          <td><select aria-label=${`Permission on ${kind.what} ${label(g[kind.key])}`} value=${g.permission}
            onChange=${(ev) => { const to = ev.target.value; ev.target.value = g.permission; act(() => patch(kind.base + "update", body(g[kind.key], to))); }}>
            ${PERMS.map((p) => html`<option value=${p}>${p}</option>`)}</select></td>
          <td><button class="x" aria-label=${`Remove permission on ${kind.what} ${label(g[kind.key])}`}
            onClick=${() => setConfirm({ title: "Remove permission", yes: "Remove",
              text: `Remove ${user.username}'s ${g.permission} on ${kind.what} ${label(g[kind.key])}? The server's default applies then.`,
              run: () => del(kind.base + "delete", body(g[kind.key])) })}>×</button></td>
        </tr>`)}</tbody></table>` : html`<p class="muted">No grants on ${kind.what}s: the server's default applies.</p>`}
      <form class="toolbar" onSubmit=${grant}>
        <input list=${listId} aria-label=${`Grant on ${kind.what}`} placeholder=${kind.key === "name" ? "Model name" : "Name or id"}
          value=${draft.key} onInput=${(ev) => setDraft({ ...draft, key: ev.target.value })} />
        <datalist id=${listId}>${(all.data || []).map((x) => html`<option value=${kind.id(x)}>${x.name}</option>`)}</datalist>
        <select aria-label=${`Permission to grant on ${kind.what}`} value=${draft.permission} onChange=${(ev) => setDraft({ ...draft, permission: ev.target.value })}>
          ${PERMS.map((p) => html`<option value=${p}>${p}</option>`)}</select>
        <button type="submit" disabled=${!draft.key.trim()}>Grant</button>
      </form>
    </div>`;
}

// The caller's own API tokens. A new token's secret is shown once, here:
// the server keeps only its digest.
function Tokens() {
  const tokens = useLoad(() => get(TOKENS + "list").then((r) => r.tokens || []), []);
  const [act, actionError] = useAct(tokens.reload);
  const [draft, setDraft] = useState({ name: "", scopes: "", days: "" });
  const [secret, setSecret] = useState(null);
  const [copied, setCopied] = useState(false);
  const [confirm, setConfirm] = useState(null);
  const create = (ev) => {
    ev.preventDefault();
    const body = { name: draft.name.trim() };
    if (draft.scopes.trim()) body.scopes = draft.scopes.trim();
    if (draft.days) body.expires_in_days = Number(draft.days);
    act(async () => {
      const r = await post(TOKENS + "create", body);
      setSecret(r.token);
      setCopied(false);
      setDraft({ name: "", scopes: "", days: "" });
    });
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
    } catch {
      const input = document.getElementById("token-secret");
      input.select();
      document.execCommand("copy");
    }
    setCopied(true);
  };
  const now = Date.now();
  const state = (t) => (t.revoked_ms ? "revoked" : t.expires_ms && t.expires_ms < now ? "expired" : "active");
  return html`
    <section><h2>Your API tokens</h2>
      <p class="muted">For MLflow clients (<code>MLFLOW_TRACKING_TOKEN</code>) and scripts. Scopes bound what a token may do,
        e.g. <code>experiment:EDIT,registered_model:READ</code>; empty for everything you may do.</p>
      <${ErrorBox} error=${tokens.error || actionError} />
      <form class="toolbar" onSubmit=${create}>
        <input aria-label="Token name" placeholder="Token name" value=${draft.name} onInput=${(ev) => setDraft({ ...draft, name: ev.target.value })} />
        <input aria-label="Scopes" placeholder="Scopes (optional)" value=${draft.scopes} onInput=${(ev) => setDraft({ ...draft, scopes: ev.target.value })} />
        <input type="number" min="1" max="3650" class="days" aria-label="Expires in days" placeholder="Expires in days" value=${draft.days}
          onInput=${(ev) => setDraft({ ...draft, days: ev.target.value })} />
        <button type="submit" class="primary" disabled=${!draft.name.trim()}>Create token</button>
      </form>
      ${secret ? html`<div class="secret" role="status">
        <p><strong>Your new token.</strong> Copy it now: it is not shown again.</p>
        <div class="toolbar"><input id="token-secret" readonly aria-label="New token" value=${secret} onFocus=${(ev) => ev.target.select()} />
          <button onClick=${copy}>${copied ? "Copied" : "Copy"}</button><button onClick=${() => setSecret(null)}>Done</button></div>
      </div>` : null}
      ${tokens.data && tokens.data.length ? html`<table class="grid"><thead><tr><th>Name</th><th>Scopes</th><th>Created</th><th>Expires</th><th>State</th><th></th></tr></thead><tbody>
        ${tokens.data.map((t) => html`<tr key=${t.id}>
          <td>${t.name}</td><td>${t.scopes && t.scopes !== "*" ? t.scopes : html`<span class="muted">all</span>`}</td>
          <td>${fmtTime(t.created_ms)}</td><td>${t.expires_ms ? fmtTime(t.expires_ms) : "never"}</td><td>${state(t)}</td>
          <td>${state(t) === "active" ? html`<button aria-label=${"Revoke token " + t.name} onClick=${() => setConfirm(t)}>Revoke</button>` : null}</td>
        </tr>`)}</tbody></table>` : tokens.data ? html`<p class="muted">No tokens yet.</p>` : null}
      ${confirm ? html`<${Confirm} title="Revoke token" yes="Revoke" text=${`Revoke "${confirm.name}"? Clients using it are refused from then on.`}
        onNo=${() => setConfirm(null)} onYes=${() => { const t = confirm; setConfirm(null); act(() => post(TOKENS + "revoke", { token_id: t.id })); }} />` : null}
    </section>`;
}
