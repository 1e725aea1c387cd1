// The review queue: filters by status and by flag (kept in the URL, so going back keeps them),
// and keys: j / k move a cursor over the rows shown, Enter opens its episode, n opens the next
// unreviewed one, u shows only unreviewed episodes. Keys work whatever has focus; the filters'
// own keys are the arrows.
"use strict";

(function () {
  const statusFilter = document.getElementById("status-filter");
  const flagFilter = document.getElementById("flag-filter");
  const count = document.getElementById("shown-count");
  const rows = Array.from(document.querySelectorAll("#episode-table .episode-row"));
  const name = localStorage.getItem("ecot-review-reviewer");
  if (name) document.getElementById("reviewer-shown").textContent = name;
  let cursor = null;

  const shown = () => rows.filter((row) => !row.hidden);

  function place(row) {
    if (cursor) cursor.classList.remove("cursor");
    cursor = row || null;
    if (!cursor) return;
    cursor.classList.add("cursor");
    cursor.scrollIntoView({ block: "nearest" });
  }

  function apply() {
    const flag = flagFilter.value;
    const status = statusFilter.value;
    rows.forEach((row) => {
      const flags = row.dataset.flags ? row.dataset.flags.split("|") : [];
      const flagged = flag === "" || (flag === "*" ? flags.length > 0 : flags.includes(flag));
      row.hidden = !(flagged && (status === "" || row.dataset.status === status));
    });
    const visible = shown();
    count.textContent = `${visible.length} shown`;
    const params = new URLSearchParams();
    if (status) params.set("status", status);
    if (flag) params.set("flag", flag);
    history.replaceState(null, "", params.toString() ? `#${params}` : location.pathname);
    if (!cursor || cursor.hidden) place(visible[0]);
  }

  const saved = new URLSearchParams(location.hash.slice(1));
  statusFilter.value = saved.get("status") || "";
  flagFilter.value = saved.get("flag") || "";
  statusFilter.addEventListener("change", apply);
  flagFilter.addEventListener("change", apply);
  const last = sessionStorage.getItem("review-last");
  cursor = rows.find((row) => row.dataset.index === last) || null;
  apply();
  place(cursor && !cursor.hidden ? cursor : shown()[0]);

  function open(row) {
    if (row) location.href = row.querySelector(".episode-link").getAttribute("href");
  }

  function step(by) {
    const visible = shown();
    const at = visible.indexOf(cursor);
    place(visible[Math.min(visible.length - 1, Math.max(0, at + by))]);
  }

  const KEYS = {
    j: () => step(1),
    k: () => step(-1),
    Enter: () => open(cursor),
    n: () => {
      const visible = shown();
      const start = Math.max(0, visible.indexOf(cursor));
      const later = [...visible.slice(start), ...visible.slice(0, start)];
      open(later.find((row) => row.dataset.status === "unreviewed"));
    },
    u: () => {
      statusFilter.value = "unreviewed";
      apply();
    },
  };
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || typingInField(event.target)) return;
    if (!(event.key in KEYS)) return;
    if (event.key === "Enter" && event.target.closest && event.target.closest("a, button")) return;
    event.preventDefault();
    KEYS[event.key]();
  });
})();
