"""Our ECoT JSON read the way the ECoT trainer reads it (../shared/ECOT_FORMAT.md, section 2).

The lookup below is written from that description, not from our writer: key
`file_path + "_" + episode_id + "_" + step`, the tags in order, GRIPPER POSITION from five
consecutive entries (the last repeated), VISIBLE OBJECTS as `name [x0, y0, x1, y1]`.
"""

import json

import numpy as np
import pyarrow.parquet as pq

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.episode import AnnotatedEpisode, Box
from ecot_annotate.profiles import load_profile
from ecot_annotate.sinks.ecot_json import episode_entry
from ecot_annotate.sinks.parquet import step_rows
from ecot_annotate.sources.rlds import EpisodeDecoder, RldsDataset, read_shard
from ecot_annotate.stages import annotate
from ecot_annotate.text.chain import TAGS


def trainer_lookup(data: dict) -> dict[str, str]:
    """Every step's chain, keyed as the trainer keys it."""
    chains = {}
    for file_path, episodes in data.items():
        for episode_id, entry in episodes.items():
            features = entry["features"]
            for step, reasoning in entry["reasoning"].items():
                t = int(step)
                parts = [
                    ("TASK:", reasoning["task"]),
                    ("PLAN:", reasoning["plan"]),
                ]
                if features["bboxes"] is not None:
                    parts.append(
                        (
                            "VISIBLE OBJECTS:",
                            ", ".join(f"{name} {box}" for _, name, box in features["bboxes"][t]),
                        )
                    )
                parts += [
                    ("SUBTASK REASONING:", reasoning["subtask_reason"]),
                    ("SUBTASK:", reasoning["subtask"]),
                    ("MOVE REASONING:", reasoning["move_reason"]),
                    ("MOVE:", reasoning["move"]),
                ]
                if features["gripper_position"] is not None:
                    track = features["gripper_position"]
                    future = [track[min(i, len(track) - 1)] for i in range(t, t + 5)]
                    parts.append(("GRIPPER POSITION:", str([v for xy in future for v in xy])))
                for _, text in parts:
                    assert "@" not in text
                chains[f"{file_path}_{episode_id}_{step}"] = " ".join(
                    f"{tag} {text}" for tag, text in parts
                )
    return chains


def test_every_step_loads_through_the_trainer_lookup(bridge_run):
    data = json.loads((bridge_run / "ecot" / "reasonings.json").read_text())
    chains = trainer_lookup(data)
    assert len(chains) == 250
    table = pq.read_table(str(bridge_run / "parquet")).to_pylist()
    for row in table:
        key = f"{row['file_path']}_{row['episode_id']}_{row['step']}"
        assert chains[key] == row["chain"]
        for tag in ("TASK:", "PLAN:", "SUBTASK REASONING:", "SUBTASK:", "MOVE REASONING:", "MOVE:"):
            assert tag in chains[key]
    entry = next(iter(next(iter(data.values())).values()))
    assert "gripper_positions" not in entry["features"]  # the trainer reads gripper_position


def _annotated(sample_dir, instruction: str) -> AnnotatedEpisode:
    dataset = RldsDataset.open(str(sample_dir))
    shard = dataset.shards[0]
    pos, raw, _ = next(read_shard(shard))
    episode = EpisodeDecoder(dataset, load_profile("ecot_sample")).decode(raw, shard, pos)
    episode.instruction = instruction
    return AnnotatedEpisode(episode, annotate(AnnotateConfig(input="", out=""), episode))


def test_no_at_sign_reaches_any_text_field(sample_dir):
    annotated = _annotated(sample_dir, "put the cup @ the sink into the bowl@home")
    n = annotated.episode.n_steps
    annotated.annotation.caption = "a table @ noon"
    annotated.annotation.bboxes = [[Box("cup@1", 0.9, (1, 2, 30, 40))] for _ in range(n)]
    annotated.annotation.gripper = np.tile([[10.4, 20.6]], (n, 1))
    entry = episode_entry(annotated)
    assert "@" not in json.dumps(entry)
    for row in step_rows(annotated):
        assert all("@" not in str(v) for k, v in row.items() if k not in ("image", "instruction"))
    chains = trainer_lookup({"f": {"0": entry}})
    assert chains["f_0_0"] == step_rows(annotated)[0]["chain"]
    assert "GRIPPER POSITION: [10, 21, 10, 21, 10, 21, 10, 21, 10, 21]" in chains["f_0_0"]
    assert "VISIBLE OBJECTS: cup at 1 [1, 2, 30, 40]" in chains["f_0_0"]


def test_chain_tags_in_ecot_order():
    expected = "TASK: PLAN: VISIBLE OBJECTS: SUBTASK REASONING: SUBTASK: MOVE REASONING: MOVE: GRIPPER POSITION: ACTION:"
    assert " ".join(TAGS) == expected
