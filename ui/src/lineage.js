// SPDX-License-Identifier: MIT
// The lineage graph (issue 20, docs/pipelines.md), #/lineage?uri=URI:
// where a model version, dataset version, run or step output came from
// (upstream) and what was made from it (downstream), each drawn as an
// indented tree from the graph row (GET /api/2.0/ferry/lineage/graph:
// {root, nodes, edges: [{source, target, kind, name}], truncated}; edges
// point downstream). A node met a second time is named, not expanded again.
// Each node links to its page (run, model, dataset version) and can become
// the root. Linked from the model page and the dataset version page.
import { useState } from "preact/hooks";
import { html } from "./html.js";
import { get } from "./api.js";
import { hashWith, navigate } from "./util.js";
import { ErrorBox, useLoad } from "./widgets.js";
import { goRun } from "./pipelines.js";

const LIN = "api/2.0/ferry/lineage/";
const MAX_LINES = 2000;
const enc = encodeURIComponent;
export const lineageHash = (uri) => hashWith(["lineage"], new URLSearchParams({ uri }));
const short = (id) => (id.length > 12 ? id.slice(0, 8) + "…" : id);

const nodeId = (n) => n.uri || n.id;

// runs:/ID or runs:/ID/path -> ID
const runOf = (uri) => ((/^runs:\/([^/]+)/.exec(uri) || [])[1] || "");

// What a node says in one line, and where it links.
function describe(n) {
  const uri = nodeId(n);
  switch (n.kind) {
  case "execution": {
    const id = n.run_id || runOf(uri);
    const what = n.step || n.name || "run";
    return { text: `${what} (run ${short(id)}${n.state ? ", " + n.state : ""})`,
      href: n.experiment_id ? `#/experiments/${enc(n.experiment_id)}/runs/${enc(id)}` : null, run: n.experiment_id ? null : id };
  }
  case "dataset_version": {
    const m = /^data:\/(.+)\/(\d+)$/.exec(uri);
    return { text: uri, href: m ? `#/datasets/${enc(m[1])}/versions/${enc(m[2])}` : null };
  }
  case "model_version": {
    const m = /^models:\/(.+)\/\d+$/.exec(uri);
    return { text: uri, href: m ? `#/models/${enc(m[1])}` : null };
  }
  default: { // artifact, logged_model
    const id = runOf(uri);
    return { text: uri + (n.type ? ` [${n.type}]` : ""), run: id || null };
  }
  }
}

function Node({ n, edge }) {
  const d = describe(n);
  return html`<span class=${"lnode " + (n.kind || "")}>
    ${edge ? html`<span class="edge muted">${edge.kind}${edge.name ? " " + edge.name : ""}</span> ` : null}
    <span class="kind">${(n.kind || "node").replace("_", " ")}</span>
    ${d.href ? html`<a href=${d.href}>${d.text}</a>`
      : d.run ? html`<a href=${"#/experiments/0/runs/" + enc(d.run)} onClick=${(e) => goRun(e, d.run)}>${d.text}</a>`
      : html`<span>${d.text}</span>`}
    ${n.digest ? html` <code class="digest" title=${n.digest}>${String(n.digest).slice(0, 12)}</code>` : null}
    ${" "}<a class="reroot" href=${lineageHash(nodeId(n))} title="show the lineage of this node" aria-label=${"lineage of " + nodeId(n)}>⤷</a>
  </span>`;
}

// The tree below root: upstream, a node's children are the sources of the
// edges into it; downstream, the targets of the edges out of it.
export function treeOf(graph, up) {
  const nodes = new Map((graph.nodes || []).map((n) => [nodeId(n), n]));
  const next = new Map();
  for (const e of graph.edges || []) {
    const from = up ? e.target : e.source, to = up ? e.source : e.target;
    if (!next.has(from)) next.set(from, []);
    next.get(from).push({ id: to, edge: e });
  }
  const seen = new Set();
  let lines = 0;
  const build = (id, edge) => {
    lines++;
    const n = nodes.get(id) || { uri: id };
    if (seen.has(id)) return { n, edge, again: true, kids: [] };
    seen.add(id);
    const kids = [];
    for (const k of next.get(id) || []) {
      if (lines >= MAX_LINES) break;
      kids.push(build(k.id, k.edge));
    }
    return { n, edge, kids };
  };
  return { tree: build(graph.root, null), cut: lines >= MAX_LINES };
}

function Tree({ t }) {
  return html`<li>
    <${Node} n=${t.n} edge=${t.edge} />${t.again ? html` <span class="muted">(shown above)</span>` : null}
    ${t.kids.length ? html`<ul>${t.kids.map((k) => html`<${Tree} t=${k} />`)}</ul>` : null}
  </li>`;
}

// One direction of a graph as a tree under a heading (h: its tag, h2 by
// default; the deployment page nests these under its own h2).
export function Direction({ title, load, up, empty, h = "h2" }) {
  if (load.error) return html`<section><${h}>${title}</${h}><${ErrorBox} error=${load.error} /></section>`;
  if (!load.data) return html`<section><${h}>${title}</${h}><p class="loading">Loading…</p></section>`;
  const { tree, cut } = treeOf(load.data, up);
  return html`<section class=${"lineage " + (up ? "upstream" : "downstream")}><${h}>${title} <span class="count">${(load.data.nodes || []).length - 1}</span></${h}>
    ${tree.kids.length ? html`<ul class="lineage-tree">${tree.kids.map((k) => html`<${Tree} t=${k} />`)}</ul>` : html`<p class="muted">${empty}</p>`}
    ${load.data.truncated || cut ? html`<p class="muted" role="status">The graph is larger than shown: ask for less depth, or follow a node's ⤷.</p>` : null}
  </section>`;
}

export function LineagePage({ query }) {
  const uri = query.get("uri") || "";
  const depth = query.get("depth") || undefined;
  const [draft, setDraft] = useState(null);
  const graph = (direction) => () => (uri ? get(LIN + "graph", { uri, direction, depth }) : Promise.resolve(null));
  const up = useLoad(graph("upstream"), [uri, depth]);
  const down = useLoad(graph("downstream"), [uri, depth]);
  const root = up.data && (up.data.nodes || []).find((n) => nodeId(n) === up.data.root);
  return html`
    <div class="page wide lineage-page">
      <h1>Lineage</h1>
      <form class="toolbar" onSubmit=${(e) => { e.preventDefault(); if (draft) navigate(lineageHash(draft.trim())); }}>
        <input class="filter" aria-label="URI" placeholder="models:/fraud/3, data:/transactions/7, runs:/ID/outputs/model, a run id"
          value=${draft === null ? uri : draft} onInput=${(e) => setDraft(e.target.value)} />
        <button type="submit" class="primary">Show</button>
      </form>
      ${!uri ? html`<p class="muted" role="status">Name a model version, a dataset version, a run or a step output to see
        what it was made from and what was made from it (<code>ferry lineage URI</code> prints the same).</p>` : null}
      ${root ? html`<p class="lineage-root"><${Node} n=${root} /></p>` : null}
      ${uri ? html`<${Direction} title="Upstream: made from" load=${up} up=${true} empty="Nothing upstream: nothing recorded as its input." />
        <${Direction} title="Downstream: used by" load=${down} up=${false} empty="Nothing downstream yet." />` : null}
    </div>`;
}
