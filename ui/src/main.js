// SPDX-License-Identifier: MIT
// ferry's web UI: a single-page app over the REST API, routed by the URL's
// fragment so that every page has a deep link (#/experiments/1/runs/<id>,
// the same shape as MLflow's UI).
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";
import { parseHash } from "./util.js";
import { ExperimentsPage } from "./experiments.js";
import { RunsPage } from "./runs.js";
import { RunPage } from "./run.js";
import { ComparePage } from "./compare.js";
import { ChartsPage } from "./charts.js";
import { ModelsPage, ModelPage } from "./registry.js";
import { DeploymentsPage, DeploymentPage } from "./deployments.js";
import { MonitoringPage } from "./monitoring.js";
import { LoopPage } from "./loop.js";
import { DatasetsPage, DatasetPage, DatasetVersionPage, DatasetDiffPage } from "./datasets.js";
import { AdminPage, USERS_LIST } from "./admin.js";
import { PipelinesPage, PipelineRunPage } from "./pipelines.js";
import { LineagePage } from "./lineage.js";
import { get } from "./api.js";
import { Sidebar } from "./sidebar.js";
import { ThemePicker } from "./theme.js";
import "./style.css";

function route(r) {
  const [a, b, c, d] = r.parts;
  if (!a || a === "experiments" && !b) return html`<${ExperimentsPage} query=${r.query} />`;
  if (a === "experiments" && b && c === "runs" && d) return html`<${RunPage} experimentId=${b} runId=${d} />`;
  if (a === "experiments" && b && c === "charts") return html`<${ChartsPage} experimentIds=${b.split(",")} query=${r.query} />`;
  if (a === "experiments" && b) return html`<${RunsPage} experimentIds=${b.split(",")} query=${r.query} />`;
  if (a === "compare-runs") return html`<${ComparePage} runIds=${(r.query.get("runs") || "").split(",").filter(Boolean)} />`;
  if (a === "models" && b) return html`<${ModelPage} name=${b} />`;
  if (a === "models") return html`<${ModelsPage} query=${r.query} />`;
  if (a === "deployments" && b && c === "loop") return html`<${LoopPage} name=${b} />`;
  if (a === "deployments" && b && c === "monitoring") return html`<${MonitoringPage} name=${b} query=${r.query} />`;
  if (a === "deployments" && b) return html`<${DeploymentPage} name=${b} />`;
  if (a === "deployments") return html`<${DeploymentsPage} />`;
  if (a === "datasets" && b && c === "versions" && d) return html`<${DatasetVersionPage} name=${b} version=${d} />`;
  if (a === "datasets" && b && c === "diff") return html`<${DatasetDiffPage} name=${b} query=${r.query} />`;
  if (a === "datasets" && b) return html`<${DatasetPage} name=${b} />`;
  if (a === "datasets") return html`<${DatasetsPage} />`;
  if (a === "pipelines" && b) return html`<${PipelineRunPage} runId=${b} />`;
  if (a === "pipelines") return html`<${PipelinesPage} />`;
  if (a === "lineage") return html`<${LineagePage} query=${r.query} />`;
  if (a === "admin") return html`<${AdminPage} query=${r.query} />`;
  return html`<div class="page"><h1>Not found</h1><p>No page at <code>${location.hash}</code>. <a href="#/">Experiments</a></p></div>`;
}

function App() {
  const [r, setR] = useState(parseHash(location.hash));
  useEffect(() => {
    const on = () => setR(parseHash(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  // The Admin link only for admins: users/list answers 200 to them alone
  // (403 to other users, 404 when the server runs without auth).
  const [admin, setAdmin] = useState(false);
  useEffect(() => { get(USERS_LIST).then(() => setAdmin(true), () => {}); }, []);
  // the lineage view belongs with the pipelines (their steps fill the graph)
  const first = r.parts[0] === "lineage" ? "pipelines" : r.parts[0];
  const section = ["models", "datasets", "pipelines", "deployments", "admin"].includes(first) ? first : "experiments";
  return html`
    <header class="top">
      <a class="brand" href="#/">ferry</a>
      <nav aria-label="Sections">
        <a href="#/" aria-current=${section === "experiments" ? "page" : null}>Experiments</a>
        <a href="#/models" aria-current=${section === "models" ? "page" : null}>Models</a>
        <a href="#/datasets" aria-current=${section === "datasets" ? "page" : null}>Datasets</a>
        <a href="#/pipelines" aria-current=${section === "pipelines" ? "page" : null}>Pipelines</a>
        <a href="#/deployments" aria-current=${section === "deployments" ? "page" : null}>Deployments</a>
        ${admin ? html`<a href="#/admin" aria-current=${section === "admin" ? "page" : null}>Admin</a>` : null}
      </nav>
      <${ThemePicker} />
    </header>
    ${section === "experiments" ? html`<div class="with-sidebar">
      <${Sidebar} current=${r.parts[0] === "experiments" && r.parts[1] ? r.parts[1].split(",") : []} />
      <main id="main">${route(r)}</main></div>` : html`<main id="main">${route(r)}</main>`}`;
}

const root = document.getElementById("app");
root.textContent = ""; // the "Loading" placeholder
render(html`<${App} />`, root);
