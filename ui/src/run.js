// SPDX-License-Identifier: MIT
// One run: overview (with its parent run), child runs, params, latest
// metrics with charts, tags, the editable note (mlflow.note.content),
// dataset inputs, and the artifact tree with previews (text, JSON, YAML,
// CSV as a table, images; MLmodel with its signature) and downloads.
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";
import { artifactUrl, get, post } from "./api.js";
import { fmtDuration, fmtNum, fmtTime, tagsOf } from "./util.js";
import { ErrorBox, useLoad } from "./widgets.js";
import { RunsMetricChart } from "./chart.js";
import { ExperimentCrumbs } from "./crumbs.js";

const NOTE = "mlflow.note.content";
const PARENT = "mlflow.parentRunId";
const CHILDREN_SHOWN = 100;
const PREVIEW_LIMIT = 512 * 1024;

function Note({ run, onSaved }) {
  const current = tagsOf(run.data.tags)[NOTE] || "";
  const [text, setText] = useState(null);
  const [error, setError] = useState(null);
  if (text === null)
    return html`<section><h2>Note</h2>
      ${current ? html`<p class="note">${current}</p>` : html`<p class="muted">No note.</p>`}
      <button onClick=${() => setText(current)}>${current ? "Edit note" : "Add note"}</button></section>`;
  const save = async (e) => {
    e.preventDefault();
    try {
      await post("runs/set-tag", { run_id: run.info.run_id, key: NOTE, value: text });
      setText(null);
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return html`<section><h2>Note</h2><form onSubmit=${save}>
    <textarea aria-label="Run note" rows="5" value=${text} onInput=${(e) => setText(e.target.value)}></textarea>
    <${ErrorBox} error=${error} />
    <div class="actions"><button type="submit" class="primary">Save</button><button type="button" onClick=${() => setText(null)}>Cancel</button></div>
  </form></section>`;
}

function KV({ title, items, empty }) {
  return html`<section><h2>${title} <span class="count">${items.length}</span></h2>
    ${items.length ? html`<table class="kv"><tbody>${items.map(([k, v]) => html`<tr key=${k}><th scope="row">${k}</th><td>${v}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">${empty}</p>`}</section>`;
}

// CSV -> rows, honouring quotes; enough for a preview.
function parseCsv(text, maxRows = 200) {
  const rows = [];
  let row = [], cell = "", q = false;
  for (let i = 0; i < text.length && rows.length < maxRows; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') q = false; else cell += c;
    } else if (c === '"') q = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n") { row.push(cell.replace(/\r$/, "")); rows.push(row); row = []; cell = ""; }
    else cell += c;
  }
  if ((cell || row.length) && rows.length < maxRows) { row.push(cell); rows.push(row); }
  return rows;
}

function Signature({ text }) {
  const sig = (text.match(/^signature:\n((?:[ \t]+.*\n?)*)/m) || [])[1] || "";
  const inputs = (sig.match(/inputs:\s*'(.*)'/) || [])[1];
  let cols = null;
  try { cols = inputs ? JSON.parse(inputs.replace(/''/g, "'")) : null; } catch { cols = null; }
  return html`${cols ? html`<h3>Signature inputs</h3><table class="grid"><thead><tr><th>Name</th><th>Type</th><th>Required</th></tr></thead>
    <tbody>${cols.map((c, i) => html`<tr key=${i}><td>${c.name || "(unnamed)"}</td><td>${c.type}${c["tensor-spec"] ? " " + JSON.stringify(c["tensor-spec"]) : ""}</td><td>${c.required === false ? "no" : "yes"}</td></tr>`)}</tbody></table>` : null}
    <pre class="preview">${text}</pre>`;
}

function Preview({ run, file }) {
  const [state, setState] = useState({ loading: true });
  const url = artifactUrl(run, file.path);
  const name = file.path.split("/").pop();
  const ext = (name.split(".").pop() || "").toLowerCase();
  const image = ["png", "jpg", "jpeg", "gif", "webp", "bmp"].includes(ext);
  useEffect(() => {
    let live = true, objectUrl = null;
    setState({ loading: true });
    if (Number(file.file_size || 0) > PREVIEW_LIMIT && !image) {
      setState({ tooBig: true });
      return;
    }
    fetch(url).then(async (r) => {
      if (!r.ok) throw { code: "HTTP " + r.status, message: (await r.text()).slice(0, 300) };
      if (image) {
        objectUrl = URL.createObjectURL(await r.blob());
        live && setState({ image: objectUrl });
      } else live && setState({ text: await r.text() });
    }).catch((error) => live && setState({ error }));
    return () => { live = false; objectUrl && URL.revokeObjectURL(objectUrl); };
  }, [file.path]);
  const body = state.loading ? html`<p class="loading">Loading…</p>`
    : state.error ? html`<${ErrorBox} error=${state.error} />`
    : state.tooBig ? html`<p class="muted">Too large to preview (${Number(file.file_size).toLocaleString()} bytes).</p>`
    : state.image ? html`<img class="preview" src=${state.image} alt=${name} />`
    : name === "MLmodel" ? html`<${Signature} text=${state.text} />`
    : ext === "csv" ? html`<div class="scroll"><table class="grid">${parseCsv(state.text).map((r, i) => html`<tr key=${i}>${r.map((c) => i ? html`<td>${c}</td>` : html`<th>${c}</th>`)}</tr>`)}</table></div>`
    : ext === "json" ? html`<pre class="preview">${(() => { try { return JSON.stringify(JSON.parse(state.text), null, 2); } catch { return state.text; } })()}</pre>`
    : html`<pre class="preview">${state.text}</pre>`;
  return html`<div class="artifact-preview" aria-live="polite">
    <div class="toolbar"><strong>${file.path}</strong><a class="button" href=${url} download=${name}>Download</a></div>
    ${body}</div>`;
}

function ArtifactTree({ run, path = "", depth = 0, onPick, picked }) {
  const { data, error } = useLoad(() => get("artifacts/list", { run_id: run.info.run_id, path: path || undefined }), [run.info.run_id, path]);
  const [open, setOpen] = useState(new Set());
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!data) return html`<p class="loading">Loading…</p>`;
  const files = (data.files || []).slice().sort((a, b) => (b.is_dir - a.is_dir) || a.path.localeCompare(b.path));
  if (!files.length && !depth) return html`<p class="muted">No artifacts.</p>`;
  return html`<ul class="tree" role=${depth ? "group" : "tree"}>${files.map((f) => {
    const name = f.path.split("/").pop();
    if (f.is_dir) {
      const isOpen = open.has(f.path);
      const flip = () => { const s = new Set(open); isOpen ? s.delete(f.path) : s.add(f.path); setOpen(s); };
      return html`<li key=${f.path} role="treeitem" aria-expanded=${isOpen}>
        <button class="link" onClick=${flip}>${isOpen ? "▾" : "▸"} ${name}/</button>
        ${isOpen ? html`<${ArtifactTree} run=${run} path=${f.path} depth=${depth + 1} onPick=${onPick} picked=${picked} />` : null}</li>`;
    }
    return html`<li key=${f.path} role="treeitem" aria-selected=${picked === f.path}>
      <button class=${"link" + (picked === f.path ? " current" : "")} onClick=${() => onPick(f)}>${name}</button>
      <span class="muted">${f.file_size !== undefined ? Number(f.file_size).toLocaleString() + " B" : ""}</span></li>`;
  })}</ul>`;
}

const runLink = (r) => html`<a href=${`#/experiments/${r.info.experiment_id}/runs/${r.info.run_id}`}>${r.info.run_name || r.info.run_id}</a>`;

// The parent run (by its mlflow.parentRunId tag), linked with its name.
function ParentRun({ id }) {
  const { data, error } = useLoad(() => get("runs/get", { run_id: id }).then((r) => r.run), [id]);
  return html`<div><dt>Parent run</dt><dd>${data ? runLink(data) : html`<code>${id}</code>${error ? html` <span class="muted">(${error.code})</span>` : null}`}</dd></div>`;
}

// The runs whose mlflow.parentRunId is this one, in its experiment.
function ChildRuns({ run }) {
  const { data, error } = useLoad(() => post("runs/search", {
    experiment_ids: [run.info.experiment_id], filter: `tags.${PARENT} = '${run.info.run_id}'`,
    max_results: CHILDREN_SHOWN, order_by: ["attributes.start_time ASC"],
  }), [run.info.run_id]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  const kids = (data && data.runs) || [];
  if (!kids.length) return null;
  return html`<section class="child-runs"><h2>Child runs <span class="count">${kids.length}${data.next_page_token ? "+" : ""}</span></h2>
    <ul class="run-links">${kids.map((k) => html`<li key=${k.info.run_id}>${runLink(k)}
      <span class=${"status " + (k.info.status || "").toLowerCase()}>${k.info.status}</span></li>`)}</ul>
    ${data.next_page_token ? html`<p class="muted">The first ${CHILDREN_SHOWN}; <a href=${`#/experiments/${run.info.experiment_id}?filter=${encodeURIComponent(`tags.${PARENT} = '${run.info.run_id}'`)}`}>all in the runs table</a>.</p>` : null}
  </section>`;
}

export function RunPage({ experimentId, runId }) {
  const { data, error, reload } = useLoad(() => get("runs/get", { run_id: runId }).then((r) => r.run), [runId]);
  const [file, setFile] = useState(null);
  const [charted, setCharted] = useState(null);
  if (error) return html`<div class="page"><${ExperimentCrumbs} ids=${[experimentId]} /><${ErrorBox} error=${error} /></div>`;
  if (!data) return html`<div class="page"><p class="loading">Loading run…</p></div>`;
  const i = data.info, tags = tagsOf(data.data.tags);
  const metrics = (data.data.metrics || []).slice().sort((a, b) => a.key.localeCompare(b.key));
  const params = (data.data.params || []).slice().sort((a, b) => a.key.localeCompare(b.key));
  const shownTags = Object.entries(tags).filter(([k]) => k !== NOTE).sort();
  const inputs = (data.inputs && data.inputs.dataset_inputs) || [];
  const chartKey = charted || (metrics[0] && metrics[0].key);
  return html`
    <div class="page">
      <${ExperimentCrumbs} ids=${[i.experiment_id]} last=${i.run_name || i.run_id} />
      <h1>${i.run_name || i.run_id}</h1>
      <dl class="facts">
        <div><dt>Run ID</dt><dd><code>${i.run_id}</code></dd></div>
        <div><dt>Status</dt><dd><span class=${"status " + (i.status || "").toLowerCase()}>${i.status}</span></dd></div>
        <div><dt>Started</dt><dd>${fmtTime(i.start_time)}</dd></div>
        <div><dt>Duration</dt><dd>${fmtDuration(i.start_time, i.end_time)}</dd></div>
        <div><dt>User</dt><dd>${i.user_id}</dd></div>
        <div><dt>Source</dt><dd>${tags["mlflow.source.name"] || ""}</dd></div>
        ${tags[PARENT] ? html`<${ParentRun} key=${tags[PARENT]} id=${tags[PARENT]} />` : null}
        <div><dt>Artifacts</dt><dd><code>${i.artifact_uri}</code></dd></div>
      </dl>
      <${ChildRuns} key=${i.run_id} run=${data} />
      <${Note} run=${data} onSaved=${reload} />
      <div class="cols">
        <${KV} title="Parameters" items=${params.map((p) => [p.key, p.value])} empty="No parameters." />
        <section><h2>Metrics <span class="count">${metrics.length}</span></h2>
          ${metrics.length ? html`<table class="kv"><tbody>${metrics.map((m) => html`<tr key=${m.key}>
            <th scope="row"><button class=${"link" + (m.key === chartKey ? " current" : "")} onClick=${() => setCharted(m.key)}>${m.key}</button></th>
            <td class="num">${fmtNum(m.value)}</td><td class="muted">step ${m.step}</td></tr>`)}</tbody></table>` : html`<p class="muted">No metrics.</p>`}
        </section>
      </div>
      ${chartKey ? html`<section><h2>Chart</h2><${RunsMetricChart} runs=${[data]} metricKey=${chartKey} /></section>` : null}
      ${inputs.length ? html`<section><h2>Datasets</h2><table class="grid"><thead><tr><th>Name</th><th>Digest</th><th>Source</th><th>Context</th></tr></thead><tbody>
        ${inputs.map((d, k) => html`<tr key=${k}><td>${d.dataset.name}</td><td><code>${d.dataset.digest}</code></td><td>${d.dataset.source_type} ${d.dataset.source}</td>
          <td>${(d.tags || []).map((t) => t.value).join(", ")}</td></tr>`)}</tbody></table></section>` : null}
      <${KV} title="Tags" items=${shownTags} empty="No tags." />
      <section><h2>Artifacts</h2>
        <div class="artifacts">
          <${ArtifactTree} run=${data} onPick=${setFile} picked=${file && file.path} />
          ${file ? html`<${Preview} run=${data} file=${file} />` : html`<p class="muted">Choose a file to preview it.</p>`}
        </div>
      </section>
    </div>`;
}
