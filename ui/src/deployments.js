// SPDX-License-Identifier: MIT
// Deployments (docs/deployments.md): the list (#/deployments) with each
// one's phase, live weights and rollout step, and one deployment
// (#/deployments/<name>): its targets with the live figures of the last
// minute (deployments/status, polled), its shadows, its history (rollbacks
// marked, with their reasons), its prediction log (predictions.js: quality
// over time per version, the A/B panel, the request log), its monitors and
// their alerts (watch.js), where its
// versions came from and the retraining runs (provenance.js), and the actions
// its phase allows, each after a confirmation. An action names the change the user saw (`change`), so a
// deployment that moved meanwhile (the rollout controller, someone else) is
// refused by the server rather than acted on blindly; the refusal is shown.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "./html.js";
import { get, post } from "./api.js";
import { fmtTime } from "./util.js";
import { Confirm, ErrorBox, useLoad, usePoll } from "./widgets.js";
import { QualityPanels, RequestLog } from "./predictions.js";
import { MonitoringLink } from "./monitoring.js";
import { LoopLink } from "./loop.js";
import { Provenance } from "./provenance.js";
import { Watch } from "./watch.js";

const D = "api/2.0/ferry/deployments/";
const POLL_MS = 3000;
const WINDOW_MS = 60000;

const tname = (t) => `${t.name}/${t.version}`;
const candidateOf = (spec) => (spec.rollout ? spec.targets.length - 1 : -1);

// "step 2 of 4: 25%"; how far a rollout got, or null without one.
export function stepText(d) {
  const r = d.spec.rollout, st = d.status;
  if (!r) return null;
  const at = `step ${st.step + 1} of ${r.steps.length}: ${r.steps[st.step]}%`;
  if (st.phase === "ROLLED_BACK") return `rolled back at ${at}`;
  return at;
}

// The actions the server allows in a phase (store/deployments.c): none
// without a rollout; pause while progressing; resume when paused or
// rolled back (a retry starts over); rollback unless rolled back; promote
// always.
function actionsFor(d) {
  if (!d.spec.rollout) return [];
  const ph = d.status.phase;
  const out = [];
  if (ph === "PROGRESSING") out.push("pause");
  if (ph === "PAUSED" || ph === "ROLLED_BACK") out.push("resume");
  out.push("promote");
  if (ph !== "ROLLED_BACK") out.push("rollback");
  return out;
}

function Phase({ phase }) {
  return html`<span class=${"status phase " + phase.toLowerCase()}>${phase.replace("_", " ").toLowerCase()}</span>`;
}

const pct = (v) => (typeof v === "number" ? (100 * v).toFixed(v && v < 0.001 ? 3 : 1) + "%" : "");
const ms = (v) => (typeof v === "number" ? (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)) + " ms" : "–");
const rate = (v) => (typeof v === "number" ? (v < 10 ? v.toFixed(2) : v.toFixed(1)) : "");

export function DeploymentsPage() {
  const list = useLoad(() => get(D + "list").then((r) => r.deployments || []), []);
  usePoll(list.reload, POLL_MS);
  const last = useRef(null); // kept through a failed poll
  if (list.data) last.current = list.data;
  const data = last.current;
  return html`
    <div class="page wide">
      <h1>Deployments</h1>
      <${ErrorBox} error=${list.error} />
      ${list.loading && !data && !list.error ? html`<p class="loading">Loading…</p>` : null}
      ${data && !data.length ? html`<div class="empty note" role="status">No deployments yet. A deployment splits traffic
        across registered model versions (a canary, an A/B test, a shadow, a rollout). Create one from a spec with
        <code>ferry deployments apply -f spec.yaml</code> and serve it with <code>ferry serve</code>.</div>` : null}
      ${data && data.length ? html`<table class="grid deployments"><thead><tr><th>Name</th><th>Revision</th><th>Phase</th>
        <th>Targets (live weight)</th><th>Rollout</th><th>Updated</th></tr></thead><tbody>
        ${data.map((d) => html`<tr key=${d.name}>
          <td><a href=${"#/deployments/" + encodeURIComponent(d.name)}>${d.name}</a></td>
          <td class="num">${d.revision}</td>
          <td><${Phase} phase=${d.status.phase} /></td>
          <td>${d.spec.targets.map((t, i) => html`<span class="pill">${tname(t)} <strong>${d.status.weights[i]}%</strong></span>`)}
            ${(d.spec.shadow || []).map((t) => html`<span class="pill muted">shadow ${tname(t)}</span>`)}</td>
          <td>${stepText(d) || html`<span class="muted">none</span>`}</td>
          <td>${fmtTime(d.updated_ms)} ${d.updated_by ? html`<span class="muted">by ${d.updated_by}</span>` : null}</td>
        </tr>`)}</tbody></table>` : null}
    </div>`;
}

const ACTIONS = {
  pause: { label: "Pause", title: "Pause the rollout",
    text: (d) => `Hold ${d.name}'s rollout at ${stepText(d)}? The controller does not advance it until it is resumed.` },
  resume: { label: "Resume", title: "Resume the rollout",
    text: (d) => d.status.phase === "ROLLED_BACK"
      ? `Start ${d.name}'s rollout over at step 1 (${d.spec.rollout.steps[0]}% to ${tname(d.spec.targets[candidateOf(d.spec)])})?`
      : `Continue ${d.name}'s rollout from ${stepText(d)}?` },
  rollback: { label: "Rollback", title: "Roll back", danger: true,
    text: (d) => `Give ${tname(d.spec.targets[candidateOf(d.spec)])} no more traffic in ${d.name}? The other targets take it all.` },
  promote: { label: "Promote", title: "Promote the candidate",
    text: (d) => `Make ${tname(d.spec.targets[candidateOf(d.spec)])} ${d.name}'s only target, at 100%? This is a new revision ` +
      `of the spec and ends the rollout${d.spec.promote_alias ? `; @${d.spec.promote_alias} moves to it` : ""}.` },
};

export function DeploymentPage({ name }) {
  const status = useLoad(() => get(D + "status", { name, window_ms: WINDOW_MS }), [name]);
  const history = useLoad(() => get(D + "history", { name }).then((r) => (r.changes || []).slice().reverse()), [name]);
  usePoll(status.reload, POLL_MS);
  const [confirm, setConfirm] = useState(null);
  const [reason, setReason] = useState("");
  const [actionError, setActionError] = useState(null);
  const [notice, setNotice] = useState(null);
  // a failed poll keeps the last figures on screen, with its error above them
  const last = useRef(null);
  if (status.data) last.current = status.data;
  const shown = last.current && last.current.deployment.name === name ? last.current : null;
  const d = shown && shown.deployment;
  // the history follows the deployment's changes, whoever made them
  const seen = useRef(null);
  useEffect(() => {
    if (!d) return;
    if (seen.current !== null && seen.current !== d.change) history.reload();
    seen.current = d.change;
  }, [d && d.change]);

  const act = async (what, change, why) => {
    setActionError(null);
    setNotice(null);
    try {
      const r = await post(D + what, { name, change, ...(why ? { reason: why } : {}) });
      if (r.alias_error) setNotice(`Promoted, but the alias was not moved: ${r.alias_error}`);
    } catch (e) {
      setActionError(e);
    }
    status.reload();
    history.reload();
  };

  const crumbs = html`<p class="crumbs"><a href="#/deployments">Deployments</a> /</p>`;
  if (!d && status.error) return html`<div class="page">${crumbs}<${ErrorBox} error=${status.error} /></div>`;
  if (!d) return html`<div class="page">${crumbs}<p class="loading">Loading deployment…</p></div>`;
  const figs = shown.targets || [];
  const fig = (t, shadow) => figs.find((f) => !!f.shadow === shadow && f.target === (shadow ? "shadow:" : "") + tname(t)) || {};
  const cand = candidateOf(d.spec);
  const r = d.spec.rollout;
  const modelLink = (t) => html`<a href=${"#/models/" + encodeURIComponent(t.name)} title=${"version " + t.version + " of " + t.name}>${t.name}</a> v${t.version}`;
  return html`
    <div class="page wide">
      ${crumbs}
      <h1>${d.name}</h1>
      <${MonitoringLink} name=${d.name} />
      <${LoopLink} name=${d.name} />
      <dl class="facts">
        <div><dt>Phase</dt><dd><${Phase} phase=${d.status.phase} /></dd></div>
        <div><dt>Rollout</dt><dd>${stepText(d) || "none"}</dd></div>
        <div><dt>Revision · change</dt><dd>${d.revision} · ${d.change}</dd></div>
        <div><dt>Routing</dt><dd>${d.spec.routing ? "sticky by " + d.spec.routing.key : "random by weight"}</dd></div>
        <div><dt>Updated</dt><dd>${fmtTime(d.updated_ms)}${d.updated_by ? " by " + d.updated_by : ""}</dd></div>
        ${d.spec.promote_alias ? html`<div><dt>Promotes alias</dt><dd>@${d.spec.promote_alias}</dd></div>` : null}
      </dl>
      ${d.status.reason ? html`<p class=${"note reason " + d.status.phase.toLowerCase()}><strong>${d.status.phase === "ROLLED_BACK" ? "Rolled back" : "Last reason"}:</strong> ${d.status.reason}</p>` : null}
      ${r ? html`<p class="muted">Steps ${r.steps.join(" → ")}%, at least ${r.interval} and ${r.min_requests} requests each;
        rolls back after ${r.failure_limit} failed check${r.failure_limit === 1 ? "" : "s"}.</p>` : null}
      <${ErrorBox} error=${actionError} />
      ${notice ? html`<p class="note" role="status">${notice}</p>` : null}
      <div class="toolbar" role="group" aria-label="Actions">
        ${actionsFor(d).map((a) => html`<button class=${ACTIONS[a].danger ? "danger" : null}
          onClick=${() => { setReason(""); setConfirm({ what: a, change: d.change, text: ACTIONS[a].text(d) }); }}>${ACTIONS[a].label}</button>`)}
      </div>
      <section><h2>Targets <span class="count">live, last ${WINDOW_MS / 1000} s${status.error ? "" : ", refreshed every " + POLL_MS / 1000 + " s"}</span></h2>
        ${status.error ? html`<${ErrorBox} error=${status.error} />` : null}
        <table class="grid targets"><thead><tr><th>Target</th><th>Model URI</th><th>Role</th><th>Weight</th><th>Req/s</th>
          <th>Requests</th><th>Errors</th><th>Error rate</th><th>p50</th><th>p99</th></tr></thead><tbody>
          ${d.spec.targets.map((t, i) => {
            const f = fig(t, false);
            return html`<tr key=${tname(t)}>
              <td>${modelLink(t)}</td><td class="muted">${t.model}</td>
              <td>${i === cand ? "candidate" : "stable"}</td>
              <td class="num"><strong>${d.status.weights[i]}%</strong></td>
              <td class="num">${rate(f.rps)}</td><td class="num">${f.requests ?? ""}</td><td class="num">${f.errors ?? ""}</td>
              <td class="num">${f.requests ? pct(f.error_rate) : "–"}</td><td class="num">${ms(f.p50_ms)}</td><td class="num">${ms(f.p99_ms)}</td>
            </tr>`;
          })}</tbody></table>
      </section>
      <section><h2>Shadows</h2>
        ${(d.spec.shadow || []).length ? html`<table class="grid shadows"><thead><tr><th>Model</th><th>Model URI</th><th>Req/s</th>
          <th>Requests</th><th>Errors</th><th>Error rate</th><th>p99</th></tr></thead><tbody>
          ${d.spec.shadow.map((t) => {
            const f = fig(t, true);
            return html`<tr key=${tname(t)}><td>${modelLink(t)}</td><td class="muted">${t.model}</td>
              <td class="num">${rate(f.rps)}</td><td class="num">${f.requests ?? ""}</td><td class="num">${f.errors ?? ""}</td>
              <td class="num">${f.requests ? pct(f.error_rate) : "–"}</td><td class="num">${ms(f.p99_ms)}</td></tr>`;
          })}</tbody></table>
          <p class="muted">Each gets ${pct(d.spec.shadow_sample)} of the requests as a copy; its answers are never returned.</p>`
        : html`<p class="muted">No shadows.</p>`}
      </section>
      <${Watch} name=${d.name} />
      <${QualityPanels} deployment=${d.name} primaries=${d.spec.targets.length} />
      <${RequestLog} deployment=${d.name} targets=${[...d.spec.targets.map((t) => ({ model: tname(t), shadow: false })),
        ...(d.spec.shadow || []).map((t) => ({ model: tname(t), shadow: true }))]} />
      <${Provenance} name=${d.name} targets=${[...d.spec.targets.map((t, i) => ({ ...t, role: i === cand ? "candidate" : "stable" })),
        ...(d.spec.shadow || []).map((t) => ({ ...t, role: "shadow" }))]} />
      <section><h2>History</h2>
        ${history.error ? html`<${ErrorBox} error=${history.error} />` : null}
        ${history.data && history.data.length ? html`<table class="grid history"><thead><tr><th>Change</th><th>Revision</th>
          <th>Time</th><th>User</th><th>Action</th><th>Reason</th></tr></thead><tbody>
          ${history.data.map((h) => html`<tr key=${h.change} class=${h.action === "rollback" ? "rollback" : null}>
            <td class="num">${h.change}</td><td class="num">${h.revision}</td><td>${fmtTime(h.time_ms)}</td>
            <td>${h.user_id || html`<span class="muted" title="no signed-in user (a server without auth)">–</span>`}</td>
            <td>${h.action === "rollback" ? html`<strong class="bad">⟲ rollback</strong>` : h.action}</td>
            <td class="reason">${h.reason}</td></tr>`)}
        </tbody></table>` : history.data ? html`<p class="muted">No history yet.</p>` : null}
      </section>
      ${confirm ? html`<${Confirm} title=${ACTIONS[confirm.what].title} yes=${ACTIONS[confirm.what].label} text=${confirm.text}
        onNo=${() => setConfirm(null)} onYes=${() => { const c = confirm; setConfirm(null); act(c.what, c.change, reason.trim()); }}>
        <label class="field">Reason (kept in the history)
          <input aria-label="Reason" value=${reason} maxlength="4000" placeholder=${confirm.what === "rollback" ? "why it goes back" : "optional"}
            onInput=${(e) => setReason(e.target.value)} /></label>
      </${Confirm}>` : null}
    </div>`;
}
