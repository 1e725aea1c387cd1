// What the review pages' keys share: whether a key press is typing into a field, where the
// page's own keys stay out of the way.
"use strict";

const TYPED_INPUTS = new Set(["text", "search", "number", "email", "url", "tel", "password", ""]);

function typingInField(target) {
  if (!target || !target.tagName) return false;
  if (target.isContentEditable || target.tagName === "TEXTAREA") return true;
  return target.tagName === "INPUT" && TYPED_INPUTS.has((target.getAttribute("type") || "").toLowerCase());
}
