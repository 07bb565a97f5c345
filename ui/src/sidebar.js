// SPDX-License-Identifier: MIT
// The experiments sidebar of the experiment pages: find an experiment by
// name (experiments/search on the server, so it scales to many), pin some
// (remembered in localStorage, listed first), the current one highlighted.
// It collapses to a button; on narrow screens it starts collapsed.
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";
import { post } from "./api.js";
import { CHANGED, getExperiment, rememberExperiment } from "./crumbs.js";
import { ErrorBox, useLoad } from "./widgets.js";
import { loadStored, saveStored } from "./util.js";

const PINS = "ferry.pinnedExperiments";
const OPEN = "ferry.sidebar";
const SHOWN = 100;

const NARROW = matchMedia("(max-width: 700px)"); // style.css's narrow-screen width

// the same quoting as the experiments page's search
// The search grammar's strings take backslash escapes: a backslash and a
// quote are escaped (else `\'` ends the string early and the server refuses
// the filter). % and _ stay LIKE's wildcards: the grammar has no ESCAPE.
const likeFilter = (q) => (q ? `name LIKE '%${q.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}%'` : undefined);

function Item({ x, current, pinned, onPin }) {
  const here = current.includes(String(x.experiment_id));
  return html`<li class=${here ? "current" : ""}>
    <a href=${"#/experiments/" + x.experiment_id} aria-current=${here ? "page" : null} title=${x.name}>${x.name}</a>
    <button class=${"pin" + (pinned ? " on" : "")} aria-pressed=${pinned} aria-label=${(pinned ? "Unpin " : "Pin ") + x.name}
      title=${pinned ? "Unpin" : "Pin to the top"} onClick=${() => onPin(x)}>${pinned ? "★" : "☆"}</button></li>`;
}

export function Sidebar({ current }) {
  const [open, setOpen] = useState(() => !NARROW.matches && loadStored(OPEN, true));
  useEffect(() => { // a window made narrow folds the sidebar away
    const on = () => NARROW.matches && setOpen(false);
    NARROW.addEventListener("change", on);
    return () => NARROW.removeEventListener("change", on);
  }, []);
  const [draft, setDraft] = useState("");
  const [q, setQ] = useState("");
  // a corrupt entry (not a list) is no pins
  const [pins, setPins] = useState(() => { const v = loadStored(PINS, []); return Array.isArray(v) ? v.map(String) : []; });
  const [pinned, setPinned] = useState([]);
  const [gen, setGen] = useState(0); // bumped when experiments change elsewhere in this tab
  useEffect(() => {
    const on = () => setGen((g) => g + 1);
    addEventListener(CHANGED, on);
    return () => removeEventListener(CHANGED, on);
  }, []);
  useEffect(() => { // a search per pause in typing, not per key
    const t = setTimeout(() => setQ(draft.trim()), 200);
    return () => clearTimeout(t);
  }, [draft]);
  const list = useLoad(() => post("experiments/search", {
    max_results: SHOWN, filter: likeFilter(q), order_by: ["name ASC"], view_type: "ACTIVE_ONLY",
  }).then((r) => {
    (r.experiments || []).forEach(rememberExperiment);
    return r;
  }), [q, gen]);
  useEffect(() => {
    let live = true;
    Promise.all(pins.map(getExperiment)).then((xs) => live && setPinned(xs.filter((x) => !x.missing && x.lifecycle_stage !== "deleted")));
    return () => { live = false; };
  }, [pins.join(","), gen]);

  const toggleOpen = () => {
    setOpen(!open);
    saveStored(OPEN, !open);
  };
  const pin = (x) => {
    const id = String(x.experiment_id);
    const next = pins.includes(id) ? pins.filter((p) => p !== id) : [...pins, id];
    setPins(next);
    saveStored(PINS, next);
  };
  const needle = q.toLowerCase();
  const shownPins = pinned.filter((x) => x.name.toLowerCase().includes(needle));
  const rest = ((list.data && list.data.experiments) || []).filter((x) => !pins.includes(String(x.experiment_id)));
  return html`<aside class=${"sidebar" + (open ? " open" : "")} aria-label="Experiments sidebar">
    <button class="sidebar-toggle" aria-expanded=${open} aria-controls="sidebar-body" onClick=${toggleOpen}
      title=${open ? "Hide the experiments sidebar" : "Show the experiments sidebar"}>${open ? "«" : "»"} <span>Experiments</span></button>
    ${open ? html`<div id="sidebar-body">
      <input type="search" aria-label="Find an experiment" placeholder="Find an experiment" value=${draft}
        onInput=${(e) => setDraft(e.target.value)} />
      <${ErrorBox} error=${list.error} />
      ${shownPins.length ? html`<h2>Pinned</h2><ul class="side-list pinned">${shownPins.map((x) => html`<${Item} key=${x.experiment_id} x=${x} current=${current} pinned=${true} onPin=${pin} />`)}</ul>` : null}
      ${shownPins.length && rest.length ? html`<h2>All</h2>` : null}
      <ul class="side-list">${rest.map((x) => html`<${Item} key=${x.experiment_id} x=${x} current=${current} pinned=${false} onPin=${pin} />`)}</ul>
      ${list.data && !rest.length && !shownPins.length ? html`<p class="muted">No experiments${q ? " match" : ""}.</p>` : null}
      ${list.data && list.data.next_page_token ? html`<p class="muted">The first ${SHOWN}; type to narrow.</p>` : null}
    </div>` : null}
  </aside>`;
}
