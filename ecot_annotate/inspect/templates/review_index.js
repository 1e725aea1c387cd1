// The review queue's filter: all episodes, flagged ones, or those with one flag.
"use strict";

(function () {
  const select = document.getElementById("flag-filter");
  select.addEventListener("change", () => {
    document.querySelectorAll("#episode-table .episode-row").forEach((row) => {
      const flags = row.dataset.flags ? row.dataset.flags.split("|") : [];
      row.hidden = select.value === "*" ? flags.length === 0 : select.value !== "" && !flags.includes(select.value);
    });
  });
})();
