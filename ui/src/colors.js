// SPDX-License-Identifier: MIT
// A stable colour per run, the same in the runs table and in every chart:
// runColor(runId) hashes the id (FNV-1a, 32 bits) into a fixed palette, so a
// run keeps its colour across reloads, pages, sorts and browsers.
//
// The palette: twelve distinct hues, each of relative luminance ~0.19, so
// that every one contrasts >= 4:1 with white and with a near-black
// background (#12161c): readable as a line or a swatch in both themes.
export const PALETTE = [
  "#257cd2", "#ba6121", "#188b3f", "#dd3c57", "#a552e0", "#8d7a19",
  "#1a8791", "#da2b9f", "#478918", "#6c6ce5", "#9a7153", "#5d7c9b",
];

export function runColor(runId) {
  let h = 0x811c9dc5;
  const s = String(runId || "");
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return PALETTE[h % PALETTE.length];
}
