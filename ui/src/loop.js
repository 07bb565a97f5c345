// SPDX-License-Identifier: MIT
// A deployment's closed loop (issue 21) on one time axis
// (#/deployments/<name>/loop): the alerts its monitors opened, the
// triggers they fired and the pipeline runs those started (a bar from
// start to finish, coloured by status), the gates' verdicts, the versions
// registered of its models, and its rollout's steps, promotions and
// rollbacks. Hovering, focusing or clicking a mark shows its details (and
// those of the marks it would hide); the table below lists every event
// with links to the pipeline run, the gate's run, the model version and the
// alert's monitor. Polled every few seconds while the page is open, as the
// deployment page is.
//
// Shape (GET api/2.0/ferry/deployments/loop?name=D[&start_time=MS]):
// {events: [{time_ms, time, event, ...}], truncated}, oldest first (when
// truncated, the newest max_results); the event's own fields (see
// docs/deployments.md, "The loop"): alert_opened {alert_id, monitor,
// condition, severity}; trigger_fired {trigger, firing_id, cause, state,
// detail}; pipeline_started {trigger, firing_id, run_id, experiment_id};
// pipeline_finished {trigger, firing_id, run_id, status}; gate_passed |
// gate_failed {trigger, firing_id, pipeline_run_id, run_id, step, reasons};
// version_registered {model, version, run_id, pipeline_run_id};
// rollout_step {change, candidate, step, weight}; promoted {change, action,
// model, version, alias}; rolled_back {change, candidate, reason}.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "./html.js";
import { get } from "./api.js";
import { fmtDuration, fmtTime } from "./util.js";
import { ErrorBox, useLoad, usePoll } from "./widgets.js";
import { goRun, pipelineHash } from "./pipelines.js";

const POLL_MS = 3000;
const enc = encodeURIComponent;
const short = (id) => String(id || "").slice(0, 8);

const LANES = [
  { key: "alerts", label: "Alerts", events: ["alert_opened"] },
  { key: "runs", label: "Triggers & runs", events: ["trigger_fired", "pipeline_started", "pipeline_finished"] },
  { key: "gates", label: "Gates", events: ["gate_passed", "gate_failed"] },
  { key: "registry", label: "Registry", events: ["version_registered"] },
  { key: "rollout", label: "Rollout", events: ["rollout_step", "promoted", "rolled_back"] },
];
const LABEL = {
  alert_opened: "alert opened", trigger_fired: "trigger fired", pipeline_started: "pipeline started",
  pipeline_finished: "pipeline finished", gate_passed: "gate passed", gate_failed: "gate failed",
  version_registered: "version registered", rollout_step: "rollout step", promoted: "promoted", rolled_back: "rolled back",
};
const WINDOWS = [["", "everything"], ["3600000", "last hour"], ["86400000", "last 24 hours"], ["604800000", "last 7 days"]];

// A stable key per event: the list shifts as a window's start moves on.
const keyOf = (e) => [e.event, e.time_ms, e.alert_id, e.firing_id, e.run_id, e.version, e.change, e.step].join("|");

// ------------------------------------------------------------------ links

const runHash = (exp, id) => `#/experiments/${enc(exp)}/runs/${enc(id)}`;
// A step run's page: by its pipeline run's experiment when the loop named
// it, else asked of the server on click.
function RunLink({ id, exp, children }) {
  if (!id) return null;
  return exp ? html`<a href=${runHash(exp, id)}>${children}</a>`
    : html`<a href=${runHash("0", id)} onClick=${(e) => goRun(e, id)}>${children}</a>`;
}
const PipeLink = ({ id }) => (id ? html`<a href=${pipelineHash(id)} title=${id}>pipeline run ${short(id)}</a>` : null);
const modelHash = (m) => "#/models/" + enc(m);
// "fraud/3" -> a link to fraud's page
function Candidate({ c }) {
  const s = String(c || ""), i = s.lastIndexOf("/");
  return i > 0 ? html`<a href=${modelHash(s.slice(0, i))}>${s.slice(0, i)}</a> v${s.slice(i + 1)}` : s;
}

// One event's details as a line of text and links; ctx: {dep, exp: Map of a
// pipeline run to its experiment, start: Map of a pipeline run to its start}.
export function Details({ e, ctx }) {
  const monitorHash = `#/deployments/${enc(ctx.dep)}/monitoring?` + new URLSearchParams({ monitor: e.monitor || "" });
  switch (e.event) {
  case "alert_opened":
    return html`<a href=${monitorHash}>alert #${e.alert_id}</a> of monitor ${e.monitor}: ${e.condition}${" "}
      <span class=${"severity " + e.severity}>(${e.severity})</span>`;
  case "trigger_fired":
    return html`trigger <strong>${e.trigger}</strong> fired (${e.cause}), firing #${e.firing_id}: ${e.state}${e.detail
      ? html` <span class="reason">(${e.detail})</span>` : null}`;
  case "pipeline_started":
    return html`<${PipeLink} id=${e.run_id} /> started by trigger ${e.trigger} (firing #${e.firing_id})`;
  case "pipeline_finished": {
    const st = ctx.start.get(e.run_id);
    return html`<${PipeLink} id=${e.run_id} /> <span class=${"status " + String(e.status).toLowerCase()}>${e.status}</span>${st
      ? ` after ${fmtDuration(st, e.time_ms)}` : ""} (trigger ${e.trigger}, firing #${e.firing_id})`;
  }
  case "gate_passed":
  case "gate_failed":
    return html`<${RunLink} id=${e.run_id} exp=${ctx.exp.get(e.pipeline_run_id)}>gate run ${short(e.run_id)}</${RunLink}>${e.step ? ` (step ${e.step})` : ""}${" "}
      <strong class=${e.event === "gate_failed" ? "bad" : "good"}>${e.event === "gate_failed" ? "failed" : "passed"}</strong>
      ${e.pipeline_run_id ? html` in <${PipeLink} id=${e.pipeline_run_id} />` : null}${e.reasons ? html`: <span class="reason">${e.reasons}</span>` : null}`;
  case "version_registered":
    return html`<a href=${modelHash(e.model)}>${e.model}</a> <strong>v${e.version}</strong>${e.run_id
      ? html` from <${RunLink} id=${e.run_id} exp=${ctx.exp.get(e.pipeline_run_id)}>run ${short(e.run_id)}</${RunLink}>` : null}${e.pipeline_run_id
      ? html` by <${PipeLink} id=${e.pipeline_run_id} />` : null}`;
  case "rollout_step":
    return html`change ${e.change}: step ${Number(e.step) + 1}, <${Candidate} c=${e.candidate} /> at <strong>${e.weight}%</strong>`;
  case "promoted":
    return html`change ${e.change}: <a href=${modelHash(e.model)}>${e.model}</a> v${e.version} ${e.action === "complete"
      ? "completed its rollout at 100%" : "promoted to 100%"}${e.alias ? `, @${e.alias} moved to it` : ""}`;
  case "rolled_back":
    return html`change ${e.change}: <${Candidate} c=${e.candidate} /> <strong class="bad">rolled back</strong>${e.reason ? html`: <span class="reason">${e.reason}</span>` : null}`;
  default:
    return html`<code>${JSON.stringify(e)}</code>`;
  }
}

// ------------------------------------------------------------------- axis

const SEC = 1000, MIN = 60 * SEC, HOUR = 60 * MIN, DAY = 24 * HOUR;
const STEPS = [SEC, 2 * SEC, 5 * SEC, 10 * SEC, 15 * SEC, 30 * SEC, MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 365 * DAY];

// Tick times between t0 and t1, at most about n of them, on round local times.
export function ticks(t0, t1, n) {
  const step = STEPS.find((s) => (t1 - t0) / s <= n) || STEPS[STEPS.length - 1];
  const off = step >= DAY ? new Date(t0).getTimezoneOffset() * MIN : 0; // days start at local midnight
  const out = [];
  for (let t = Math.ceil((t0 + off) / step) * step - off; t <= t1 && out.length < 100; t += step) out.push(t);
  return { step, out };
}

function tickLabel(t, step, first) {
  const d = new Date(t), p = (x) => String(x).padStart(2, "0");
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}${step < MIN ? ":" + p(d.getSeconds()) : ""}`;
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  if (step >= DAY) return day;
  return first || (d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0) ? `${day.slice(5)} ${hm}` : hm;
}

// -------------------------------------------------------------- timeline

// The marks of the events: one per event but a pipeline run, which is one
// bar from its start to its finish (or to the axis' end while it runs).
export function marks(events) {
  const out = [], runs = new Map();
  for (const e of events) {
    if (e.event === "pipeline_started" || e.event === "pipeline_finished") {
      let r = runs.get(e.run_id);
      if (!r) {
        r = { kind: "run", key: "run|" + e.run_id, run_id: e.run_id, start: null, finish: null };
        runs.set(e.run_id, r);
        out.push(r);
      }
      r[e.event === "pipeline_started" ? "start" : "finish"] = e;
    } else {
      out.push({ kind: "point", key: keyOf(e), e });
    }
  }
  return out;
}

const laneOf = (ev) => LANES.findIndex((l) => l.events.includes(ev));
const LANE_H = 40, TOP = 6, AXIS = 24, R = 16;

function Shape({ e, x, y, bare }) {
  switch (e.event) {
  case "alert_opened":
    return html`<path class=${"shape alert " + e.severity} d=${`M${x},${y - 8} L${x + 8},${y + 6} L${x - 8},${y + 6} Z`} />`;
  case "trigger_fired":
    return html`<path class="shape fired" d=${`M${x},${y - 6} L${x + 6},${y} L${x},${y + 6} L${x - 6},${y} Z`} />`;
  case "gate_passed":
  case "gate_failed":
    return html`<circle class=${"shape " + (e.event === "gate_passed" ? "passed" : "failed")} cx=${x} cy=${y} r="6" />
      <text class="glyph" x=${x} y=${y + 3.5} text-anchor="middle">${e.event === "gate_passed" ? "✓" : "✕"}</text>`;
  case "version_registered":
    return html`<circle class="shape version" cx=${x} cy=${y} r="6" />
      ${bare ? null : html`<text class="label" x=${x} y=${y - 10} text-anchor="middle">v${e.version}</text>`}`;
  case "rollout_step":
    return html`<rect class="shape step" x=${x - 5} y=${y - 5} width="10" height="10" />
      ${bare ? null : html`<text class="label" x=${x} y=${y - 10} text-anchor="middle">${e.weight}%</text>`}`;
  case "promoted":
    return html`<circle class="shape promoted" cx=${x} cy=${y} r="7" />
      ${bare ? null : html`<text class="label" x=${x} y=${y - 11} text-anchor="middle">promoted</text>`}`;
  case "rolled_back":
    return html`<rect class="shape rolled-back" x=${x - 6} y=${y - 6} width="12" height="12" />
      ${bare ? null : html`<text class="label" x=${x} y=${y - 11} text-anchor="middle">rolled back</text>`}`;
  default:
    return html`<circle class="shape" cx=${x} cy=${y} r="5" />`;
  }
}

const runSummary = (m) => `pipeline run ${short(m.run_id)}: ${m.finish ? m.finish.status : "running"}` +
  (m.start ? `, started ${fmtTime(m.start.time_ms)}` : "") + (m.finish ? `, finished ${fmtTime(m.finish.time_ms)}` : "");
const pointSummary = (e) => `${LABEL[e.event] || e.event} at ${fmtTime(e.time_ms)}`;

function Timeline({ events, now, picked, onHover, onPick }) {
  const box = useRef(null);
  const [width, setWidth] = useState(900);
  useEffect(() => {
    const measure = () => box.current && setWidth(Math.max(320, box.current.clientWidth));
    measure();
    addEventListener("resize", measure);
    return () => removeEventListener("resize", measure);
  }, []);
  const ms = marks(events);
  const times = events.map((e) => e.time_ms);
  const running = ms.some((m) => m.kind === "run" && !m.finish);
  let t0 = Math.min(...times), t1 = Math.max(...times, running ? now : -Infinity);
  if (t1 - t0 < 2 * SEC) { t0 -= SEC; t1 += SEC; }
  const pad = (t1 - t0) * 0.03;
  t0 -= pad; t1 += pad;
  const L = width < 560 ? 92 : 130;
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (width - L - R);
  const H = TOP + LANES.length * LANE_H + AXIS;
  const yOf = (lane) => TOP + lane * LANE_H + LANE_H / 2;
  const tk = ticks(t0, t1, Math.max(2, Math.floor((width - L - R) / 110)));
  const lastLabel = {};
  // marks that would hide each other (a lane's point marks a few px apart)
  // show their details together
  const at = ms.map((m) => (m.kind === "run" ? null : { key: m.key, lane: laneOf(m.e.event), x: x(m.e.time_ms) }));
  const near = (i) => (at[i] ? at.filter((o) => o && o.lane === at[i].lane && Math.abs(o.x - at[i].x) <= 6).map((o) => o.key) : [ms[i].key]);
  const handlers = (i) => {
    const sel = () => ({ key: ms[i].key, keys: near(i) });
    return {
      tabindex: "0", onMouseEnter: () => onHover(sel()), onMouseLeave: () => onHover(null), onFocus: () => onHover(sel()),
      onBlur: () => onHover(null), onClick: () => onPick(sel()),
      onKeyDown: (ev) => (ev.key === "Enter" || ev.key === " ") && (ev.preventDefault(), onPick(sel())),
    };
  };
  return html`<div ref=${box} class="loop-box">
    <svg class="loop" width=${width} height=${H} viewBox=${`0 0 ${width} ${H}`} role="group" aria-label="The loop on one time axis" data-testid="loop-timeline">
      ${LANES.map((l, i) => html`<g class=${"lane " + l.key} data-lane=${l.key}>
        <rect class=${"lane-bg" + (i % 2 ? " odd" : "")} x="0" y=${TOP + i * LANE_H} width=${width} height=${LANE_H} />
        <text class="lane-label" x="6" y=${yOf(i) + 4}>${l.label}</text></g>`)}
      ${tk.out.map((t, i) => html`<g class="tick">
        <line class="grid" x1=${x(t)} x2=${x(t)} y1=${TOP} y2=${H - AXIS} />
        <text class="tick" x=${x(t)} y=${H - AXIS + 15} text-anchor="middle">${tickLabel(t, tk.step, i === 0)}</text></g>`)}
      <line class="axis" x1=${L} x2=${width - R} y1=${H - AXIS} y2=${H - AXIS} />
      ${ms.map((m, i) => {
        if (m.kind === "run") {
          const a = m.start ? m.start.time_ms : m.finish.time_ms, b = m.finish ? m.finish.time_ms : now;
          const st = m.finish ? String(m.finish.status).toLowerCase() : "running";
          const y = yOf(laneOf("pipeline_started")) + 3;
          const xa = x(a), w = Math.max(5, x(b) - xa);
          return html`<g key=${m.key} class=${"mark run " + st + (picked === m.key ? " picked" : "")} data-key=${m.key} data-run=${m.run_id}
            role="button" aria-label=${runSummary(m)} ...${handlers(i)}>
            <rect class="bar" x=${xa} y=${y} width=${w} height="11" rx="3" /><title>${runSummary(m)}</title></g>`;
        }
        const lane = laneOf(m.e.event), xm = x(m.e.time_ms);
        // a label too close to the lane's previous one is left to the mark's details
        const bare = xm - (lastLabel[lane] ?? -Infinity) < 44;
        if (!bare) lastLabel[lane] = xm;
        const y = yOf(lane < 0 ? 0 : lane) + (m.e.event === "trigger_fired" ? -9 : m.e.event.startsWith("gate_") || m.e.event === "alert_opened" ? 0 : 5);
        return html`<g key=${m.key} class=${"mark " + m.e.event + (picked === m.key ? " picked" : "")} data-key=${m.key} data-event=${m.e.event}
          role="button" aria-label=${pointSummary(m.e)} ...${handlers(i)}>
          <${Shape} e=${m.e} x=${xm} y=${y} bare=${bare} /><title>${pointSummary(m.e)}</title></g>`;
      })}
    </svg></div>`;
}

const markOf = (e) => (e.event === "pipeline_started" || e.event === "pipeline_finished" ? "run|" + e.run_id : keyOf(e));

// ------------------------------------------------------------------- page

function emptyText(name) {
  return html`<div class="empty note" role="status">
    <p>Nothing has happened in ${name}'s loop yet. This page puts on one time axis how the deployment's model gets
    replaced: the alerts its monitors open (<code>ferry monitors apply</code>; see <a href=${`#/deployments/${enc(name)}/monitoring`}>Monitoring</a>),
    the triggers those alerts or its models' new versions fire and the pipeline runs they start (<code>ferry triggers apply</code>,${" "}
    an <code>on: {alert: {monitor: …}}</code> trigger), the pipelines' gate verdicts (<code>uses: ferry/gate</code>), the versions
    registered of its models, and its rollout's steps, promotions and rollbacks (a <code>rollout:</code> section in its spec and${" "}
    <code>ferry deployments apply</code>, or a pipeline's <code>uses: ferry/deploy</code> step).</p></div>`;
}

export function LoopPage({ name }) {
  const [win, setWin] = useState("");
  const loop = useLoad(() => get("api/2.0/ferry/deployments/loop", { name, start_time: win ? Date.now() - Number(win) : undefined })
    .then((r) => ({ ...r, name })), [name, win]);
  usePoll(loop.reload, POLL_MS);
  const last = useRef(null); // kept through a failed poll
  if (loop.data) last.current = loop.data;
  const data = last.current && last.current.name === name ? last.current : null;
  const [hover, setHover] = useState(null);
  const [picked, setPicked] = useState(null);
  const events = (data && data.events) || [];
  const ctx = { dep: name, exp: new Map(), start: new Map() };
  for (const e of events) {
    if (e.event === "pipeline_started") {
      ctx.start.set(e.run_id, e.time_ms);
      if (e.experiment_id) ctx.exp.set(e.run_id, e.experiment_id);
    }
  }
  // {key: the mark pointed at, keys: it and the marks it would hide}
  const sel = hover || picked;
  const shownKeys = new Set(sel ? sel.keys : []);
  const shown = events.filter((e) => shownKeys.has(markOf(e))); // a run: its start and finish
  const pick = (s) => setPicked(picked && picked.key === s.key ? null : s);
  return html`
    <div class="page wide loop-page">
      <p class="crumbs"><a href="#/deployments">Deployments</a> / <a href=${"#/deployments/" + enc(name)}>${name}</a> /</p>
      <h1>Loop</h1>
      <p class="subnav">Alerts, triggers and pipeline runs, gates, registered versions and the rollout on one time axis, refreshed
        every ${POLL_MS / 1000} s. <a href=${`#/deployments/${enc(name)}/monitoring`}>Monitoring</a></p>
      <div class="toolbar"><label>Window <select aria-label="Window" value=${win} onChange=${(e) => { setWin(e.target.value); setPicked(null); }}>
        ${WINDOWS.map(([v, l]) => html`<option value=${v}>${l}</option>`)}</select></label></div>
      <${ErrorBox} error=${loop.error} />
      ${loop.loading && !data && !loop.error ? html`<p class="loading">Loading the loop…</p>` : null}
      ${data && !events.length ? (win ? html`<p class="muted empty" role="status">No event in this window.</p>` : emptyText(name)) : null}
      ${data && data.truncated ? html`<p class="note" role="status">The window holds more events than these, the newest ${events.length}:
        pick a shorter one to see the older ones.</p>` : null}
      ${events.length ? html`
        <figure class="chart loop-chart">
          <figcaption><span class="muted">hover, focus or click a mark for its details; a pipeline run is a bar from its start to its end</span>
            <span class="legend"><i class="finished"></i> finished <i class="failed"></i> failed <i class="running"></i> running</span></figcaption>
          <${Timeline} events=${events} now=${Date.now()} picked=${picked && picked.key} onHover=${setHover} onPick=${pick} />
        </figure>
        <div class="loop-detail" role="region" aria-label="Event details" aria-live="polite">
          ${shown.length ? shown.map((e) => html`<p key=${keyOf(e)}><strong>${LABEL[e.event] || e.event}</strong>${" "}
            <span class="muted" title=${e.time}>${fmtTime(e.time_ms)}</span> · <${Details} e=${e} ctx=${ctx} /></p>`)
            : html`<p class="muted">No mark picked.</p>`}
        </div>
        <section><h2>Events <span class="count">${events.length}, newest first</span></h2>
          <div class="scroll"><table class="grid loop-events"><thead><tr><th>Time</th><th>Event</th><th>Details</th></tr></thead><tbody>
            ${events.slice().reverse().map((e) => html`<tr key=${keyOf(e)} data-event=${e.event}
              class=${(shownKeys.has(markOf(e)) ? "picked " : "") + (e.event === "gate_failed" || e.event === "rolled_back" || e.status === "FAILED" ? "bad-row" : "")}>
              <td title=${e.time}>${fmtTime(e.time_ms)}</td>
              <td><button class="link" onClick=${() => pick({ key: markOf(e), keys: [markOf(e)] })}>${LABEL[e.event] || e.event}</button></td>
              <td class="reason"><${Details} e=${e} ctx=${ctx} /></td></tr>`)}
          </tbody></table></div>
        </section>` : null}
    </div>`;
}

// The deployment page's way here.
export function LoopLink({ name }) {
  return html`<p class="subnav"><a href=${"#/deployments/" + enc(name) + "/loop"}>Loop</a>: alerts, triggers, pipeline runs,
    gates, versions and the rollout on one time axis</p>`;
}
