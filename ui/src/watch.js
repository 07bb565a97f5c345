// SPDX-License-Identifier: MIT
// What watches a deployment, on its own page (issue 22, the loop in one
// place): its monitors, each with what it checks, its schedule, its last
// run and the verdict of its newest stored window, and its recent alerts,
// the active ones (open, then acknowledged) first. Every monitor and alert
// links to the Monitoring page (monitoring.js), an alert to its row there
// (?monitor=M&alert=ID). Read-only: acknowledging and resolving stay on the
// Monitoring page, next to the window that breached.
//
// Sources: monitors/list?deployment= (the spec and state), monitors/reports
// ?name=&max_results=1 per monitor (the newest window: status, drift share,
// figures.breached), alerts/list?deployment= twice (every active alert, and
// the newest few of any state), all newest first by id.
import { html } from "./html.js";
import { listAlerts, listMonitorReports, listMonitors } from "./api.js";
import { fmtTime, hashWith } from "./util.js";
import { ErrorBox, useLoad, usePoll } from "./widgets.js";

const RECENT = 10; // alerts of any state shown besides the active ones
const ACTIVE_MAX = 100;
const POLL_MS = 15000; // windows are judged hourly or so: no need to poll as often as the live figures

export const monitoringHash = (dep, monitor, alertId) => hashWith(["deployments", dep, "monitoring"],
  new URLSearchParams({ ...(monitor ? { monitor } : {}), ...(alertId ? { alert: String(alertId) } : {}) }));

// What a monitor checks, from its spec: drift always; the decay guards'
// metrics; data quality when any of its checks is on.
export function checksOf(spec) {
  const out = ["drift"];
  const q = spec.quality || {};
  if (q.schema || q.new_categories || typeof q.max_missing_share === "number" || typeof q.max_out_of_range_share === "number")
    out.push("quality");
  const decay = Object.keys(spec.decay || {});
  if (decay.length) out.push("decay: " + decay.join(", "));
  return out;
}

// A stored window's verdict: {cls, text, title} (cls as the report
// verdicts': pass, breach, pending).
export function windowVerdict(r) {
  if (!r) return { cls: "pending", text: "no window yet", title: "no window of this monitor has been judged" };
  if (r.status === "failed") return { cls: "breach", text: "failed", title: r.error || "the window could not be judged" };
  if (r.status !== "ok") return { cls: "pending", text: r.status, title: `${r.n_rows} rows: too few to judge` };
  const breached = (r.figures && r.figures.breached) || [];
  const share = typeof r.share_of_drifted_columns === "number" ? `${(100 * r.share_of_drifted_columns).toFixed(0)}% of columns drifted` : "";
  if (breached.length) return { cls: "breach", text: "breached " + breached.join(", "), title: share };
  return { cls: "pass", text: "passed", title: share };
}

function useMonitors(name) {
  return useLoad(() => listMonitors(name).then((ms) => Promise.all(ms.map((m) =>
    listMonitorReports(m.name, 1).then((rs) => ({ m, last: rs[0] || null }), (error) => ({ m, last: null, error }))))), [name]);
}

// Active alerts (open, then acknowledged) first, each group newest first;
// then the rest, newest first.
export function alertOrder(active, recent) {
  const byId = new Map();
  for (const a of [...(active || []), ...(recent || [])]) byId.set(a.id, a);
  const rank = (a) => (a.state === "open" ? 0 : a.state === "acknowledged" ? 1 : 2);
  return [...byId.values()].sort((a, b) => rank(a) - rank(b) || b.opened_ms - a.opened_ms || b.id - a.id);
}

function useAlerts(name) {
  return useLoad(() => Promise.all([
    listAlerts({ deployment: name, state: "active", max_results: ACTIVE_MAX }),
    listAlerts({ deployment: name, max_results: RECENT }),
  ]).then(([active, recent]) => ({ list: alertOrder(active, recent), active: active.length })), [name]);
}

export function Watch({ name }) {
  const monitors = useMonitors(name);
  const alerts = useAlerts(name);
  usePoll(() => { monitors.reload(); alerts.reload(); }, POLL_MS);
  const ms = monitors.data || [];
  const as = alerts.data ? alerts.data.list : [];
  const nActive = alerts.data ? alerts.data.active : 0;
  const openCount = (m) => as.filter((a) => a.monitor === m && a.state !== "resolved").length;
  return html`<section class="watch" aria-label="Monitors and alerts">
    <h2>Monitors <span class="count">${monitors.data ? ms.length : ""}</span></h2>
    <${ErrorBox} error=${monitors.error} />
    ${monitors.loading && !monitors.data ? html`<p class="loading">Loading monitors…</p>` : null}
    ${monitors.data && !ms.length ? html`<p class="muted empty" role="status">No monitors on this deployment. A monitor judges
      each window of its prediction log for drift, data quality and decay, and opens alerts; add one with${" "}
      <code>ferry monitors apply -f monitor.yaml</code> (<a href=${monitoringHash(name)}>an example</a>).</p>` : null}
    ${ms.length ? html`<table class="grid watch-monitors"><thead><tr><th>Monitor</th><th>Checks</th><th>Schedule</th>
      <th>Last window</th><th>Verdict</th><th>Active alerts</th></tr></thead><tbody>
      ${ms.map(({ m, last }) => {
        const v = windowVerdict(last);
        const st = m.state || {};
        const n = openCount(m.name);
        return html`<tr key=${m.name} data-monitor=${m.name}>
          <td><a href=${monitoringHash(name, m.name)}>${m.name}</a></td>
          <td>${checksOf(m.spec).join(" · ")}</td>
          <td>${m.spec.schedule ? "every " + m.spec.schedule.every : html`<span class="muted">on demand</span>`}</td>
          <td>${last ? html`${fmtTime(last.window_start_ms)} – ${fmtTime(last.window_end_ms)}` : html`<span class="muted">none</span>`}
            ${st.last_status === "failed" && st.last_error ? html`<div class="bad reason" title=${st.last_error}>last run failed</div>` : null}</td>
          <td><span class=${"verdict " + v.cls} title=${v.title || null}>${v.text}</span></td>
          <td class="num">${n ? html`<strong class="bad">${n}</strong>` : "0"}</td></tr>`;
      })}</tbody></table>` : null}
    <h2>Alerts <span class="count">${alerts.data ? (nActive ? `${nActive}${nActive === ACTIVE_MAX ? "+" : ""} active` : "none active") : ""}</span></h2>
    <${ErrorBox} error=${alerts.error} />
    ${alerts.loading && !alerts.data ? html`<p class="loading">Loading alerts…</p>` : null}
    ${alerts.data && !as.length ? html`<p class="muted empty" role="status">${ms.length
      ? "No alerts: no window has breached a condition."
      : "No alerts. They are opened by a monitor when a window breaches one of its conditions."}</p>` : null}
    ${as.length ? html`<table class="grid watch-alerts"><thead><tr><th>Alert</th><th>State</th><th>Severity</th><th>Monitor</th>
      <th>Condition</th><th>Opened</th><th>Last breached window</th><th>Message</th></tr></thead><tbody>
      ${as.map((a) => html`<tr key=${a.id} class=${"alert " + a.state} data-alert=${a.id}>
        <td class="num"><a href=${monitoringHash(name, a.monitor, a.id)}>#${a.id}</a></td>
        <td><span class=${"status alert-state " + a.state}>${a.state}</span></td>
        <td><span class=${"severity " + a.severity}>${a.severity}</span></td>
        <td><a href=${monitoringHash(name, a.monitor)}>${a.monitor}</a></td>
        <td>${a.condition}</td><td>${fmtTime(a.opened_ms)}</td><td>${fmtTime(a.last_window_start_ms)}</td>
        <td class="reason">${a.message}</td></tr>`)}
    </tbody></table>
    <p class="muted">The active alerts and the ${RECENT} newest of any state. Each alert opens on the monitor's page,
      with the window that breached, where it is acknowledged or resolved.</p>` : null}
  </section>`;
}
