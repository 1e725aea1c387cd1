"""Perception stages without Beam: vocabulary, detectors and SAM from tiny random models, bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ecot_annotate.backends.detectors import build_detector
from ecot_annotate.backends.detectors.base import select_boxes
from ecot_annotate.backends.segmenter import mask_point
from ecot_annotate.config import PerceptionConfig
from ecot_annotate.episode import ArmTrack, Episode
from ecot_annotate.errors import EpisodeError, InputError, MissingWeightsError
from ecot_annotate.stages.perception import (
    NO_POSE,
    FramePerceiver,
    FrameResult,
    FrameTask,
    assemble,
    episode_frames,
)
from ecot_annotate.text.vocabulary import caption_phrases, object_vocabulary
from tests.support import tiny_models


def check_perception(config, llm=None) -> None:
    """The validator's perception checks, raised as a run would raise them."""
    from ecot_annotate.config import LLMConfig
    from ecot_annotate.validate import check_perception as problems
    from ecot_annotate.validate import raise_problems

    raise_problems(list(problems(config, llm or LLMConfig())))


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("tiny_models")
    return {
        "grounding-dino": str(tiny_models.grounding_dino(root / "grounding-dino")),
        "owlv2": str(tiny_models.owlv2(root / "owlv2")),
        "sam": str(tiny_models.sam(root / "sam")),
    }


def frames(n: int, height: int = 48, width: int = 80) -> list[np.ndarray]:
    return [
        np.random.default_rng(i).integers(0, 255, (height, width, 3), dtype=np.uint8)
        for i in range(n)
    ]


def test_vocabulary_comes_from_instruction_then_caption():
    assert caption_phrases(
        "A red block and a blue bowl on a wooden table, next to a robot gripper."
    ) == ["red block", "blue bowl", "wooden table"]
    assert object_vocabulary(
        "put carrot on plate", "a carrot on a plate near a sink", exclude="robot gripper"
    ) == ["carrot", "plate", "sink"]
    assert object_vocabulary("", None) == []


def test_select_boxes_labels_thresholds_clips_and_drops_duplicates():
    boxes = np.array(
        [[0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 10], [50, 50, 90, 90], [5, 5, 6, 6]],
        dtype=float,
    )
    pmax = np.array([[0.9, 0.1], [0.8, 0.1], [0.1, 0.7], [0.6, 0.2], [0.2, 0.25]])
    pmean = pmax.copy()
    pmean[3, 0] = 0.1  # phrase support below the text threshold
    kept = select_boxes(
        pmax, pmean, boxes, ["cup", "sink"], (64, 64), box_threshold=0.3, text_threshold=0.2
    )
    assert [(b.label, round(b.score, 2)) for b in kept] == [
        ("cup", 0.9),
        ("sink", 0.7),
    ]  # the 0.8 cup overlaps the 0.9 one
    clipped = select_boxes(pmax[3:4], pmax[3:4], boxes[3:4], ["cup", "sink"], (64, 64), 0.3, 0.2)
    assert clipped[0].box == (50.0, 50.0, 64.0, 64.0)


@pytest.mark.parametrize("name", ["grounding-dino", "owlv2"])
def test_detector_boxes_are_in_pixels_of_each_frame_with_its_own_labels(models, name):
    detector = build_detector(name, models[name], box_threshold=0.0, text_threshold=0.0)
    images = frames(3)
    vocabularies = [["cup", "sink"], ["carrot"], ["pot", "robot gripper"]]
    found = detector.detect(images, vocabularies)
    assert len(found) == 3 and any(found)
    for boxes, vocabulary in zip(found, vocabularies, strict=True):
        for box in boxes:
            assert box.label in vocabulary and 0.0 <= box.score <= 1.0
            x0, y0, x1, y1 = box.box
            assert 0 <= x0 < x1 <= 80 and 0 <= y0 < y1 <= 48


def test_batched_and_single_frame_detection_agree(models):
    detector = build_detector(
        "grounding-dino", models["grounding-dino"], box_threshold=0.0, text_threshold=0.0
    )
    images = frames(3, 64, 64)
    vocabulary = ["cup", "sink", "robot gripper"]
    batched = detector.detect(images, [vocabulary] * 3)
    single = [detector.detect([image], [vocabulary])[0] for image in images]
    for a, b in zip(batched, single, strict=True):
        assert [x.label for x in a] == [x.label for x in b]
        np.testing.assert_allclose([x.box for x in a], [x.box for x in b], atol=1e-2)


def test_perceiver_separates_the_gripper_and_puts_its_point_on_the_sam_mask(models):
    config = PerceptionConfig(
        detector="grounding-dino",
        detector_model=models["grounding-dino"],
        segmenter="sam",
        segmenter_model=models["sam"],
        box_threshold=0.0,
        text_threshold=0.0,
    )
    results = FramePerceiver(config)(
        [FrameTask(t, image, ("cup", "sink")) for t, image in enumerate(frames(4, 64, 64))]
    )
    assert [r.step for r in results] == [0, 1, 2, 3]
    for r in results:
        assert all(b.label in ("cup", "sink") for b in r.boxes)
        assert (r.gripper_box is None) == (r.gripper_point is None)
        if r.gripper_point is not None:
            x0, y0, x1, y1 = r.gripper_box.box
            assert x0 - 1 <= r.gripper_point[0] <= x1 + 1 and y0 - 1 <= r.gripper_point[1] <= y1 + 1


def test_mask_point_lies_on_the_mask_inside_the_box():
    mask = np.zeros((20, 20), dtype=bool)
    mask[2:5, 2:17] = True  # a bar, centre (9, 3)
    mask[15:18, 15:18] = True  # a blob outside the box
    assert mask_point(mask, (0, 0, 19, 8)) == (9.0, 3.0)
    assert mask_point(np.zeros((20, 20), dtype=bool), (2, 4, 6, 8)) == (4.0, 6.0)


def test_wrong_frame_shape_and_empty_vocabulary_are_refused(models):
    detector = build_detector("owlv2", models["owlv2"], 0.3, 0.2)
    with pytest.raises(ValueError, match=r"\(H, W, 3\) uint8"):
        detector.detect([np.zeros((64, 64), dtype=np.uint8)], [["cup"]])
    with pytest.raises(ValueError, match=r"\(H, W, 3\) uint8"):
        detector.detect([np.zeros((64, 64, 3), dtype=np.float32)], [["cup"]])
    with pytest.raises(ValueError, match="empty vocabulary"):
        detector.detect(frames(1), [[" "]])


def _episode(images: list[bytes], instruction: str, size=(64, 64)) -> Episode:
    n = len(images)
    zeros = np.zeros((n, 3), dtype=np.float32)
    flags = np.zeros(n, dtype=bool)
    return Episode(
        "k",
        "d",
        instruction,
        images,
        size,
        np.zeros((n, 7), np.float32),
        np.zeros((n, 7), np.float32),
        (ArmTrack("arm", zeros, zeros, np.ones(n, np.float32), None, "state"),),
        flags,
        flags,
        flags,
    )


def _jpeg(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_episode_with_a_wrong_sized_frame_no_vocabulary_or_a_broken_frame_is_quarantined():
    config = PerceptionConfig(detector="owlv2")
    with pytest.raises(
        EpisodeError, match="frame 1 is 32x32, the episode's camera is 64x64"
    ) as bad_size:
        list(episode_frames(_episode([_jpeg(64, 64), _jpeg(32, 32)], "put cup in sink"), config))
    assert bad_size.value.stage == "frames"
    with pytest.raises(EpisodeError, match="name no object") as empty:
        list(episode_frames(_episode([_jpeg(64, 64)], "   "), config))
    assert empty.value.stage == "vocabulary"
    with pytest.raises(EpisodeError, match="frame 0 cannot be decoded"):
        list(episode_frames(_episode([b"not a jpeg"], "put cup in sink"), config))
    decoded = list(episode_frames(_episode([_jpeg(64, 64)] * 2, "put cup in sink"), config))
    assert [f.vocabulary for f in decoded] == [("cup", "sink")] * 2 and decoded[0].image.shape == (
        64,
        64,
        3,
    )


def test_a_model_folder_that_is_not_a_detector_is_refused_before_work(models, tmp_path):
    with pytest.raises(InputError, match="'sam' model, not a grounding-dino detector"):
        check_perception(PerceptionConfig(detector="grounding-dino", detector_model=models["sam"]))
    with pytest.raises(InputError, match="no config.json"):
        check_perception(PerceptionConfig(detector="owlv2", detector_model=str(tmp_path)))
    with pytest.raises(InputError, match="not SAM|not a SAM"):
        check_perception(
            PerceptionConfig(
                detector="owlv2",
                detector_model=models["owlv2"],
                segmenter="sam",
                segmenter_model=models["owlv2"],
            )
        )
    with pytest.raises(InputError, match="needs a detector"):
        check_perception(PerceptionConfig(segmenter="sam"))


def test_missing_weights_stop_with_one_line_naming_model_place_and_flag(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(MissingWeightsError) as missing:
        check_perception(PerceptionConfig(detector="grounding-dino"))
    message = str(missing.value)
    assert (
        "IDEA-Research/grounding-dino-tiny" in message
        and "Hugging Face cache" in message
        and "--detector-model PATH" in message
    )
    assert "\n" not in message
    with pytest.raises(MissingWeightsError, match="does not exist"):
        check_perception(PerceptionConfig(detector="owlv2", detector_model="/no/such/folder"))


def test_the_gripper_track_follows_the_arm_the_detections_fit():
    from ecot_annotate.episode import Annotation
    from ecot_annotate.sample.generate import Camera

    n, rng = 30, np.random.default_rng(0)
    camera = Camera.look_at(np.array([0.75, 0.0, 0.45]), np.array([0.3, 0.0, 0.02]))

    def arm(name: str) -> ArmTrack:
        xyz = np.column_stack(
            [rng.uniform(0.2, 0.4, n), rng.uniform(-0.15, 0.15, n), rng.uniform(0.02, 0.2, n)]
        )
        return ArmTrack(name, xyz, np.zeros((n, 3)), np.ones(n), None, "state")

    left, right = arm("left"), arm("right")
    seen = camera.project(right.xyz)  # the camera sees the right gripper
    episode = _episode([b""] * n, "fold the towel", size=(256, 256))
    results = [FrameResult(t, [], None, tuple(seen[t])) for t in range(n)]
    config = PerceptionConfig(detector="grounding-dino")
    episode.arms = (left, right)
    annotation = assemble(episode, results, config, Annotation())
    assert np.allclose(annotation.gripper, seen, atol=0.5)
    assert annotation.provenance["gripper_fit"].startswith("right arm, ransac-projective: ")
    unknown = ArmTrack("left", None, None, np.ones(n), np.zeros((n, 6)), "joint speed")
    episode.arms = (unknown, replace(unknown, name="right"))
    annotation = assemble(episode, results, config, Annotation())
    assert annotation.gripper is None and annotation.gripper_reason == NO_POSE
