// SPDX-License-Identifier: MIT
// Pieces several pages use: an error box, a confirmation dialog, a hook
// that loads data and reloads on demand, one that reloads every few seconds.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { html } from "./html.js";

export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<div class="error" role="alert"><strong>${error.code || "Error"}</strong> ${error.message}</div>`;
}

// load() runs when deps change and when reload() is called; stale answers
// (from an earlier call) are dropped.
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const n = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => n === seq.current && setState({ data, error: null, loading: false }),
      (error) => n === seq.current && setState({ data: null, error, loading: false }),
    );
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

// Calls reload every ms milliseconds while the page is open.
export function usePoll(reload, ms) {
  const ref = useRef(reload);
  ref.current = reload;
  useEffect(() => {
    const t = setInterval(() => ref.current(), ms);
    return () => clearInterval(t);
  }, [ms]);
}

// A modal confirmation: <Confirm text=... onYes=... onNo=... />; children,
// if any (e.g. a field for a reason), go between the text and the buttons.
export function Confirm({ title, text, yes = "Confirm", onYes, onNo, children }) {
  const ref = useRef(null);
  useEffect(() => {
    ref.current && ref.current.focus();
    const k = (e) => e.key === "Escape" && onNo();
    addEventListener("keydown", k);
    return () => removeEventListener("keydown", k);
  }, []);
  return html`
    <div class="overlay">
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="dlg-title">
        <h2 id="dlg-title">${title}</h2>
        <p>${text}</p>
        ${children}
        <div class="actions">
          <button onClick=${onNo}>Cancel</button>
          <button class="primary" ref=${ref} onClick=${onYes}>${yes}</button>
        </div>
      </div>
    </div>`;
}
