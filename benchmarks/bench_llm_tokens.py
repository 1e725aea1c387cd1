"""Completion tokens per episode: our token-lean answer shape vs the original ECoT per-step shape.

Both answers carry the same reasoning (the rule reasoner's text for the same episodes), so only
the shape differs:

- ECoT: what the original prompt asked for: a markdown overview (the task, the high-level
  movements with their step intervals and justifications), then a Python dict with one string
  per step, each repeating the task, plan, subtask and its reason in <task>...</move_reason>
  tags, then FINISHED. The ratio is also printed for the per-step dict alone (a lower bound).
- ours: schemas/llm_answer.json: the task once, then one item per run of identical moves (its
  subtask, the subtask's reason, the move's reason); no step numbers, no move names.

Tokens are counted with one tokenizer for both: a byte-level BPE (the `tokenizers` library, the
scheme GPT-2/Llama-3 class models use) trained here on the distinct sentences of both answers, so
repetition cannot buy the baseline whole-phrase tokens. tiktoken is not used: it downloads its
vocabularies. Characters are printed too, as a tokenizer-free check.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.data import BRIDGE, decoded_episodes
from benchmarks.results import Row

TARGET = 5.0


def episodes(folder: Path, profile: str) -> list:
    from ecot_annotate.episode import Annotation
    from ecot_annotate.geometry.motion import episode_primitives
    from ecot_annotate.reasoners.rules import RuleReasoner

    return [
        RuleReasoner().reason(e, Annotation(arm_primitives=episode_primitives(e.arms))).reasoning
        for e in decoded_episodes(folder, profile)
    ]


def ecot_overview(steps) -> str:
    """The markdown overview the original prompt asked for before the per-step dict."""
    lines = ["## Task", "", steps[0].task, "", "## High-level movements", ""]
    starts = [t for t, s in enumerate(steps) if t == 0 or s.subtask != steps[t - 1].subtask]
    for i, start in enumerate(starts):
        end = (starts[i + 1] if i + 1 < len(starts) else len(steps)) - 1
        lines.append(
            f"{i + 1}. **{steps[start].subtask}** (steps {start}-{end}): {steps[start].subtask_reason}"
        )
    return "\n".join(lines) + "\n\n"


def ecot_answer(steps) -> str:
    """The per-step dict the original ECoT prompt asked for, after its overview."""
    lines = ["```python", "{"]
    for t, s in enumerate(steps):
        lines.append(
            f'    {t}: "<task>{s.task}</task><plan>{s.plan}</plan><subtask>{s.subtask}</subtask>'
            f"<subtask_reason>{s.subtask_reason}</subtask_reason><move>{s.move}</move>"
            f'<move_reason>{s.move_reason}</move_reason>",'
        )
    lines += ["}", "```", "FINISHED"]
    return "\n".join(lines)


def lean_answer(steps) -> str:
    """The same reasoning in our answer shape (schemas/llm_answer.json), as a model would write it."""
    from ecot_annotate.reasoners.answer_text import answer_text

    return answer_text(steps)


def train_tokenizer(texts: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=2048, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


def distinct_lines(answers: list[str]) -> list[str]:
    """Each sentence/line once: the tokenizer learns the vocabulary, not the repetition."""
    pieces = set()
    for answer in answers:
        for line in answer.replace("<", "\n<").replace('", "', '"\n"').splitlines():
            pieces.add(line)
    return sorted(pieces)


def measure(label: str, reasonings: list) -> Row:
    per_step = [ecot_answer(r) for r in reasonings]
    ecot = [ecot_overview(r) + a for r, a in zip(reasonings, per_step, strict=True)]
    ours = [lean_answer(r) for r in reasonings]
    tokenizer = train_tokenizer(distinct_lines(ecot + ours))

    def tokens(texts: list[str]) -> float:
        return sum(len(tokenizer.encode(t).ids) for t in texts) / len(texts)

    ecot_tokens, per_step_tokens, our_tokens = tokens(ecot), tokens(per_step), tokens(ours)
    steps = sum(len(r) for r in reasonings) / len(reasonings)
    ratio = ecot_tokens / our_tokens
    chars = sum(map(len, ecot)) / sum(map(len, ours))
    print(
        f"   {label}: fewer tokens, target >= {TARGET:.0f}x: {'met' if ratio >= TARGET else 'NOT met'}; "
        f"{steps:.0f} steps per episode on average; {chars:.1f}x fewer characters; "
        f"ECoT's per-step dict alone {per_step_tokens:.0f} tokens ({per_step_tokens / our_tokens:.1f}x ours)"
    )
    return Row(
        f"LLM completion tokens per episode, {label} ({len(reasonings)} episodes), one BPE tokenizer",
        f"ECoT-style answer (overview + per-step dict) {ecot_tokens:.0f}",
        f"our answer shape {our_tokens:.0f}",
        f"{ratio:.1f}x fewer",
    )


def main() -> list[Row]:
    print(
        "   tokenizer: byte-level BPE (tokenizers), 2048 tokens, trained on both shapes' distinct lines"
    )
    rows = []
    if (BRIDGE / "dataset_info.json").is_file():
        rows.append(measure("bridge_debug", episodes(BRIDGE, "bridge")))
    from ecot_annotate.sample.generate import write_sample

    with tempfile.TemporaryDirectory() as folder:
        rows.append(
            measure(
                "generated sample",
                episodes(write_sample(folder, episodes=8, seed=0), "ecot_sample"),
            )
        )
    return rows
