// SPDX-License-Identifier: MIT
// Small helpers shared by the pages: hash routing, formatting.
export function navigate(hash) {
  if (location.hash !== hash) location.hash = hash;
}

// "#/experiments/1?filter=x" -> { parts: ["experiments", "1"], query: URLSearchParams }
export function parseHash(hash) {
  const h = (hash || "").replace(/^#\/?/, "");
  const [path, q] = h.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(q || "") };
}

export function hashWith(parts, query) {
  const q = query && [...query.entries()].length ? "?" + query.toString() : "";
  return "#/" + parts.map(encodeURIComponent).join("/") + q;
}

export function fmtTime(ms) {
  if (!ms) return "";
  const d = new Date(Number(ms));
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function fmtDuration(start, end) {
  if (!start) return "";
  const ms = (end ? Number(end) : Date.now()) - Number(start);
  if (ms < 0) return "";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export function fmtNum(v) {
  if (typeof v !== "number") return v === undefined || v === null ? "" : String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-4 || a >= 1e7) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}

export const tagsOf = (list) => Object.fromEntries((list || []).map((t) => [t.key, t.value]));

// MLflow's filter grammar quotes names with backticks when they are not
// plain identifiers.
export const quoteKey = (k) => (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(k) ? k : "`" + k.replace(/`/g, "") + "`");

// A value kept as JSON in localStorage. Never throws: storage off (a
// private window's policy), full, or an unreadable entry reads as fallback
// and a refused write keeps the choice for this page load only.
export function loadStored(key, fallback) {
  try {
    const v = JSON.parse(localStorage.getItem(key));
    return v === null ? fallback : v;
  } catch {
    return fallback;
  }
}
export function saveStored(key, v) {
  try {
    localStorage.setItem(key, JSON.stringify(v));
  } catch {
    /* refused: the choice lasts for this page load */
  }
}
