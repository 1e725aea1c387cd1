// Review page: accept, reject, move a subtask boundary, edit a text field over steps, delete,
// relabel or resize a box, delete or relabel a whole track. Each change is posted with the episode
// version this page was built on, an id made here and the reviewer's name; the server appends it
// to the corrections file and says when it conflicts with a change made since.
// Keys work whatever has focus, except while typing in a text field (Esc leaves it).
// All text is set with textContent; nothing is ever parsed as HTML.
"use strict";

(function () {
  const page = JSON.parse(document.getElementById("review-data").textContent);
  const data = JSON.parse(document.getElementById("episode-data").textContent);
  const $ = (id) => document.getElementById(id);
  const slider = $("slider");
  const notice = $("notice");
  const field = $("edit-field");
  const first = $("edit-first");
  const last = $("edit-last");
  const value = $("edit-value");
  const reason = $("reject-reason");
  const boxList = $("box-list");
  const strip = $("subtask-strip");
  const overlay = $("overlay");
  const nameForm = $("reviewer-form");
  const nameInput = $("reviewer-name");
  const NAME_KEY = "ecot-review-reviewer";
  const SVG = "http://www.w3.org/2000/svg";
  const current = () => Number(slider.value);

  function say(text, ok) {
    notice.hidden = false;
    notice.textContent = text;
    notice.classList.toggle("ok", Boolean(ok));
  }

  // The reviewer: asked once per browser, kept in localStorage, sent with each change.
  let waiting = null; // the change that waits for a name
  const reviewer = () => localStorage.getItem(NAME_KEY) || "";
  function showName() {
    $("reviewer-shown").textContent = reviewer() || `${page.reviewer} (not yet confirmed)`;
  }
  function askName(change) {
    waiting = change;
    nameForm.hidden = false;
    nameInput.value = reviewer() || page.reviewer;
    nameInput.focus();
    nameInput.select();
    say("Who is reviewing? Give your name once; this browser keeps it.");
  }
  nameForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (!name) return;
    localStorage.setItem(NAME_KEY, name);
    nameForm.hidden = true;
    notice.hidden = true;
    showName();
    nameInput.blur();
    const change = waiting;
    waiting = null;
    if (change) send(change.body, change.then);
  });
  $("reviewer-change").addEventListener("click", () => askName(null));

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

  // `then`: where to go once saved (a verdict moves on); by default the page reloads.
  async function send(change, then) {
    if (!reviewer()) {
      askName({ body: change, then });
      return;
    }
    const body = JSON.stringify({ ...change, version: page.version, reviewer: reviewer() });
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
    sessionStorage.setItem("review-notice", then
      ? `Saved episode ${page.index} (${change.verdict}ed).`
      : `Saved (version ${answer.version}).`);
    if (then) location.href = then;
    else location.reload();
  }

  // A notice carried over the reload that follows a saved change.
  const carried = sessionStorage.getItem("review-notice");
  if (carried) {
    sessionStorage.removeItem("review-notice");
    say(carried, true);
  }
  sessionStorage.setItem("review-last", String(page.index)); // the queue puts its cursor here
  showName();

  function fillEdit() {
    const t = current();
    const segment = data.subtasks.find((s) => t >= s.start && t < s.start + s.length);
    const whole = field.value === "subtask" || field.value === "subtask_reason";
    first.value = String(whole && segment ? segment.start : t);
    last.value = String(whole && segment ? segment.start + segment.length - 1 : t);
    value.value = page.texts[t][field.value];
  }

  function button(text, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  function drawBoxes() {
    boxList.replaceChildren();
    const boxes = data.steps[current()].boxes || [];
    boxes.forEach((box, i) => {
      const track = box.track ?? i;
      const item = document.createElement("span");
      item.className = "box-item";
      item.textContent = `${box.label} #${track} `;
      const named = `${box.label} #${track}`;
      item.append(
        button("delete", () => send({ box: { step: current(), track }, action: "delete" })),
        button("relabel", () => {
          const label = prompt(`New label for ${named}`, box.label);
          if (label) send({ box: { step: current(), track }, action: "relabel", label });
        }),
      );
      if (box.track !== null && box.track !== undefined) {
        item.append(
          button("delete track", () => send({ track, action: "delete" })),
          button("relabel track", () => {
            const label = prompt(`New label for ${named} at every step`, box.label);
            if (label) send({ track, action: "relabel", label });
          }),
        );
      }
      boxList.appendChild(item);
    });
  }

  // A box's corners are handles: drag one to fix the box; the opposite corner stays.
  function svgPoint(event) {
    const point = overlay.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    const p = point.matrixTransform(overlay.getScreenCTM().inverse());
    const [width, height] = page.size;
    return [Math.min(width, Math.max(0, p.x)), Math.min(height, Math.max(0, p.y))];
  }

  function drawCorners() {
    const boxes = data.steps[current()].boxes || [];
    const rects = overlay.querySelectorAll("rect.box");
    const r = Math.max(page.size[0], page.size[1]) / 60;
    boxes.forEach((box, i) => {
      const track = box.track ?? i;
      const rect = rects[i];
      [["nw", 0, 1], ["ne", 2, 1], ["sw", 0, 3], ["se", 2, 3]].forEach(([name, xi, yi]) => {
        const handle = document.createElementNS(SVG, "circle");
        handle.setAttribute("class", `corner ${name}`);
        handle.setAttribute("cx", box.box[xi]);
        handle.setAttribute("cy", box.box[yi]);
        handle.setAttribute("r", r);
        handle.dataset.track = String(track);
        overlay.appendChild(handle);
        handle.addEventListener("pointerdown", (event) => {
          event.preventDefault();
          handle.setPointerCapture(event.pointerId);
          const xyxy = [...box.box];
          const move = (e) => {
            const [x, y] = svgPoint(e);
            xyxy[xi] = x;
            xyxy[yi] = y;
            const [x0, x1] = [Math.min(xyxy[0], xyxy[2]), Math.max(xyxy[0], xyxy[2])];
            const [y0, y1] = [Math.min(xyxy[1], xyxy[3]), Math.max(xyxy[1], xyxy[3])];
            handle.setAttribute("cx", x);
            handle.setAttribute("cy", y);
            if (rect) {
              rect.setAttribute("x", x0);
              rect.setAttribute("y", y0);
              rect.setAttribute("width", x1 - x0);
              rect.setAttribute("height", y1 - y0);
            }
          };
          const up = (e) => {
            handle.removeEventListener("pointermove", move);
            handle.removeEventListener("pointerup", up);
            move(e);
            const round = (v) => Math.round(v * 10) / 10;
            const corners = [
              Math.min(xyxy[0], xyxy[2]), Math.min(xyxy[1], xyxy[3]),
              Math.max(xyxy[0], xyxy[2]), Math.max(xyxy[1], xyxy[3]),
            ].map(round);
            if (corners[0] < corners[2] && corners[1] < corners[3] && corners.some((v, k) => v !== round(box.box[k]))) {
              send({ box: { step: current(), track }, action: "resize", xyxy: corners });
            }
          };
          handle.addEventListener("pointermove", move);
          handle.addEventListener("pointerup", up);
        });
      });
    });
  }

  function refresh() {
    fillEdit();
    drawBoxes();
    drawCorners();
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
        line.style.left = `${(100 * stepAt(x)) / data.steps.length}%`;
        line.dataset.step = String(stepAt(x));
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

  // A verdict moves on to the next episode of the queue (the queue itself after the last).
  const onward = () => page.next || "../index.html";
  const accept = () => send({ verdict: "accept", reason: "" }, onward());
  function reject() {
    if (!reason.value.trim()) {
      reason.focus();
      say("Say why the episode is rejected, then press Enter.");
      return;
    }
    send({ verdict: "reject", reason: reason.value.trim() }, onward());
  }
  function saveEdit() {
    send({ field: field.value, steps: [Number(first.value), Number(last.value)], value: value.value });
  }

  $("accept").addEventListener("click", accept);
  $("reject").addEventListener("click", reject);
  reason.addEventListener("keydown", (event) => {
    if (event.key === "Enter") reject();
  });
  field.addEventListener("change", fillEdit);
  $("edit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveEdit();
  });
  value.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault(); // a text is one line: Enter saves it
      saveEdit();
    }
  });

  const KEYS = {
    a: accept,
    j: () => page.next && (location.href = page.next),
    k: () => page.prev && (location.href = page.prev),
    n: () => { location.href = page.next_unreviewed || "../index.html"; },
    q: () => { location.href = "../index.html"; },
    r: () => reason.focus(),
    e: () => {
      value.focus();
      value.select();
    },
  };
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "Escape") {
      if (document.activeElement) document.activeElement.blur();
      return;
    }
    if (typingInField(event.target) || !(event.key in KEYS)) return;
    event.preventDefault(); // a focused slider or select does not also take the key
    KEYS[event.key]();
  });
  document.addEventListener("episode-step", refresh);
  refresh();
})();
