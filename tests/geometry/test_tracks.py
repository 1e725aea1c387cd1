"""Object tracks: stable ids through noise, flicker and spurious boxes; gaps filled, flickers gone."""

import numpy as np

from ecot_annotate.episode import Box
from ecot_annotate.geometry.tracks import TrackConfig, iou, track_boxes
from ecot_annotate.inspect.score import EpisodePrediction, EpisodeTruth, Scorer
from ecot_annotate.sample.generate import Camera, make_episode


def _b(label, x, y=10.0, size=20.0, score=0.9):
    return Box(label, score, (x, y, x + size, y + size))


def test_iou():
    assert iou(np.array([0, 0, 10, 10]), np.array([5, 0, 15, 10])) == 1 / 3
    assert iou(np.array([0, 0, 10, 10]), np.array([20, 20, 30, 30])) == 0.0


def test_gap_filled_flicker_dropped_labels_kept_apart():
    frames = [
        [_b("cup", 10), _b("bowl", 100)],
        [_b("cup", 12), _b("bowl", 100), _b("cup", 200)],  # a one-frame flicker
        [_b("bowl", 100)],  # the cup is missed here
        [_b("cup", 16), _b("bowl", 100)],
        [_b("bowl", 14), _b("cup", 18)],  # a bowl over the cup: not the cup's track, a flicker
    ]
    out = track_boxes(frames, TrackConfig(min_frames=2))
    ids = [{box.label: (track_id, box.box[0]) for track_id, box in frame} for frame in out]
    assert [frame["cup"][0] for frame in ids] == [0] * 5
    assert [frame["bowl"][0] for frame in ids[:4]] == [1] * 4
    assert ids[2]["cup"][1] == 14.0  # filled halfway between 12 and 16
    assert all(box.box[0] != 200 for frame in out for _, box in frame)
    assert [(track_id, box.label) for track_id, box in out[4]] == [(0, "cup")]


def test_ids_hold_on_noisy_flickering_detections_of_the_sample():
    """Ground-truth boxes of generated episodes, with 2 px noise, 10% misses and 10% spurious boxes."""
    rng = np.random.default_rng(0)
    camera = Camera.look_at(np.array([0.75, 0.0, 0.45]), np.array([0.3, 0.0, 0.02]))
    scorer = Scorer()
    for index in range(3):
        episode = make_episode(index, np.random.default_rng(index), camera)
        names = list(episode["ground_truth"]["object_names"])
        truth = np.stack([s["ground_truth"]["object_boxes"] for s in episode["steps"]])
        frames = []
        for boxes in truth:
            found = [
                Box(name, 0.8, tuple(box + rng.normal(0, 2.0, 4)))
                for name, box in zip(names, boxes, strict=True)
                if rng.random() > 0.1
            ]
            if rng.random() < 0.1:
                found.append(
                    Box(names[0], 0.5, tuple(rng.uniform(0, 200, 2).repeat(2) + [0, 0, 30, 30]))
                )
            rng.shuffle(found)
            frames.append(found)
        tracked = track_boxes(frames)
        rows = [[{"label": b.label, "box": list(b.box), "track": i} for i, b in f] for f in tracked]
        n = len(frames)
        scorer.add(
            EpisodeTruth("e", boxes=truth, names=names, image_width=256),
            EpisodePrediction("e", ["s"] * n, ["stop"] * n, ["stop"] * n, None, rows, 256),
        )
    figures = scorer.figures()
    assert figures["tracks"]["id_constancy"] >= 0.95
    assert min(b["recall"] for b in figures["boxes"].values()) >= 0.95  # gaps were filled
