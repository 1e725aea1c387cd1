"""The dry-run estimate: counts from the episodes read, tokens from the real prompt, time from bench."""

import json

from ecot_annotate.config import AnnotateConfig, LLMConfig, PerceptionConfig
from ecot_annotate.estimate import estimate, read_rates, token_counter
from ecot_annotate.profiles import load_profile
from ecot_annotate.sources.rlds import EpisodeDecoder, RldsDataset, read_shard


def _episodes(sample_dir, n=2):
    dataset = RldsDataset.open(str(sample_dir))
    decoder = EpisodeDecoder(dataset, load_profile("ecot_sample"))
    shard = dataset.shards[0]
    return [decoder.decode(raw, shard, pos) for pos, raw, _ in list(read_shard(shard))[:n]]


def test_offline_run_counts_steps_and_no_tokens(sample_dir):
    read = _episodes(sample_dir)
    result = estimate(AnnotateConfig(input="x", out="y"), 100, read)
    assert result.steps == round(sum(e.n_steps for e in read) / 2 * 100)
    assert not result.steps_exact
    assert (result.detector_frames, result.llm_requests, result.prompt_tokens) == (0, 0, 0)
    assert result.rates.startswith("none measured")


def test_llm_and_detector_runs_are_sized_and_timed(sample_dir, tmp_path):
    read = _episodes(sample_dir)
    config = AnnotateConfig(
        input="x",
        out="y",
        reasoner="llm",
        llm=LLMConfig(model="some-remote-model"),
        perception=PerceptionConfig(detector="grounding-dino"),
    )
    rates_file = tmp_path / "rates.json"
    rates_file.write_text(
        json.dumps({"offline_steps_per_s": 100.0, "detector_frames_per_s": 10.0, "machine": "m"})
    )
    result = estimate(config, 10, read, steps=1000, rates=read_rates(rates_file))
    assert result.steps == 1000 and result.detector_frames == 1000 and result.llm_requests == 10
    assert result.prompt_tokens > 10 * 500  # the system prompt alone is hundreds of tokens
    assert result.completion_tokens > 10 * 100  # subtasks and move reasons for ~50 steps
    assert result.token_count.startswith("approximate")
    assert result.seconds == {"pipeline": 10.0, "detector": 100.0, "llm": None}
    assert "make bench on m" in result.rates


def test_a_local_model_counts_with_its_own_tokenizer(tmp_path):
    from transformers import BertTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "red", "block", "##s"]
    (tmp_path / "vocab.txt").write_text("\n".join(words))
    BertTokenizerFast(vocab=str(tmp_path / "vocab.txt")).save_pretrained(tmp_path / "model")
    count, method = token_counter(str(tmp_path / "model"))
    assert method == f"tokenizer of {tmp_path / 'model'}"
    assert count("red blocks") == 5  # [CLS] red block ##s [SEP]
