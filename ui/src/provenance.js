// SPDX-License-Identifier: MIT
// The loop in one place (issue 22), on a deployment's page: where the
// models it serves came from and what retrained them.
// - Each model version the deployment serves or shadows with its upstream
//   lineage (GET api/2.0/ferry/lineage/graph, direction=upstream): the run
//   that trained it, the pipeline run and steps around it, the dataset
//   versions and artifacts they read; every node links to its page
//   (lineage.js draws the tree).
// - The pipeline runs its triggers started, newest first, from the
//   deployment's loop (GET api/2.0/ferry/deployments/loop: the same records
//   as the Loop page), each linked to its pipeline page with its outcome.
// The deployment's monitors and alerts are listed above these (watch.js).
import { html } from "./html.js";
import { get } from "./api.js";
import { fmtTime } from "./util.js";
import { ErrorBox, useLoad } from "./widgets.js";
import { Direction, lineageHash } from "./lineage.js";

const DEPTH = 4; // version <- run <- pipeline step <- data: enough to reach the data
const RECENT = 10;
const enc = encodeURIComponent;

function VersionOrigin({ t }) {
  const uri = `models:/${t.name}/${t.version}`;
  const up = useLoad(() => get("api/2.0/ferry/lineage/graph", { uri, direction: "upstream", depth: DEPTH }), [uri]);
  const title = html`<a href=${"#/models/" + enc(t.name)}>${t.name}</a> v${t.version}${" "}<span class="muted role">(${t.role})</span>${" "}<a
    class="reroot" href=${lineageHash(uri)} title="the whole lineage of this version">full lineage ⤷</a>`;
  return html`<${Direction} h="h3" title=${title} load=${up} up=${true}
    empty="Nothing recorded upstream: the version names no run (registered from a path), or its run logged no inputs." />`;
}

// The pipeline runs in the loop's events, newest first: start, end, status.
export function pipelineRuns(events) {
  const runs = new Map();
  for (const e of events || []) {
    if (e.event !== "pipeline_started" && e.event !== "pipeline_finished") continue;
    let r = runs.get(e.run_id);
    if (!r) runs.set(e.run_id, r = { run_id: e.run_id, trigger: e.trigger, start: e.time_ms, end: null, status: "RUNNING" });
    if (e.event === "pipeline_started") r.start = e.time_ms;
    else { r.end = e.time_ms; r.status = e.status; }
  }
  return [...runs.values()].sort((a, b) => b.start - a.start);
}

function Retraining({ name }) {
  const loop = useLoad(() => get("api/2.0/ferry/deployments/loop", { name, max_results: 1000 }), [name]);
  if (loop.error) return html`<${ErrorBox} error=${loop.error} />`;
  if (!loop.data) return html`<p class="loading">Loading…</p>`;
  const runs = pipelineRuns(loop.data.events);
  if (!runs.length) return html`<p class="muted">No pipeline run started by a trigger yet.</p>`;
  return html`<table class="grid retraining"><thead><tr><th>Pipeline run</th><th>Trigger</th><th>Started</th><th>Ended</th><th>Status</th></tr></thead>
    <tbody>${runs.slice(0, RECENT).map((r) => html`<tr key=${r.run_id}>
      <td><a href=${"#/pipelines/" + enc(r.run_id)}>${r.run_id.slice(0, 8)}…</a></td><td>${r.trigger}</td>
      <td>${fmtTime(r.start)}</td><td>${r.end ? fmtTime(r.end) : "–"}</td>
      <td><span class=${"status " + r.status.toLowerCase()}>${r.status.toLowerCase()}</span></td></tr>`)}</tbody></table>
    ${runs.length > RECENT ? html`<p class="muted">${runs.length - RECENT} older on the <a href=${"#/deployments/" + enc(name) + "/loop"}>Loop</a> page.</p>` : null}`;
}

// targets: [{name, version, role}], serving targets and shadows.
export function Provenance({ name, targets }) {
  const seen = new Set();
  const uniq = targets.filter((t) => { const k = t.name + "/" + t.version; return !seen.has(k) && seen.add(k); });
  return html`<section class="provenance"><h2>Where its models came from</h2>
      ${uniq.map((t) => html`<${VersionOrigin} key=${t.name + "/" + t.version} t=${t} />`)}
    </section>
    <section><h2>Retraining runs</h2><${Retraining} name=${name} /></section>`;
}
