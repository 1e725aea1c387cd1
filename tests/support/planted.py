"""A run of the generated sample with planted defects (sample/plant.py), made by the real pipeline:
the review queue's test and benchmark measure where the planted episodes land."""

from __future__ import annotations

from pathlib import Path

from ecot_annotate.sample.plant import (
    INVERTED_GRIPPER,
    JITTERED_STATE,
    SHIFTED_SUBTASK,
    WRONG_DIRECTION,
    plant_chains,
    recording_planter,
)

PLANTED = {7: SHIFTED_SUBTASK, 22: WRONG_DIRECTION, 38: INVERTED_GRIPPER, 51: JITTERED_STATE}
EPISODES = 60  # 56 clean: the top 10% of the queue is 6 episodes


def planted_run(
    folder: Path, episodes: int = EPISODES, planted: dict[int, str] = PLANTED, seed: int = 0
) -> tuple[Path, dict[str, str]]:
    """Write the sample with the recording defects, annotate it (rules), plant the chain defects
    in the committed annotations and annotate again, which writes every format from them; return
    the run folder and the planted defect of each planted episode's key."""
    import pyarrow.dataset as pads

    from ecot_annotate.config import AnnotateConfig
    from ecot_annotate.sample.generate import write_sample
    from pipelines.run import run

    source = write_sample(
        folder / "sample", episodes=episodes, seed=seed, plant=recording_planter(planted, seed)
    )
    out = folder / "run"
    config = AnnotateConfig(input=str(source), out=str(out))
    run(config)
    table = pads.dataset(str(out / "parquet")).to_table(columns=["episode_key", "episode_id"])
    keys = dict(zip(table.column("episode_id").to_pylist(), table.column("episode_key").to_pylist(), strict=True))  # fmt: skip
    by_key = {keys[str(index)]: defect for index, defect in planted.items()}
    plant_chains(str(out), by_key)
    run(config)
    return out, by_key
