// SPDX-License-Identifier: MIT
// Keyboard navigation in a table: j / ArrowDown and k / ArrowUp move a
// focus row (the row itself takes focus, so screen readers follow), Enter
// opens the row's first link (a row without one, a group's header: toggles
// its twisty). j and k work whenever nobody is typing in a
// field; the arrows only once a row (or something in it) has focus, so they
// still scroll the page otherwise. Usage:
//   const ref = useRef(null); useRowKeys(ref);  ...  <table ref=${ref}>
// Rows are looked up at each key press, so re-rendered bodies just work.
import { useEffect } from "preact/hooks";

const TYPING = "input, textarea, select, [contenteditable]";

export function useRowKeys(ref) {
  useEffect(() => {
    const on = (e) => {
      const table = ref.current; // looked up now: the table may render after the hook runs
      if (!table || e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      table.dataset.rowkeys = "";
      const active = document.activeElement;
      if (active && active.closest && active.closest(TYPING) && active.type !== "checkbox") return;
      if (document.querySelector("[aria-modal=true]")) return; // a dialog has the keyboard
      const other = active && active.closest && active.closest("[data-rowkeys]");
      if (other && other !== table) return; // another table's keys
      const rows = [...table.tBodies].flatMap((b) => [...b.rows]).filter((r) => r.getClientRects().length);
      if (!rows.length) return;
      const at = rows.findIndex((r) => r.contains(active));
      const down = e.key === "j" || (e.key === "ArrowDown" && at >= 0);
      const up = e.key === "k" || (e.key === "ArrowUp" && at >= 0);
      if (down || up) {
        // nothing focused yet: start at the first row in view (a scrolled or
        // windowed table has rows above it), below a sticky header
        const top = Math.max(0, table.tHead ? table.tHead.getBoundingClientRect().bottom : 0);
        const inView = Math.max(0, rows.findIndex((r) => r.getBoundingClientRect().top >= top - 1));
        const row = rows[at < 0 ? inView : Math.max(0, Math.min(rows.length - 1, at + (down ? 1 : -1)))];
        e.preventDefault();
        row.tabIndex = -1;
        row.focus();
        row.scrollIntoView({ block: "nearest" });
      } else if (e.key === "Enter" && at >= 0 && rows[at] === active) {
        const link = active.querySelector("a[href]") || active.querySelector("button[aria-expanded]");
        if (link) {
          e.preventDefault();
          link.click();
        }
      }
    };
    addEventListener("keydown", on);
    return () => removeEventListener("keydown", on);
  }, [ref]);
}
