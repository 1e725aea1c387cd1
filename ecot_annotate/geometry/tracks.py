"""Object tracks: one stable id per object across an episode's frames.

A detector sees each frame alone, so an object flickers in and out and its box jumps, and the
chain's VISIBLE OBJECTS changes between steps for no reason. Here each frame's boxes are matched
to the live tracks of the frames before (same label, IoU against the track's box moved on at its
last velocity; optimal assignment with the Hungarian method), a track survives a few frames
without a match, the frames it missed are filled by interpolation, and a track seen on fewer
frames than `min_frames` (a flicker) is dropped. Ids count from 0 in order of first appearance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from ecot_annotate.episode import Box


@dataclass(frozen=True)
class TrackConfig:
    min_iou: float = 0.1  # below this a box does not continue a track
    max_gap: int = 3  # frames a track may miss and still continue (and be filled in)
    min_frames: int = 2  # tracks seen on fewer frames are flickers and dropped


@dataclass
class _Track:
    label: str
    frames: list[int] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)

    def predicted(self, frame: int) -> np.ndarray:
        """The box moved on to `frame` at the track's last velocity."""
        last = np.asarray(self.boxes[-1].box, dtype=float)
        if len(self.boxes) < 2:
            return last
        before = np.asarray(self.boxes[-2].box, dtype=float)
        per_frame = (last - before) / (self.frames[-1] - self.frames[-2])
        return last + per_frame * (frame - self.frames[-1])


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two [x0, y0, x1, y1] boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def _link(frames: list[list[Box]], config: TrackConfig) -> list[_Track]:
    tracks: list[_Track] = []
    for t, boxes in enumerate(frames):
        live = [k for k, tr in enumerate(tracks) if t - tr.frames[-1] <= config.max_gap + 1]
        score = np.zeros((len(live), len(boxes)))
        for i, k in enumerate(live):
            guess = tracks[k].predicted(t)
            for j, box in enumerate(boxes):
                if box.label == tracks[k].label:
                    score[i, j] = iou(guess, np.asarray(box.box, dtype=float))
        matched: set[int] = set()
        if score.size:
            for i, j in zip(*linear_sum_assignment(-score), strict=True):
                if score[i, j] >= config.min_iou:
                    tracks[live[i]].frames.append(t)
                    tracks[live[i]].boxes.append(boxes[j])
                    matched.add(j)
        for j, box in enumerate(boxes):
            if j not in matched:
                tracks.append(_Track(box.label, [t], [box]))
    return tracks


def _filled(track: _Track) -> list[tuple[int, Box]]:
    """The track's boxes with the frames it missed filled by linear interpolation."""
    out: list[tuple[int, Box]] = []
    for (t0, b0), (t1, b1) in zip(
        zip(track.frames, track.boxes, strict=True),
        zip(track.frames[1:], track.boxes[1:], strict=True),
        strict=False,
    ):
        out.append((t0, b0))
        start, end = np.asarray(b0.box, dtype=float), np.asarray(b1.box, dtype=float)
        for t in range(t0 + 1, t1):
            w = (t - t0) / (t1 - t0)
            box = tuple(float(v) for v in start + (end - start) * w)
            out.append((t, Box(b0.label, min(b0.score, b1.score), box)))  # type: ignore[arg-type]
    out.append((track.frames[-1], track.boxes[-1]))
    return out


def track_boxes(
    frames: list[list[Box]], config: TrackConfig = TrackConfig()
) -> list[list[tuple[int, Box]]]:
    """Per frame, (track id, box) of every tracked object, flickers dropped and gaps filled."""
    kept = [
        tr for tr in _link(frames, config) if len(tr.frames) >= min(config.min_frames, len(frames))
    ]
    out: list[list[tuple[int, Box]]] = [[] for _ in frames]
    for track_id, track in enumerate(sorted(kept, key=lambda tr: tr.frames[0])):
        for t, box in _filled(track):
            out[t].append((track_id, box))
    return out
