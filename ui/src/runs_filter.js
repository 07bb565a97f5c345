// SPDX-License-Identifier: MIT
// The runs filter box with completion: as one types a field name
// ("metrics.", "par", "acc"), a list offers the fields of MLflow's search
// grammar that the loaded runs have (metrics.*, params.*, tags.*) and the
// run attributes. A combobox (WAI-ARIA): ArrowDown/ArrowUp pick, Enter or
// Tab takes the picked one, Escape closes; Enter with nothing picked
// submits the filter as typed.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "./html.js";
import { quoteKey } from "./util.js";

export const ATTRIBUTE_FIELDS = ["run_id", "run_name", "status", "user_id", "start_time", "end_time", "artifact_uri"]
  .map((a) => "attributes." + a);
const SHOW = 12;

// Every field the filter could name, from runs' keys.
export function filterFields(runs) {
  const s = new Set();
  for (const r of runs || []) {
    (r.data.metrics || []).forEach((m) => s.add("metrics." + quoteKey(m.key)));
    (r.data.params || []).forEach((p) => s.add("params." + quoteKey(p.key)));
    (r.data.tags || []).forEach((t) => s.add("tags." + quoteKey(t.key)));
  }
  return [...[...s].sort(), ...ATTRIBUTE_FIELDS];
}

// The word being typed: from the last space, operator or bracket before
// the caret (a quoted value's text is not a field: no completion there).
function wordAt(text, caret) {
  const before = text.slice(0, caret);
  if ((before.match(/'/g) || []).length % 2 || (before.match(/"/g) || []).length % 2) return null;
  const m = before.match(/[^\s=<>!(),]*$/);
  return { start: caret - m[0].length, word: m[0] };
}

// Fields starting with the word, then those whose key (after the kind)
// does; none for an empty word or one that is already a whole field.
export function suggest(fields, word) {
  if (!word) return [];
  const w = word.toLowerCase();
  if (fields.some((f) => f.toLowerCase() === w)) return [];
  const head = fields.filter((f) => f.toLowerCase().startsWith(w));
  const inKey = fields.filter((f) => !head.includes(f) && f.slice(f.indexOf(".") + 1).toLowerCase().replace(/^`/, "").startsWith(w));
  return [...head, ...inKey].slice(0, SHOW);
}

export function FilterBox({ value, onInput, fields }) {
  const ref = useRef(null);
  const [at, setAt] = useState(null); // { start, word } being completed, or null: list closed
  const [active, setActive] = useState(-1);
  const [caretTo, setCaretTo] = useState(null);
  const items = at ? suggest(fields, at.word) : [];
  const open = items.length > 0;

  useEffect(() => { // after taking a suggestion, the caret goes after it
    if (caretTo !== null && ref.current) {
      ref.current.setSelectionRange(caretTo, caretTo);
      setCaretTo(null);
    }
  }, [caretTo]);

  const look = (el) => {
    setAt(wordAt(el.value, el.selectionStart ?? el.value.length));
    setActive(-1);
  };
  const take = (field) => {
    const end = at.start + at.word.length;
    const next = value.slice(0, at.start) + field + " " + value.slice(end).replace(/^ /, "");
    onInput(next);
    setAt(null);
    setCaretTo(at.start + field.length + 1);
  };
  const onKeyDown = (e) => {
    if (!open) {
      if (e.key === "ArrowDown") look(e.target);
      return;
    }
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const d = e.key === "ArrowDown" ? 1 : -1;
      setActive((a) => (a + d >= items.length ? -1 : a + d < -1 ? items.length - 1 : a + d));
    } else if ((e.key === "Enter" || e.key === "Tab") && active >= 0 && active < items.length) {
      e.preventDefault();
      take(items[active]);
    } else if (e.key === "Escape") {
      e.preventDefault();
      setAt(null);
    }
  };
  return html`
    <div class="filterbox">
      <input ref=${ref} class="filter" aria-label="Filter runs" placeholder="metrics.rmse < 1 and params.model = 'tree'"
        role="combobox" aria-autocomplete="list" aria-expanded=${open ? "true" : "false"} aria-controls="runs-filter-list"
        aria-activedescendant=${open && active >= 0 ? "runs-filter-opt-" + active : null} autocomplete="off" spellcheck="false"
        value=${value} onInput=${(e) => { onInput(e.target.value); look(e.target); }}
        onKeyDown=${onKeyDown} onBlur=${() => setAt(null)} />
      ${open ? html`
        <ul id="runs-filter-list" role="listbox" aria-label="Filter fields">
          ${items.map((f, i) => html`
            <li id=${"runs-filter-opt-" + i} role="option" aria-selected=${i === active ? "true" : "false"}
              class=${i === active ? "active" : null}
              onMouseDown=${(e) => { e.preventDefault(); take(f); }}>${f}</li>`)}
        </ul>` : null}
    </div>`;
}
