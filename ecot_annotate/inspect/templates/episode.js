// Episode page: show one step at a time (frame, overlay, chain) and move with the slider, keys or strips.
// All text from the data is set with textContent; nothing is ever parsed as HTML.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("episode-data").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const frame = document.getElementById("frame");
  const overlay = document.getElementById("overlay");
  const labels = document.getElementById("labels");
  const slider = document.getElementById("slider");
  const label = document.getElementById("step-label");
  const chain = document.getElementById("chain");
  const chainStep = document.getElementById("chain-step");
  const warnings = document.getElementById("step-warnings");
  const note = document.getElementById("perception-note");
  const last = data.steps.length - 1;
  const unit = Math.max(data.width, data.height) / 100; // overlay sizes scale with the image
  let current = 0;

  // Sizes are set here, not in the markup, so the review server's Content-Security-Policy
  // (style-src 'self': no inline style attributes) lets them through.
  document.getElementById("frame-box").style.aspectRatio = `${data.width} / ${data.height}`;
  document.querySelectorAll(".strip").forEach((strip) => {
    strip.style.gridTemplateColumns = `repeat(${data.steps.length}, minmax(0, 1fr))`;
  });
  document.querySelectorAll(".strip .cell.subtask").forEach((cell) => {
    cell.style.gridColumn = `${Number(cell.dataset.step) + 1} / span ${cell.dataset.length}`;
  });

  function svg(name, attrs, parent) {
    const el = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    parent.appendChild(el);
    return el;
  }

  function boxLabel(text, box, i) {
    // HTML, not SVG text: it stays crisp whatever the frame's scale.
    const tag = document.createElement("div");
    tag.className = `box-tag box-${i}`;
    tag.textContent = text;
    tag.style.left = `${(100 * box[0]) / data.width}%`;
    tag.style.top = `${(100 * box[1]) / data.height}%`;
    if (box[1] / data.height < 0.08) tag.classList.add("inside"); // no room above the box
    labels.appendChild(tag);
  }

  function drawOverlay(step) {
    overlay.replaceChildren();
    labels.replaceChildren();
    // A tracked object keeps its track's colour on every step; untracked boxes colour by position.
    const colour = (box, i) => (box.track ?? i) % 6;
    (step.boxes || []).forEach((box, i) => {
      const [x0, y0, x1, y1] = box.box;
      svg("rect", { class: `box box-${colour(box, i)}`, x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) }, overlay);
    });
    (step.boxes || []).forEach((box, i) => {
      const id = box.track === null || box.track === undefined ? "" : ` #${box.track}`;
      boxLabel(`${box.label}${id} ${box.score.toFixed(2)}`, box.box, colour(box, i));
    });
    if (step.gripper) {
      const points = [step.gripper, ...step.gripper_next];
      svg("polyline", { class: "gripper-path", points: points.map((p) => p.join(",")).join(" ") }, overlay);
      step.gripper_next.forEach((p, i) => {
        svg("circle", { class: "gripper-next", cx: p[0], cy: p[1], r: unit * 2.0, opacity: 1 - i * 0.18 }, overlay);
      });
      svg("circle", { class: "gripper-now", cx: step.gripper[0], cy: step.gripper[1], r: unit * 3.2 }, overlay);
    }
  }

  function perceptionNote(step) {
    const parts = [];
    if (step.boxes === null) parts.push("no boxes: no detector ran on this episode");
    else if (step.boxes.length === 0) parts.push("no objects detected in this frame");
    if (step.gripper === null) parts.push(`gripper not tracked${data.gripper_reason ? ": " + data.gripper_reason.replace(/^not tracked: /, "") : ""}`);
    note.textContent = parts.join(" · ");
  }

  function drawChain(step) {
    chain.replaceChildren();
    for (const [tag, text] of step.tags) {
      const dt = document.createElement("dt");
      dt.textContent = tag;
      const dd = document.createElement("dd");
      dd.textContent = text || "(none)";
      if (!text) dd.classList.add("muted");
      if (tag === "MOVE:") dd.classList.add(`kind-text-${step.kind}`);
      chain.append(dt, dd);
    }
    warnings.replaceChildren();
    for (const text of step.disagreements) {
      const p = document.createElement("p");
      p.className = "warn";
      p.textContent = `${text} (computed: ${step.primitive})`;
      warnings.appendChild(p);
    }
  }

  function show(index) {
    current = Math.min(last, Math.max(0, index));
    const step = data.steps[current];
    frame.src = step.image;
    slider.value = String(current);
    label.textContent = `step ${step.step} / ${data.steps[last].step}`;
    chainStep.textContent = String(step.step);
    drawChain(step);
    perceptionNote(step);
    drawOverlay(step);
    document.querySelectorAll(".strip .cell").forEach((cell) => {
      const start = Number(cell.dataset.step);
      const span = Number(cell.dataset.length || 1);
      const isCurrent = current >= start && current < start + span;
      cell.classList.toggle("current", isCurrent);
      if (cell.classList.contains("tick") && !cell.dataset.label) cell.textContent = isCurrent ? cell.dataset.n : "";
    });
    history.replaceState(null, "", `#step=${current}`);
    document.dispatchEvent(new CustomEvent("episode-step", { detail: { step: current } }));
  }

  slider.addEventListener("input", () => show(Number(slider.value)));
  document.getElementById("prev-step").addEventListener("click", () => show(current - 1));
  document.getElementById("next-step").addEventListener("click", () => show(current + 1));
  document.querySelectorAll(".strip .cell").forEach((cell) => {
    cell.addEventListener("click", () => show(Number(cell.dataset.step)));
  });
  document.addEventListener("keydown", (event) => {
    if (event.target === slider || event.altKey || event.ctrlKey || event.metaKey) return; // the slider moves itself
    if (event.target.closest && event.target.closest("input, textarea, select")) return; // typing, not stepping
    const moves = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: last };
    if (event.key in moves) {
      event.preventDefault();
      show(moves[event.key]);
    }
  });

  const fromHash = /#step=(\d+)/.exec(location.hash);
  show(fromHash ? Number(fromHash[1]) : 0);
})();
