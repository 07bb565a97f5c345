// SPDX-License-Identifier: MIT
// The colour theme: "system" (follow prefers-color-scheme), "light" or
// "dark", remembered in localStorage. The resolved theme is set as
// <html data-theme="light|dark"> so style.css needs one dark block only;
// it is applied as soon as this module loads (before the first render) and
// again whenever the system's preference changes.
import { useState } from "preact/hooks";
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

function apply(choice) {
  const t = choice === "system" ? (dark.matches ? "dark" : "light") : choice;
  document.documentElement.dataset.theme = t;
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
