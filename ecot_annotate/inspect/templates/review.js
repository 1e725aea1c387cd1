// Review page: accept, reject, move a subtask boundary, edit a text field over steps, delete or
// relabel a box. Each change is posted with the episode version this page was built on; the server
// appends it to the corrections file and says when it conflicts with a change made since.
// All text is set with textContent; nothing is ever parsed as HTML.
"use strict";

(function () {
  const page = JSON.parse(document.getElementById("review-data").textContent);
  const data = JSON.parse(document.getElementById("episode-data").textContent);
  const slider = document.getElementById("slider");
  const notice = document.getElementById("notice");
  const field = document.getElementById("edit-field");
  const first = document.getElementById("edit-first");
  const last = document.getElementById("edit-last");
  const value = document.getElementById("edit-value");
  const reason = document.getElementById("reject-reason");
  const boxList = document.getElementById("box-list");
  const strip = document.getElementById("subtask-strip");
  const current = () => Number(slider.value);

  function say(text, ok) {
    notice.hidden = false;
    notice.textContent = text;
    notice.classList.toggle("ok", Boolean(ok));
  }

  // Each change carries an id made here. A save the page cannot confirm (no answer, or a server
  // error) is tried again with the same id, and so is the same change sent again by hand, so a
  // save that landed while the page saw an error is applied once.
  function newId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  let pending = null; // { body, id } of the change not known to be saved

  async function post(body) {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await fetch(`/api/episodes/${page.index}/changes`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-Review-Token": page.token },
          body,
        });
        if (response.status < 500 || attempt === 3) return response;
      } catch (error) {
        if (attempt === 3) return null;
      }
      await new Promise((done) => setTimeout(done, 400 * attempt));
    }
  }

  async function send(change) {
    const body = JSON.stringify({ ...change, version: page.version });
    if (!pending || pending.body !== body) pending = { body, id: newId() };
    const response = await post(JSON.stringify({ ...JSON.parse(body), id: pending.id }));
    if (response === null) {
      say("Not saved: the server did not answer. Make the same change again to retry; it is saved once.");
      return;
    }
    const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    if (!response.ok) {
      if (response.status < 500) pending = null;
      say(`Not saved: ${answer.error}`);
      return;
    }
    pending = null;
    if (answer.conflict) {
      const by = answer.conflict.reviewer || "someone";
      say(`Conflict: ${by} changed this at ${answer.conflict.time} after this page was loaded (version ${page.version}). ` +
        "Your edit is kept in the corrections file but not applied; reload to see the current text and edit again.");
      return;
    }
    sessionStorage.setItem("review-notice", `Saved (version ${answer.version}).`);
    location.reload();
  }

  // A notice carried over the reload that follows a saved change.
  const carried = sessionStorage.getItem("review-notice");
  if (carried) {
    sessionStorage.removeItem("review-notice");
    say(carried, true);
  }

  function fillEdit() {
    const t = current();
    const segment = data.subtasks.find((s) => t >= s.start && t < s.start + s.length);
    const whole = field.value === "subtask" || field.value === "subtask_reason";
    first.value = String(whole && segment ? segment.start : t);
    last.value = String(whole && segment ? segment.start + segment.length - 1 : t);
    value.value = page.texts[t][field.value];
  }

  function drawBoxes() {
    boxList.replaceChildren();
    const boxes = data.steps[current()].boxes || [];
    boxes.forEach((box, i) => {
      const track = box.track ?? i;
      const item = document.createElement("span");
      item.className = "box-item";
      item.textContent = `${box.label} #${track} `;
      const del = document.createElement("button");
      del.type = "button";
      del.textContent = "delete";
      del.addEventListener("click", () => send({ box: { step: current(), track }, action: "delete" }));
      const relabel = document.createElement("button");
      relabel.type = "button";
      relabel.textContent = "relabel";
      relabel.addEventListener("click", () => {
        const label = prompt(`New label for ${box.label} #${track}`, box.label);
        if (label) send({ box: { step: current(), track }, action: "relabel", label });
      });
      item.append(del, relabel);
      boxList.appendChild(item);
    });
  }

  function refresh() {
    fillEdit();
    drawBoxes();
  }

  // Dragging a subtask's left edge sets the step where that subtask starts.
  function stepAt(clientX) {
    const rect = strip.getBoundingClientRect();
    const n = data.steps.length;
    return Math.min(n - 1, Math.max(0, Math.round(((clientX - rect.left) / rect.width) * n)));
  }

  strip.querySelectorAll(".cell").forEach((cell, i) => {
    if (i === 0) return;
    const handle = document.createElement("div");
    handle.className = "boundary";
    handle.title = `drag to move where "${data.subtasks[i].text}" starts`;
    handle.dataset.subtask = String(i);
    cell.appendChild(handle);
    handle.addEventListener("click", (event) => event.stopPropagation());
    handle.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      event.stopPropagation();
      handle.setPointerCapture(event.pointerId);
      handle.classList.add("dragging");
      const line = document.createElement("div");
      line.className = "drop-line";
      strip.style.position = "relative";
      strip.appendChild(line);
      const place = (x) => {
        const rect = strip.getBoundingClientRect();
        line.style.left = `${(100 * stepAt(x)) / data.steps.length}%`;
        line.dataset.step = String(stepAt(x));
        return rect;
      };
      place(event.clientX);
      const move = (e) => place(e.clientX);
      const up = (e) => {
        handle.removeEventListener("pointermove", move);
        handle.removeEventListener("pointerup", up);
        handle.classList.remove("dragging");
        line.remove();
        const step = stepAt(e.clientX);
        if (step !== data.subtasks[i].start) send({ subtask_start: step, subtask: data.subtasks[i].text });
      };
      handle.addEventListener("pointermove", move);
      handle.addEventListener("pointerup", up);
    });
  });

  document.getElementById("accept").addEventListener("click", () => send({ verdict: "accept", reason: "" }));
  document.getElementById("reject").addEventListener("click", () => {
    if (!reason.value.trim()) {
      reason.focus();
      say("Say why the episode is rejected, then press Enter.");
      return;
    }
    send({ verdict: "reject", reason: reason.value.trim() });
  });
  reason.addEventListener("keydown", (event) => {
    if (event.key === "Enter") document.getElementById("reject").click();
  });
  field.addEventListener("change", fillEdit);
  document.getElementById("edit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send({ field: field.value, steps: [Number(first.value), Number(last.value)], value: value.value });
  });

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest && event.target.closest("input, textarea, select")) return;
    const go = { j: page.next, k: page.prev }[event.key];
    if (go) location.href = go;
    else if (event.key === "a") send({ verdict: "accept", reason: "" });
    else if (event.key === "r") {
      event.preventDefault();
      reason.focus();
    }
  });
  slider.addEventListener("input", refresh);
  document.addEventListener("keyup", (event) => {
    if (event.key.startsWith("Arrow") || event.key === "Home" || event.key === "End") refresh();
  });
  document.querySelectorAll(".strip .cell").forEach((cell) => cell.addEventListener("click", refresh));
  document.getElementById("prev-step").addEventListener("click", refresh);
  document.getElementById("next-step").addEventListener("click", refresh);
  refresh();
})();
