// SPDX-License-Identifier: MIT
// The colour theme: "system" (follow prefers-color-scheme), "light" or
// "dark", remembered in localStorage. The resolved theme is set as
// <html data-theme="light|dark"> so style.css needs one dark block only;
// it is applied as soon as this module loads (before the first render) and
// again whenever the system's preference changes. Charts (uPlot draws on a
// canvas, where CSS does not reach) take their axis colours from the page
// through plotAxes and redraw when the theme changes (useTheme).
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";

const KEY = "ferry.theme";
const CHOICES = ["system", "light", "dark"];
const dark = matchMedia("(prefers-color-scheme: dark)");

function stored() {
  try {
    const v = localStorage.getItem(KEY);
    return CHOICES.includes(v) ? v : "system";
  } catch {
    return "system"; // storage refused (private mode, a sandboxed frame)
  }
}

const listeners = new Set();
function apply(choice) {
  const t = choice === "system" ? (dark.matches ? "dark" : "light") : choice;
  if (document.documentElement.dataset.theme === t) return;
  document.documentElement.dataset.theme = t;
  for (const fn of listeners) fn(t);
}

// The theme in force ("light" or "dark"); the component renders again when
// it changes (a chart puts it in its effect's dependencies).
export function useTheme() {
  const [t, setT] = useState(document.documentElement.dataset.theme);
  useEffect(() => {
    listeners.add(setT);
    return () => listeners.delete(setT);
  }, []);
  return t;
}

// uPlot's axes in the page's colours as el sees them: labels and values in
// its text colour, grid and ticks in the --line colour. axes: uPlot's axis
// options, kept (the colours are added).
export function plotAxes(el, axes) {
  const css = getComputedStyle(el);
  const ink = css.color || "#000", grid = css.getPropertyValue("--line").trim() || "rgba(0,0,0,0.1)";
  return axes.map((a) => ({ stroke: ink, ...a, grid: { stroke: grid, ...(a.grid || {}) }, ticks: { stroke: grid, ...(a.ticks || {}) } }));
}

apply(stored());
dark.addEventListener("change", () => apply(stored()));

export function ThemePicker() {
  const [choice, setChoice] = useState(stored());
  const pick = (v) => {
    try {
      v === "system" ? localStorage.removeItem(KEY) : localStorage.setItem(KEY, v);
    } catch {
      /* not remembered; still applied below */
    }
    setChoice(v);
    apply(v);
  };
  return html`<label class="theme-picker">Theme <select aria-label="Colour theme" value=${choice} onChange=${(e) => pick(e.target.value)}>
    ${CHOICES.map((c) => html`<option value=${c}>${c}</option>`)}</select></label>`;
}
