"""Where the tracked gripper touches an object, in the image: the camera's view of a grasp.

With a detector on, each step has object boxes and (after the fit) the gripper's pixel. The
gripper touches an object while its pixel lies inside the object's box, grown by a margin (a
fingertip is drawn at the box's edge); a touch counts when it lasts MIN_TOUCH_S.
"""

from __future__ import annotations

import numpy as np

from ecot_annotate.episode import Box

MARGIN = 0.15  # share of the box's size added on every side
MIN_TOUCH_S = 0.2


def contact_spans(
    gripper: np.ndarray, boxes: list[list[Box]], labels: set[str], hz: float
) -> tuple[tuple[int, int], ...]:
    """(first, last + 1) of every stretch where the gripper pixel is in a box named in `labels`."""
    touching = []
    for t, found in enumerate(boxes[: len(gripper)]):
        x, y = (float(v) for v in gripper[t][:2])
        inside = False
        for box in found:
            if box.label not in labels or not (np.isfinite(x) and np.isfinite(y)):
                continue
            x0, y0, x1, y1 = box.box
            dx, dy = MARGIN * (x1 - x0), MARGIN * (y1 - y0)
            inside = inside or (x0 - dx <= x <= x1 + dx and y0 - dy <= y <= y1 + dy)
        touching.append(inside)
    need = max(1, round(MIN_TOUCH_S * hz))
    spans, start = [], None
    for t, inside in enumerate([*touching, False]):
        if inside and start is None:
            start = t
        elif not inside and start is not None:
            if t - start >= need:
                spans.append((start, t))
            start = None
    return tuple(spans)
