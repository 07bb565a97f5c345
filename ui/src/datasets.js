// SPDX-License-Identifier: MIT
// Versioned datasets (issue 19):
//   #/datasets                          the datasets (name, versions, latest,
//                                       size, updated, aliases)
//   #/datasets/<name>                   its versions (message, author, size,
//                                       files, created, aliases, tags) and a
//                                       picker of two versions to compare
//   #/datasets/<name>/versions/<v>      one version: its files, the profile of
//                                       each CSV file (a histogram or the top
//                                       categories per column, inline SVG) and
//                                       the runs that used it
//   #/datasets/<name>/diff?from=&to=    files added, removed, changed; for CSV
//                                       files profiled on both sides, rows and
//                                       columns
// Read-only: versions are made by `ferry data add` and its REST rows
// (src/api/datasets_ops.h gives the shapes; the profile's is
// src/domain/data_profile.h).
import { useState } from "preact/hooks";
import { html } from "./html.js";
import { get } from "./api.js";
import { fmtNum, fmtTime, hashWith, navigate } from "./util.js";
import { ErrorBox, useLoad } from "./widgets.js";
import { lineageHash } from "./lineage.js";

const DS = "api/2.0/ferry/datasets/";
const FILES_SHOWN = 500;
const BAR = "#1f77b4";

const enc = encodeURIComponent;
const dsHash = (name) => "#/datasets/" + enc(name);
const versionHash = (name, v) => dsHash(name) + "/versions/" + enc(v);

// Bytes as people read them (binary units, as the CLI prints them).
export function fmtBytes(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0, v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i ? `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}` : `${n} B`;
}

// A profile statistic: a number, null (not defined) or "Infinity"/"-Infinity".
const stat = (v) => (v === null || v === undefined ? "–" : v === "Infinity" ? "∞" : v === "-Infinity" ? "−∞" : fmtNum(v));

const Pills = ({ items }) => items.map((t) => html`<span class="pill">${t}</span>`);

// ---------------------------------------------------------------- list

export function DatasetsPage() {
  const [pages, setPages] = useState([undefined]); // page tokens asked for
  const list = useLoad(async () => {
    const out = [];
    let next = null;
    for (const token of pages) {
      const r = await get(DS + "list", { max_results: 100, page_token: token });
      out.push(...(r.datasets || []));
      next = r.next_page_token || null;
    }
    return { datasets: out, next };
  }, [pages.length]);
  const d = list.data;
  return html`
    <div class="page datasets">
      <h1>Datasets</h1>
      <${ErrorBox} error=${list.error} />
      ${list.loading && !d ? html`<p class="loading">Loading datasets…</p>` : null}
      ${d && !d.datasets.length ? html`<div class="empty note" role="status">
        <p>No dataset yet. A dataset is a series of versions of a file or a directory, kept once whatever the
        number of versions that hold the same bytes. Add the first version with${" "}
        <code>ferry data add NAME PATH -m "what it is"</code>; CSV files are profiled on the way.</p></div>` : null}
      ${d && d.datasets.length ? html`<table class="grid"><thead><tr><th>Name</th><th>Versions</th><th>Latest</th>
        <th>Size</th><th>Updated</th><th>Aliases</th></tr></thead><tbody>
        ${d.datasets.map((x) => html`<tr key=${x.name}>
          <td><a href=${dsHash(x.name)}>${x.name}</a></td>
          <td class="num">${x.version_count}</td>
          <td>${x.latest_version ? html`<a href=${versionHash(x.name, x.latest_version)}>v${x.latest_version}</a>` : "–"}</td>
          <td class="num" title="the versions' files added up, before deduplication">${fmtBytes(x.total_size_bytes)}</td>
          <td>${fmtTime(x.updated_ms)}</td>
          <td><${Pills} items=${(x.aliases || []).map((a) => `@${a.alias} → v${a.version}`)} /></td></tr>`)}
      </tbody></table>` : null}
      ${d && d.next ? html`<div class="pager"><button onClick=${() => setPages([...pages, d.next])}>More datasets</button></div>` : null}
    </div>`;
}

// ---------------------------------------------------------------- one dataset

export function DatasetPage({ name }) {
  const ds = useLoad(() => get(DS + "get", { name }).then((r) => r.dataset), [name]);
  const versions = useLoad(async () => {
    const out = [];
    let token;
    do { // every version: a dataset has hundreds at most, and the diff picker needs them
      const r = await get(DS + "versions", { name, max_results: 1000, page_token: token });
      out.push(...(r.dataset_versions || []));
      token = r.next_page_token;
    } while (token && out.length < 10000);
    return out;
  }, [name]);
  const [pick, setPick] = useState({ from: "", to: "" });
  if (ds.error) return html`<div class="page"><p class="crumbs"><a href="#/datasets">Datasets</a> /</p><${ErrorBox} error=${ds.error} /></div>`;
  if (!ds.data) return html`<div class="page"><p class="loading">Loading dataset…</p></div>`;
  const x = ds.data, vs = versions.data || [];
  const from = pick.from || (vs[1] ? String(vs[1].version) : ""), to = pick.to || (vs[0] ? String(vs[0].version) : "");
  return html`
    <div class="page wide">
      <p class="crumbs"><a href="#/datasets">Datasets</a> /</p>
      <h1>${x.name}</h1>
      <dl class="facts">
        <div><dt>Versions</dt><dd>${x.version_count}${x.last_version > x.latest_version ? ` (numbers up to ${x.last_version} issued)` : ""}</dd></div>
        <div><dt>Latest</dt><dd>${x.latest_version ? html`<a href=${versionHash(name, x.latest_version)}>v${x.latest_version}</a>` : "–"}</dd></div>
        <div><dt>Size</dt><dd>${fmtBytes(x.total_size_bytes)} <span class="muted">(before deduplication)</span></dd></div>
        <div><dt>Created</dt><dd>${fmtTime(x.created_ms)}</dd></div>
        <div><dt>Updated</dt><dd>${fmtTime(x.updated_ms)}</dd></div>
        <div><dt>Aliases</dt><dd><${Pills} items=${(x.aliases || []).map((a) => `@${a.alias} → v${a.version}`)} />${(x.aliases || []).length ? "" : "none"}</dd></div>
      </dl>
      <${ErrorBox} error=${versions.error} />
      ${vs.length > 1 ? html`<form class="toolbar" aria-label="Compare versions" onSubmit=${(e) => {
          e.preventDefault();
          navigate(hashWith(["datasets", name, "diff"], new URLSearchParams({ from, to })));
        }}>
        <span>Compare</span>
        <select aria-label="From version" value=${from} onChange=${(e) => setPick({ from: e.target.value, to })}>
          ${vs.map((v) => html`<option value=${v.version}>v${v.version}</option>`)}</select>
        <span>with</span>
        <select aria-label="To version" value=${to} onChange=${(e) => setPick({ from, to: e.target.value })}>
          ${vs.map((v) => html`<option value=${v.version}>v${v.version}</option>`)}</select>
        <button type="submit" class="primary" disabled=${from === to}>Compare</button>
      </form>` : null}
      <section><h2>Versions</h2>
        ${versions.loading && !versions.data ? html`<p class="loading">Loading versions…</p>` : null}
        <div class="scroll"><table class="grid versions"><thead><tr><th>Version</th><th>Message</th><th>Author</th><th>Size</th>
          <th>Files</th><th>Created</th><th>Aliases</th><th>Tags</th></tr></thead><tbody>
          ${vs.map((v) => html`<tr key=${v.version}>
            <td><a href=${versionHash(name, v.version)}>v${v.version}</a></td>
            <td class="reason">${v.message}</td>
            <td>${v.author}</td>
            <td class="num">${fmtBytes(v.size_bytes)}</td>
            <td class="num">${v.file_count}</td>
            <td>${fmtTime(v.created_ms)}</td>
            <td><${Pills} items=${(v.aliases || []).map((a) => "@" + a)} /></td>
            <td><${Pills} items=${(v.tags || []).map((t) => `${t.key}=${t.value}`)} /></td></tr>`)}
        </tbody></table></div>
      </section>
    </div>`;
}

// ---------------------------------------------------------------- one version

export function DatasetVersionPage({ name, version }) {
  const ver = useLoad(() => get(DS + "versions/get", { name, version, with_manifest: true }).then((r) => r.dataset_version), [name, version]);
  const prof = useLoad(() => get(DS + "profile", { name, version }).then((r) => r.profile || {}), [name, version]);
  const runs = useLoad(() => get(DS + "runs", { name, version }).then((r) => r.runs || []), [name, version]);
  const crumbs = html`<p class="crumbs"><a href="#/datasets">Datasets</a> / <a href=${dsHash(name)}>${name}</a> /</p>`;
  if (ver.error) return html`<div class="page">${crumbs}<${ErrorBox} error=${ver.error} /></div>`;
  if (!ver.data) return html`<div class="page"><p class="loading">Loading version…</p></div>`;
  const v = ver.data;
  return html`
    <div class="page wide dataset-version">
      ${crumbs}
      <h1>${name} <span class="count">v${v.version}</span></h1>
      ${v.message ? html`<p>${v.message}</p>` : null}
      <dl class="facts">
        <div><dt>URI</dt><dd><code>data:/${name}/${v.version}</code> <a href=${lineageHash(`data:/${name}/${v.version}`)}>lineage</a></dd></div>
        <div><dt>Digest</dt><dd><code title="SHA-256 of the canonical manifest: it names the content">${v.digest}</code></dd></div>
        <div><dt>Author</dt><dd>${v.author || "–"}</dd></div>
        <div><dt>Created</dt><dd>${fmtTime(v.created_ms)}</dd></div>
        <div><dt>Size</dt><dd>${fmtBytes(v.size_bytes)} in ${v.file_count} file${v.file_count === 1 ? "" : "s"}</dd></div>
        <div><dt>Aliases</dt><dd><${Pills} items=${(v.aliases || []).map((a) => "@" + a)} />${(v.aliases || []).length ? "" : "none"}</dd></div>
        <div><dt>Tags</dt><dd><${Pills} items=${(v.tags || []).map((t) => `${t.key}=${t.value}`)} />${(v.tags || []).length ? "" : "none"}</dd></div>
        ${v.version > 1 ? html`<div><dt>Changes</dt><dd><a href=${hashWith(["datasets", name, "diff"], new URLSearchParams({ from: String(v.version - 1), to: String(v.version) }))}>
          since v${v.version - 1}</a></dd></div>` : null}
      </dl>
      <${Files} manifest=${v.manifest} />
      <section><h2>Profile</h2>
        <${ErrorBox} error=${prof.error} />
        ${prof.loading && !prof.data ? html`<p class="loading">Loading profile…</p>` : null}
        ${prof.data ? html`<${Profile} profile=${prof.data} hasCsv=${((v.manifest || {}).files || []).some((f) => /\.csv$/i.test(f.path))} />` : null}
      </section>
      <section><h2>Runs that used it</h2>
        <${ErrorBox} error=${runs.error} />
        ${runs.data && !runs.data.length ? html`<p class="muted" role="status">No run records this version as an input yet
          (<code>ferry data log data:/${name}/${v.version} --run-id ID</code>, or a <code>data:</code> path parameter of <code>ferry run</code>).</p>` : null}
        ${runs.data && runs.data.length ? html`<table class="grid runs"><thead><tr><th>Run</th><th>Status</th><th>Started</th><th>Context</th></tr></thead><tbody>
          ${runs.data.map((r) => html`<tr key=${r.run_id + r.context}>
            <td><a href=${`#/experiments/${enc(r.experiment_id)}/runs/${enc(r.run_id)}`}>${r.run_name || r.run_id}</a></td>
            <td><span class=${"status " + String(r.status || "").toLowerCase()}>${r.status}</span></td>
            <td>${fmtTime(r.start_time)}</td><td>${r.context}</td></tr>`)}
        </tbody></table>` : null}
      </section>
    </div>`;
}

function Files({ manifest }) {
  const [all, setAll] = useState(false);
  if (!manifest) return null;
  const rows = [
    ...(manifest.files || []).map((f) => ({ path: f.path, kind: "file", size: f.size, mode: f.mode, chunks: (f.chunks || []).length })),
    ...(manifest.dirs || []).map((d) => ({ path: d, kind: "empty dir" })),
    ...(manifest.links || []).map((l) => ({ path: l.path, kind: "link", target: l.target })),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const shown = all ? rows : rows.slice(0, FILES_SHOWN);
  return html`<section><h2>Files <span class="count">${rows.length}</span></h2>
    <div class="scroll"><table class="grid files"><thead><tr><th>Path</th><th>Size</th><th>Mode</th><th></th></tr></thead><tbody>
      ${shown.map((f) => html`<tr key=${f.path}>
        <td>${f.path}</td>
        <td class="num">${f.kind === "file" ? fmtBytes(f.size) : ""}</td>
        <td>${f.mode || ""}</td>
        <td class="muted">${f.kind === "link" ? "→ " + f.target : f.kind === "empty dir" ? "empty directory" : f.chunks ? `${f.chunks} chunks` : ""}</td></tr>`)}
    </tbody></table></div>
    ${rows.length > shown.length ? html`<p><button class="link" onClick=${() => setAll(true)}>Show all ${rows.length} entries</button></p>` : null}
  </section>`;
}

// ---------------------------------------------------------------- profile

// hasCsv: whether the version holds a CSV file at all (from its manifest).
function Profile({ profile, hasCsv }) {
  const files = Object.entries(profile.files || {});
  const skipped = profile.skipped || [];
  if (!profile.format) return html`<p class="muted" role="status">${hasCsv
    ? "This version has no profile (added with --no-profile, or by a client that does not profile)."
    : "No CSV file in this version."}</p>`;
  return html`
    ${!files.length && !skipped.length ? html`<p class="muted" role="status">No CSV file in this version.</p>` : null}
    ${files.map(([path, f]) => html`<${FileProfile} key=${path} path=${path} f=${f} />`)}
    ${skipped.length ? html`<section class="skipped"><h3>Not profiled</h3><ul>
      ${skipped.map((s) => html`<li><code>${s.path}</code>: ${s.reason}</li>`)}</ul></section>` : null}`;
}

function FileProfile({ path, f }) {
  const cols = f.columns || [];
  return html`<section class="file-profile" aria-label=${"Profile of " + path}>
    <h3>${path} <span class="count">${f.rows} rows · ${f.columns_total || cols.length} columns${f.columns_total ? ` (${cols.length} profiled)` : ""}</span></h3>
    <div class="scroll"><table class="grid profile"><thead><tr><th>Column</th><th>Type</th><th>Nulls</th><th>Distinct</th>
      <th>Min</th><th>Median</th><th>Max</th><th>Mean</th><th>Std</th><th>Distribution</th></tr></thead><tbody>
      ${cols.map((c) => html`<tr key=${c.name}>
        <td>${c.name}</td><td>${c.type}</td>
        <td class="num">${c.nulls}${f.rows && c.nulls ? html` <span class="muted">(${fmtNum(Number((100 * c.nulls / f.rows).toPrecision(3)))}%)</span>` : null}</td>
        <td class="num">${c.distinct}</td>
        <td class="num">${stat(c.min)}</td><td class="num">${stat(c.quantiles ? c.quantiles["0.5"] : undefined)}</td>
        <td class="num">${stat(c.max)}</td><td class="num">${stat(c.mean)}</td><td class="num">${stat(c.std)}</td>
        <td>${c.histogram ? html`<${Histogram} h=${c.histogram} name=${c.name} />` : c.top ? html`<${TopBars} top=${c.top} name=${c.name} rows=${f.rows} />` : null}</td></tr>`)}
    </tbody></table></div></section>`;
}

// A histogram as inline SVG: 10 bars, the range under them, each bar's
// count and bin in its tooltip.
export function Histogram({ h, name }) {
  const W = 180, H = 44, counts = h.counts || [], edges = h.edges || [];
  const max = Math.max(1, ...counts), bw = W / Math.max(1, counts.length);
  return html`<svg class="histogram" width=${W} height=${H + 12} viewBox=${`0 0 ${W} ${H + 12}`} role="img"
    aria-label=${`Histogram of ${name}: ${counts.join(", ")}`}>
    ${counts.map((c, i) => {
      const bh = c ? Math.max(1, (H * c) / max) : 0;
      return html`<rect x=${i * bw + 0.5} y=${H - bh} width=${bw - 1} height=${bh} fill=${BAR}>
        <title>${`[${fmtNum(edges[i])}, ${fmtNum(edges[i + 1])}${i === counts.length - 1 ? "]" : ")"}: ${c}`}</title></rect>`;
    })}
    <line x1="0" x2=${W} y1=${H + 0.5} y2=${H + 0.5} stroke="#8a94a6" />
    <text x="0" y=${H + 11} font-size="9" fill="#5b6577">${fmtNum(edges[0])}</text>
    <text x=${W} y=${H + 11} font-size="9" fill="#5b6577" text-anchor="end">${fmtNum(edges[edges.length - 1])}</text>
  </svg>`;
}

// The top categories as horizontal bars (count and share in the tooltip).
export function TopBars({ top, name, rows }) {
  const W = 180, row = 12, max = Math.max(1, ...top.map((t) => t.count)), label = 70;
  return html`<svg class="topbars" width=${W} height=${top.length * row + 2} viewBox=${`0 0 ${W} ${top.length * row + 2}`} role="img"
    aria-label=${`Top values of ${name}: ${top.map((t) => `${t.value} ${t.count}`).join(", ")}`}>
    ${top.map((t, i) => html`<g>
      <title>${`${t.value}: ${t.count}${rows ? ` (${fmtNum(Number((100 * t.count / rows).toPrecision(3)))}%)` : ""}`}</title>
      <text x=${label - 3} y=${i * row + 10} font-size="9" text-anchor="end" fill="#1b2430">${t.value.length > 12 ? t.value.slice(0, 11) + "…" : t.value}</text>
      <rect x=${label} y=${i * row + 2} width=${Math.max(1, ((W - label - 28) * t.count) / max)} height=${row - 3} fill=${BAR} />
      <text x=${label + Math.max(1, ((W - label - 28) * t.count) / max) + 2} y=${i * row + 10} font-size="9" fill="#5b6577">${t.count}</text></g>`)}
  </svg>`;
}

// ---------------------------------------------------------------- diff

export function DatasetDiffPage({ name, query }) {
  const from = query.get("from") || "", to = query.get("to") || "";
  const diff = useLoad(() => (from && to ? get(DS + "diff", { name, from, to }).then((r) => r.diff) : Promise.resolve(null)), [name, from, to]);
  const crumbs = html`<p class="crumbs"><a href="#/datasets">Datasets</a> / <a href=${dsHash(name)}>${name}</a> /</p>`;
  if (!from || !to) return html`<div class="page">${crumbs}<p class="error">Pick two versions to compare on <a href=${dsHash(name)}>${name}</a>'s page.</p></div>`;
  const d = diff.data;
  const size = (a, b) => (a === b ? fmtBytes(a) : fmtBytes(a) === fmtBytes(b)
    ? `${fmtBytes(b)} (${b > a ? "+" : ""}${b - a} B)` : `${fmtBytes(a)} → ${fmtBytes(b)}`);
  return html`
    <div class="page wide dataset-diff">
      ${crumbs}
      <h1>${name}: <a href=${versionHash(name, from)}>v${from}</a> → <a href=${versionHash(name, to)}>v${to}</a></h1>
      <${ErrorBox} error=${diff.error} />
      ${diff.loading && !d ? html`<p class="loading">Comparing…</p>` : null}
      ${d ? html`
        <p class="summary" role="status">${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged
          ${d.digest_from === d.digest_to ? html` · <strong>the same content</strong>` : null}</p>
        ${d.added.length ? html`<section><h2>Added</h2><table class="grid added"><thead><tr><th>Path</th><th>Kind</th><th>Size</th></tr></thead><tbody>
          ${d.added.map((e) => html`<tr key=${e.path}><td>${e.path}</td><td>${e.kind}</td><td class="num">${e.kind === "file" ? fmtBytes(e.size) : ""}</td></tr>`)}</tbody></table></section>` : null}
        ${d.removed.length ? html`<section><h2>Removed</h2><table class="grid removed"><thead><tr><th>Path</th><th>Kind</th><th>Size</th></tr></thead><tbody>
          ${d.removed.map((e) => html`<tr key=${e.path}><td>${e.path}</td><td>${e.kind}</td><td class="num">${e.kind === "file" ? fmtBytes(e.size) : ""}</td></tr>`)}</tbody></table></section>` : null}
        ${d.changed.length ? html`<section><h2>Changed</h2><table class="grid changed"><thead><tr><th>Path</th><th>Kind</th><th>Size</th><th>Mode</th></tr></thead><tbody>
          ${d.changed.map((e) => html`<tr key=${e.path}><td>${e.path}</td>
            <td>${e.kind_before === e.kind_after ? e.kind_after : `${e.kind_before} → ${e.kind_after}`}</td>
            <td class="num">${size(e.size_before, e.size_after)}</td>
            <td>${e.mode_before && e.mode_before !== e.mode_after ? `${e.mode_before} → ${e.mode_after}` : ""}</td></tr>`)}</tbody></table></section>` : null}
        ${(d.csv || []).length ? html`<section><h2>CSV files</h2><table class="grid csv"><thead><tr><th>Path</th><th>Rows</th>
          <th>Columns added</th><th>Columns removed</th><th>Columns retyped</th></tr></thead><tbody>
          ${d.csv.map((c) => html`<tr key=${c.path}><td>${c.path}</td>
            <td class="num">${c.rows_before === c.rows_after ? stat(c.rows_after) : html`${stat(c.rows_before)} → ${stat(c.rows_after)}${" "}<span class="muted">(${c.rows_after - c.rows_before > 0 ? "+" : ""}${c.rows_after - c.rows_before})</span>`}</td>
            <td><${Pills} items=${c.columns_added || []} /></td>
            <td><${Pills} items=${c.columns_removed || []} /></td>
            <td><${Pills} items=${(c.columns_retyped || []).map((r) => `${r.name}: ${r.from} → ${r.to}`)} /></td></tr>`)}</tbody></table>
          <p class="muted">Rows added and removed, row by row: <code>ferry data diff ${name} ${from} ${to} --rows</code>.</p></section>` : null}` : null}
    </div>`;
}
