// SPDX-License-Identifier: MIT
// Pipelines (issue 20, docs/pipelines.md):
//   #/pipelines            the pipeline runs, newest first: the lineage
//                          store's executions with step '' (one per
//                          `ferry pipelines run`)
//   #/pipelines/<run_id>   one pipeline run drawn as its DAG: a box per
//                          step in columns by depth (longest path from a
//                          step with no upstream), edges from each step to
//                          its dependants, the state's colour, the
//                          duration, a CACHED badge naming the run it
//                          reused; a box links to the step's run page,
//                          whose artifacts hold logs/output.log
// The steps come from the spec the engine logged (artifact
// pipeline/pipeline.json of the pipeline run: every step, so the ones that
// never ran show as SKIPPED) and from the step runs (child runs tagged
// ferry.pipeline.runId; their ferry.pipeline.step.* tags give the state,
// the cache source and the attempts). Read-only.
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";
import { get, post } from "./api.js";
import { fmtDuration, fmtTime, navigate, tagsOf } from "./util.js";
import { ErrorBox, useLoad } from "./widgets.js";

const LIN = "api/2.0/ferry/lineage/";
const enc = encodeURIComponent;
const runHash = (exp, id) => `#/experiments/${enc(exp)}/runs/${enc(id)}`;
export const pipelineHash = (id) => "#/pipelines/" + enc(id);
const short = (id) => String(id || "").slice(0, 8);

// A run's page needs its experiment: ask the server, then go (a run that
// cannot be read opens its page anyway, which shows the error).
export function goRun(e, id) {
  e.preventDefault();
  get("runs/get", { run_id: id }).then((r) => navigate(runHash(r.run.info.experiment_id, id)),
    () => navigate(runHash("0", id)));
}

const ms = (start, end) => (start && end ? fmtDuration(start, end) : "");

// ---------------------------------------------------------------- list

export function PipelinesPage() {
  const [pages, setPages] = useState([undefined]);
  const list = useLoad(async () => {
    const out = [];
    let next = null;
    for (const token of pages) {
      const r = await get(LIN + "executions/list", { max_results: 100, page_token: token });
      out.push(...(r.executions || []));
      next = r.next_page_token || null;
    }
    return { runs: out, next };
  }, [pages.length]);
  const d = list.data;
  return html`
    <div class="page pipelines">
      <h1>Pipelines</h1>
      <p class="subnav">Pipeline runs, newest first. <a href="#/lineage">Lineage</a>: where a model or a dataset version came from.</p>
      <${ErrorBox} error=${list.error} />
      ${list.loading && !d ? html`<p class="loading">Loading pipeline runs…</p>` : null}
      ${d && !d.runs.length ? html`<div class="empty note" role="status">
        <p>No pipeline run yet. A pipeline is a set of steps with declared inputs and outputs (<code>pipeline.yaml</code>);
        run one with <code>ferry pipelines run DIR</code>: each step becomes a run, cached by content, and its
        inputs and outputs join the lineage graph.</p></div>` : null}
      ${d && d.runs.length ? html`<table class="grid pipeline-runs"><thead><tr><th>Pipeline</th><th>Run</th><th>State</th>
        <th>Started</th><th>Duration</th></tr></thead><tbody>
        ${d.runs.map((x) => html`<tr key=${x.run_id}>
          <td>${x.pipeline}</td>
          <td><a href=${pipelineHash(x.run_id)}>${short(x.run_id)}</a></td>
          <td><span class=${"state " + String(x.state || "").toLowerCase()}>${x.state}</span></td>
          <td>${fmtTime(x.started_ms)}</td>
          <td>${x.state === "RUNNING" ? fmtDuration(x.started_ms) : ms(x.started_ms, x.ended_ms)}</td></tr>`)}
      </tbody></table>` : null}
      ${d && d.next ? html`<div class="pager"><button onClick=${() => setPages([...pages, d.next])}>More pipeline runs</button></div>` : null}
    </div>`;
}

// ---------------------------------------------------------------- one run

// The spec the engine logged; null when the run has none (not a pipeline
// run, or its artifact was removed): the steps that ran are still shown.
async function loadSpec(runId) {
  const r = await fetch("get-artifact?" + new URLSearchParams({ run_id: runId, path: "pipeline/pipeline.json" }));
  if (!r.ok) return null;
  try { return JSON.parse(await r.text()); } catch { return null; }
}

// Every step run of the pipeline run (its experiment's runs tagged with it).
async function loadStepRuns(exp, runId) {
  const out = [];
  let token;
  do {
    const r = await post("runs/search", { experiment_ids: [exp], max_results: 1000, page_token: token,
      filter: "tags.`ferry.pipeline.runId` = '" + runId.replace(/'/g, "") + "'" });
    out.push(...(r.runs || []));
    token = r.next_page_token;
  } while (token && out.length < 20000);
  return out;
}

// The names of the steps a step's text refers to: {steps.NAME.outputs.X},
// {steps.NAME.run_id}; NAME may hold dots, so the longest known name wins.
function refsIn(text, names, out) {
  const re = /\{steps\.([^{}]+)\}/g;
  let m;
  while ((m = re.exec(text))) {
    if (m.index > 0 && text[m.index - 1] === "{") continue; // "{{" is a literal brace
    let best = "";
    for (const n of names)
      if (n.length > best.length && m[1].startsWith(n + ".") && /^(outputs\.|run_id$)/.test(m[1].slice(n.length + 1))) best = n;
    if (best) out.add(best);
  }
}

function strings(v, out) {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === "object") Object.values(v).forEach((x) => strings(x, out));
  return out;
}

// [{name, up: [names]}] in the spec's order, from the logged spec: steps as
// an object (file order) or as a list of {name, ...}.
export function specSteps(spec) {
  const steps = spec && spec.steps;
  if (!steps || typeof steps !== "object") return [];
  const list = Array.isArray(steps) ? steps.map((s) => [s.name, s]) : Object.entries(steps);
  const names = list.map(([n]) => n);
  return list.map(([name, s]) => {
    const up = new Set();
    for (const a of [].concat(s.after || [], s.upstream || [])) if (typeof a === "string") up.add(a);
    const { after, upstream, ...rest } = s;
    strings(rest, []).forEach((t) => refsIn(t, names, up));
    up.delete(name);
    return { name, up: [...up].filter((n) => names.includes(n)) };
  });
}

// A step's state: its run's ferry.pipeline.step.state tag, else its run's
// status; a step without a run is PENDING while the pipeline runs, else
// SKIPPED (reason: the first upstream step that failed or was skipped).
const STATUS_STATE = { FINISHED: "COMPLETE", FAILED: "FAILED", KILLED: "KILLED", RUNNING: "RUNNING", SCHEDULED: "RUNNING" };

export function layout(spec, runs, pipelineRunning) {
  const byName = new Map();
  specSteps(spec).forEach((s) => byName.set(s.name, { name: s.name, up: s.up }));
  // without a spec the steps come in the order they started
  const started = runs.slice().sort((a, b) => Number(a.info.start_time || 0) - Number(b.info.start_time || 0));
  for (const r of started) {
    const t = tagsOf(r.data && r.data.tags);
    const name = t["ferry.pipeline.step"] || r.info.run_name;
    if (!byName.has(name)) byName.set(name, { name, up: [] });
    Object.assign(byName.get(name), {
      run: r, tags: t,
      state: t["ferry.pipeline.step.state"] || STATUS_STATE[r.info.status] || r.info.status,
      cachedFrom: t["ferry.pipeline.step.cachedFrom"] || "",
      attempts: t["ferry.pipeline.step.attempts"] || "",
    });
  }
  const steps = [...byName.values()];
  // depth: the longest path from a step with no upstream (a cycle, which a
  // logged spec cannot hold, is cut rather than looped on)
  const depth = new Map();
  const walk = (s, seen) => {
    if (depth.has(s.name)) return depth.get(s.name);
    if (seen.has(s.name)) return 0;
    seen.add(s.name);
    let d = 0;
    for (const u of s.up) if (byName.has(u)) d = Math.max(d, walk(byName.get(u), seen) + 1);
    depth.set(s.name, d);
    return d;
  };
  steps.forEach((s) => walk(s, new Set()));
  // states of the steps that never ran, upstream first
  const order = steps.slice().sort((a, b) => depth.get(a.name) - depth.get(b.name));
  for (const s of order) {
    s.depth = depth.get(s.name);
    if (s.state) continue;
    if (pipelineRunning) { s.state = "PENDING"; continue; }
    s.state = "SKIPPED";
    const bad = s.up.map((u) => byName.get(u)).find((u) => u && ["FAILED", "KILLED", "SKIPPED"].includes(u.state));
    s.reason = bad ? `${bad.name} ${bad.state === "SKIPPED" ? "skipped" : bad.state.toLowerCase()}` : "not run";
  }
  return steps;
}

const BOX_W = 200, BOX_H = 76, GAP_X = 64, GAP_Y = 16;

function Dag({ steps, exp }) {
  const cols = [];
  for (const s of steps) (cols[s.depth] = cols[s.depth] || []).push(s);
  const pos = new Map();
  cols.forEach((col, c) => col.forEach((s, r) => pos.set(s.name, { x: c * (BOX_W + GAP_X), y: r * (BOX_H + GAP_Y) })));
  const width = cols.length * (BOX_W + GAP_X) - GAP_X;
  const height = Math.max(...cols.map((c) => c.length)) * (BOX_H + GAP_Y) - GAP_Y;
  const edges = [];
  for (const s of steps)
    for (const u of s.up) {
      const a = pos.get(u), b = pos.get(s.name);
      if (!a || !b) continue;
      const x1 = a.x + BOX_W, y1 = a.y + BOX_H / 2, x2 = b.x, y2 = b.y + BOX_H / 2, mx = (x1 + x2) / 2;
      edges.push(html`<path key=${u + ">" + s.name} d=${`M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2 - 6},${y2}`} />`);
    }
  return html`<div class="dag-scroll"><div class="dag" style=${{ width: width + "px", height: height + "px" }}
      role="list" aria-label="Steps of the pipeline, in columns by depth">
    <svg class="dag-edges" width=${width} height=${height} aria-hidden="true">
      <defs><marker id="dag-arrow" viewBox="0 0 8 8" refX="2" refY="4" markerWidth="7" markerHeight="7" orient="auto">
        <path d="M0,0 L8,4 L0,8 z" /></marker></defs>
      ${edges}</svg>
    ${steps.map((s) => {
      const p = pos.get(s.name), st = s.state.toLowerCase();
      const body = html`<strong class="name">${s.name}</strong>
        <span class="line"><span class=${"state " + st}>${s.state}</span>${s.run && s.state !== "CACHED" ? html` <span class="dur">${ms(s.run.info.start_time, s.run.info.end_time) || (s.state === "RUNNING" ? fmtDuration(s.run.info.start_time) : "")}</span>` : null}</span>
        ${s.state === "CACHED" ? html`<span class="line muted">from run ${short(s.cachedFrom)}</span>` : null}
        ${s.reason ? html`<span class="line muted">(${s.reason})</span>` : null}`;
      const style = { left: p.x + "px", top: p.y + "px", width: BOX_W + "px", height: BOX_H + "px" };
      return s.run
        ? html`<a key=${s.name} role="listitem" class=${"step " + st} style=${style} href=${runHash(exp, s.run.info.run_id)}
            title=${"open the run of step " + s.name + " (its logs are the artifact logs/output.log)"}>${body}</a>`
        : html`<div key=${s.name} role="listitem" class=${"step " + st} style=${style}>${body}</div>`;
    })}
  </div></div>`;
}

export function PipelineRunPage({ runId }) {
  const d = useLoad(async () => {
    const run = (await get("runs/get", { run_id: runId })).run;
    const [spec, runs] = await Promise.all([loadSpec(runId), loadStepRuns(run.info.experiment_id, runId)]);
    return { run, spec, runs };
  }, [runId]);
  // a pipeline still running is read again every 2 s
  const running = d.data && d.data.run.info.status === "RUNNING";
  useEffect(() => {
    if (!running) return undefined;
    const t = setTimeout(d.reload, 2000);
    return () => clearTimeout(t);
  }, [d.data]);
  const crumbs = html`<p class="crumbs"><a href="#/pipelines">Pipelines</a> /</p>`;
  if (d.error) return html`<div class="page">${crumbs}<${ErrorBox} error=${d.error} /></div>`;
  if (!d.data) return html`<div class="page"><p class="loading">Loading pipeline run…</p></div>`;
  const { run, spec, runs } = d.data, i = run.info, tags = tagsOf(run.data.tags);
  const steps = layout(spec, runs, running);
  const counts = {};
  steps.forEach((s) => { counts[s.state] = (counts[s.state] || 0) + 1; });
  const params = (run.data.params || []).slice().sort((a, b) => a.key.localeCompare(b.key));
  return html`
    <div class="page wide pipeline-run">
      ${crumbs}
      <h1>${tags["ferry.pipeline.name"] || i.run_name} <span class="count">run ${short(i.run_id)}</span></h1>
      <dl class="facts">
        <div><dt>Status</dt><dd><span class=${"status " + (i.status || "").toLowerCase()}>${i.status}</span></dd></div>
        <div><dt>Started</dt><dd>${fmtTime(i.start_time)}</dd></div>
        <div><dt>Duration</dt><dd>${fmtDuration(i.start_time, i.end_time)}</dd></div>
        <div><dt>Steps</dt><dd>${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(", ")}</dd></div>
        <div><dt>Pipeline run</dt><dd><a href=${runHash(i.experiment_id, i.run_id)}><code>${i.run_id}</code></a></dd></div>
        <div><dt>Source</dt><dd>${tags["mlflow.source.name"] || ""}</dd></div>
        ${params.length ? html`<div><dt>Parameters</dt><dd>${params.map((p) => html`<span class="pill">${p.key}=${p.value}</span>`)}</dd></div>` : null}
      </dl>
      ${!spec ? html`<p class="muted" role="status">This run has no pipeline/pipeline.json: only the steps that ran are shown, without their edges.</p>` : null}
      <section><h2>Graph</h2>${steps.length ? html`<${Dag} steps=${steps} exp=${i.experiment_id} />` : html`<p class="muted">No step.</p>`}</section>
      <section><h2>Steps</h2>
        <div class="scroll"><table class="grid steps"><thead><tr><th>Step</th><th>State</th><th>Duration</th><th>Attempts</th>
          <th>Cached from</th><th>Log</th><th>Lineage</th></tr></thead><tbody>
          ${steps.slice().sort((a, b) => a.depth - b.depth).map((s) => html`<tr key=${s.name}>
            <td>${s.run ? html`<a href=${runHash(i.experiment_id, s.run.info.run_id)}>${s.name}</a>` : s.name}</td>
            <td><span class=${"state " + s.state.toLowerCase()}>${s.state}</span>${s.reason ? html` <span class="muted">(${s.reason})</span>` : null}</td>
            <td>${s.run ? ms(s.run.info.start_time, s.run.info.end_time) : ""}</td>
            <td class="num">${s.attempts}</td>
            <td>${s.cachedFrom ? html`<a href=${runHash(i.experiment_id, s.cachedFrom)} onClick=${(e) => goRun(e, s.cachedFrom)}>${short(s.cachedFrom)}</a>` : ""}</td>
            <td>${s.run && s.state !== "CACHED" ? html`<a href=${"get-artifact?" + new URLSearchParams({ run_id: s.run.info.run_id, path: "logs/output.log" })}
              target="_blank" rel="noopener">output.log</a>` : ""}</td>
            <td>${s.run ? html`<a href=${"#/lineage?" + new URLSearchParams({ uri: "runs:/" + s.run.info.run_id })}
              aria-label=${"Lineage of step " + s.name}>inputs, outputs</a>` : ""}</td></tr>`)}
        </tbody></table></div>
      </section>
    </div>`;
}
