// Index page: the "flagged only" filter.
"use strict";

(function () {
  const box = document.getElementById("only-flagged");
  box.addEventListener("change", () => {
    document.querySelectorAll("#episode-table .episode-row").forEach((row) => {
      row.hidden = box.checked && row.dataset.flagged !== "1";
    });
  });
})();
