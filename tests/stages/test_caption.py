"""Scene captions: a tiny random LLaVA through transformers, and an OpenAI-compatible loopback
server, each through the whole pipeline; the caption reaches Parquet, the ECoT JSON, the
detector's vocabulary and the LLM prompt."""

from __future__ import annotations

import base64
import json

import pytest

from ecot_annotate.config import AnnotateConfig, LLMConfig, PerceptionConfig
from ecot_annotate.errors import EcotError, EpisodeError, InputError, MissingWeightsError
from ecot_annotate.stages.validate import NO_DETECTOR
from ecot_annotate.store.run_output import open_steps
from ecot_annotate.text.vocabulary import caption_phrases
from pipelines.run import run
from tests.support import tiny_models
from tests.support.llm_servers import ScriptedServer, completion, episode_data, error, valid


def check_perception(config, llm=None) -> None:
    """The validator's perception checks, raised as a run would raise them."""
    from ecot_annotate.config import LLMConfig
    from ecot_annotate.validate import check_perception as problems
    from ecot_annotate.validate import raise_problems

    raise_problems(list(problems(config, llm or LLMConfig())))


CAPTION = "A red sponge and a wooden spoon beside a silver pot."


@pytest.fixture(scope="module")
def tiny_llava(tmp_path_factory):
    from ecot_annotate.backends.captioner import caption_prompt
    from tests.support.tiny_llava import build_tiny_llava

    return build_tiny_llava(
        tmp_path_factory.mktemp("llava"), [caption_prompt()[0], CAPTION], image_size=32
    )


def _rows(out, *columns: str) -> list[dict]:
    return open_steps(out).to_table(columns=["episode_key", "step", *columns]).to_pylist()


def _is_caption_request(request: dict) -> bool:
    return isinstance(request["messages"][0]["content"], list)


def test_transformers_captioner_fills_the_caption_of_every_step(bridge_dir, tiny_llava, tmp_path):
    perception = PerceptionConfig(captioner="transformers", captioner_model=str(tiny_llava))
    summary = run(
        AnnotateConfig(input=str(bridge_dir), out=str(tmp_path), limit=2, perception=perception)
    )
    assert summary["episodes_out"] == 2 and summary["episodes_quarantined"] == 0
    assert summary["stage_seconds"]["caption"]["count"] == 2
    rows = _rows(tmp_path, "caption", "captioner", "gripper_reason", "gripper_fit_rms_px")
    assert len(rows) == 20
    for row in rows:
        assert row["caption"] and row["captioner"] == f"transformers:{tiny_llava}"
        assert row["gripper_reason"] == NO_DETECTOR and row["gripper_fit_rms_px"] is None
    captions = {r["episode_key"]: r["caption"] for r in rows}
    entries = json.loads((tmp_path / "ecot" / "reasonings.json").read_text())
    assert sorted(
        e["metadata"]["caption"] for per in entries.values() for e in per.values()
    ) == sorted(captions.values())


def test_openai_captioner_feeds_parquet_vocabulary_and_llm_prompt(bridge_dir, tmp_path):
    detector = tiny_models.grounding_dino(tmp_path / "gd")

    def script(n, request, headers):
        return (200, completion(CAPTION), 0.0) if _is_caption_request(request) else valid(request)

    perception = PerceptionConfig(
        captioner="openai",
        detector="grounding-dino",
        detector_model=str(detector),
        box_threshold=0.0,
        text_threshold=0.0,
    )
    with ScriptedServer(script) as server:
        llm = LLMConfig(base_url=server.base_url, model="scripted", cache=False, timeout_s=10.0)
        summary = run(
            AnnotateConfig(
                input=str(bridge_dir),
                out=str(tmp_path / "out"),
                limit=2,
                reasoner="llm",
                llm=llm,
                perception=perception,
            )
        )
    assert summary["episodes_out"] == 2 and summary["episodes_quarantined"] == 0
    rows = _rows(tmp_path / "out", "caption", "captioner", "bboxes", "image", "reasoning_source")
    assert {r["caption"] for r in rows} == {CAPTION}
    assert {r["captioner"] for r in rows} == {"openai:scripted"}
    assert {r["reasoning_source"] for r in rows} == {"llm"}
    labels = {box["label"] for r in rows for box in r["bboxes"]}
    assert labels & set(caption_phrases(CAPTION)), labels  # the caption's objects were asked for

    asked = [r["body"] for r in server.requests]
    images = [
        part["image_url"]["url"]
        for body in asked
        if _is_caption_request(body)
        for part in body["messages"][0]["content"]
        if part["type"] == "image_url"
    ]
    first_frames = {r["image"] for r in rows if r["step"] == 0}
    assert len(images) == 2 and all(url.startswith("data:image/jpeg;base64,") for url in images)
    assert {base64.b64decode(url.split(",", 1)[1]) for url in images} == first_frames
    prompts = [episode_data(body) for body in asked if not _is_caption_request(body)]
    assert len(prompts) == 2 and all(p["caption"] == CAPTION for p in prompts)


def test_a_caption_that_cannot_be_had_quarantines_the_episode_with_the_reason(bridge_dir, tmp_path):
    def script(n, request, headers):
        if n == 0:
            return 200, completion("  \n "), 0.0
        return error(400, "this model takes no images")

    with ScriptedServer(script) as server:
        summary = run(
            AnnotateConfig(
                input=str(bridge_dir),
                out=str(tmp_path),
                limit=2,
                perception=PerceptionConfig(captioner="openai", captioner_model="scripted"),
                llm=LLMConfig(base_url=server.base_url, max_retries=0),
                allow_quarantine=True,
            )
        )
    assert summary["episodes_out"] == 0 and summary["episodes_quarantined"] == 2
    reasons = " | ".join(summary["quarantine_reasons"])
    assert "caption: the captioner answered with an empty caption" in reasons
    assert "caption: rejected: HTTP 400" in reasons


def test_captioner_settings_are_checked_before_any_work(monkeypatch, tmp_path):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(MissingWeightsError, match="--captioner-model PATH"):
        check_perception(PerceptionConfig(captioner="transformers"))
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "sam"}))
    with pytest.raises(InputError, match=r"not a captioner \(image-text-to-text\)"):
        check_perception(PerceptionConfig(captioner="transformers", captioner_model=str(tmp_path)))
    with pytest.raises(EcotError, match="needs --captioner-model"):
        check_perception(PerceptionConfig(captioner="openai"), LLMConfig())
    with pytest.raises(EcotError, match=r"--captioner openai with OpenAI's API needs a key"):
        check_perception(PerceptionConfig(captioner="openai", captioner_model="gpt-4o-mini"))


def test_caption_stage_refuses_an_undecodable_first_frame():
    from ecot_annotate.backends.captioner import image_data_url

    with pytest.raises(EpisodeError, match="first frame cannot be read"):
        image_data_url(b"not an image")
