// SPDX-License-Identifier: MIT
// Breadcrumbs with names rather than ids. Experiments are fetched with
// experiments/get once per page load and kept in memory (names change
// rarely; see CHANGED below).
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";
import { post } from "./api.js";

const cache = new Map(); // experiment id -> Promise of { experiment_id, name }
// Fired (on window) by the pages that create, rename, delete or restore
// experiments: the cache is dropped and the sidebar reloads its list.
export const CHANGED = "ferry:experiments-changed";
addEventListener(CHANGED, () => cache.clear());

// Never rejects: an experiment that cannot be read (deleted for good, no
// permission) is named by its id, so a crumb never breaks a page.
export function getExperiment(id) {
  id = String(id);
  if (!cache.has(id))
    cache.set(id, post("experiments/get", { experiment_id: id }).then(
      (r) => r.experiment, () => {
        cache.delete(id); // a failed lookup (a network blip) is asked again next time
        return { experiment_id: id, name: "#" + id, missing: true };
      }));
  return cache.get(id);
}

export function rememberExperiment(x) {
  if (x && x.experiment_id) cache.set(String(x.experiment_id), Promise.resolve(x));
}

// The experiments named by ids (null until all are known).
export function useExperiments(ids) {
  const key = ids.join(",");
  const [got, setGot] = useState(null);
  useEffect(() => {
    let live = true;
    setGot(null);
    Promise.all(ids.map(getExperiment)).then((xs) => live && setGot(xs));
    return () => { live = false; };
  }, [key]);
  return got;
}

// "Experiments / <name>[, <name>…] [/ <last>]": each experiment links to its
// runs; last (e.g. the run's name) is the current page, not a link. While
// names load, the ids stand in.
export function ExperimentCrumbs({ ids, last }) {
  const xs = useExperiments(ids) || ids.map((id) => ({ experiment_id: id, name: "#" + id }));
  return html`<nav class="crumbs" aria-label="Breadcrumbs"><a href="#/">Experiments</a>${xs.length ? " / " : ""}${xs.map((x, i) => html`${i ? ", " : ""}<a
    href=${"#/experiments/" + x.experiment_id}>${x.name}</a>`)}${last ? html` / <span aria-current="page">${last}</span>` : " /"}</nav>`;
}
