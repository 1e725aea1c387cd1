"""Subtask boundaries against hand labels of real recordings (benchmarks/labels/), and against the
truth of the generated samples recorded as real ones are (so101-noisy, and so101-bimanual: two
arms working together).

Each labelled dataset is annotated the default way, from its path with the rules reasoner and no
detector (the camera is not read: without a detector no frame places a boundary), and scored with
`score --labels` at +-0.5 s and +-1 s. The datasets are public LeRobot recordings kept on GitHub;
they are read from $ECOT_LABELLED_DATA (default ../labelled-data beside the checkout), one folder
each, fetched as `fetch_hint` says. A dataset that is not there is skipped with that line.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.results import REPO, Row

LABELS = REPO / "benchmarks" / "labels"
TARGET = {0.5: 0.5, 1.0: 0.7}  # F1 the labelled datasets must reach at each tolerance


@dataclass(frozen=True)
class Labelled:
    folder: str  # under $ECOT_LABELLED_DATA
    repo: str  # github owner/name
    commit: str
    labels: str  # file in benchmarks/labels
    about: str
    fix: str = ""  # a shell step after the clone ({path}: the clone), where the layout needs one

    def fetch_hint(self, root: Path) -> str:
        clone = (
            f"git clone https://github.com/{self.repo} {root / self.folder} && "
            f"git -C {root / self.folder} checkout {self.commit}"
        )
        return clone + (f" && {self.fix.format(path=root / self.folder)}" if self.fix else "")


DATASETS = (
    Labelled(
        "G1-policy-train",
        "YifanTian07/G1-policy-train",
        "d1d3bb45f16a99eb3220c88b4f84f6c92d306f88",
        "g1_pick_bottle.jsonl",
        "Unitree G1, dexterous hands, picks a bottle, 30 Hz",
    ),
    Labelled(
        "open_50",
        "yipiandanxinxiangyangkai/open_50",
        "6fbd8285973055ac1934f6bf73059dc1bbcbdd36",
        "open_50.jsonl",
        "two arms with hands, one presses a button, 30 Hz",
        "ln -s video {path}/videos  # published as video/, its info.json says videos/",
    ),
)


def data_root() -> Path:
    return Path(os.environ.get("ECOT_LABELLED_DATA") or REPO.parent / "labelled-data")


def score_labelled(path: Path, labels: Path, out: Path) -> dict[float, dict]:
    """Boundary figures of the default run on the labelled episodes, per tolerance (seconds)."""
    from ecot_annotate.config import AnnotateConfig
    from ecot_annotate.inspect.score_run import read_labels, score_run
    from pipelines.run import run

    last = max(int(key.rsplit("/", 1)[-1]) for key in read_labels(labels))
    config = AnnotateConfig(
        input=str(path),
        out=str(out),
        source="lerobot",
        camera="none",
        limit=last + 1,
        formats=("parquet",),
    )
    run(config)
    figures = score_run(out, labels)
    return {float(s): b for s, b in figures["boundaries_at"].items()}


def _measured(found: dict[float, dict], episodes: int) -> str:
    parts = [
        f"F1 {b['f1']} at +-{s:g} s (precision {b['precision']}, recall {b['recall']})"
        for s, b in sorted(found.items())
    ]
    b = found[0.5]
    return "; ".join(parts) + f"; {b['predicted']} predicted, {b['true']} labelled in {episodes} episodes"  # fmt: skip


GENERATED = {  # variant -> what its row says of it
    "so101-noisy": "idle start, missed grasp and retry, pause, jittery gripper, late binary "
    "command), 15 Hz",
    "so101-bimanual": "two arms fold a cloth together, the second 0-0.4 s behind, raw servo "
    "ticks, jittery grippers), 20 Hz",
}


def _generated(folder: Path, variant: str) -> Row:
    from ecot_annotate.config import AnnotateConfig
    from ecot_annotate.inspect.score_run import score_run
    from ecot_annotate.sample.joint_space import write_joint_sample
    from pipelines.run import run

    root, _ = write_joint_sample(folder / variant, variant, episodes=8, seed=0)
    out = folder / f"{variant}-run"
    config = AnnotateConfig(
        input=str(root), out=str(out), source="lerobot", camera="none", formats=("parquet",)
    )
    run(config)
    figures = score_run(out)
    found = {float(s): b for s, b in figures["boundaries_at"].items()}
    return Row(
        f"subtask boundaries, generated {variant} sample ({GENERATED[variant]}",
        "its truth; target F1 >= 0.8 at +-0.5 s",
        _measured(found, 8),
    )


def _command_only(folder: Path) -> Row:
    """The so101-noisy sample (written by `_generated`) read as a Dobot CR5 records: the state
    without its gripper, the gripper only as the action's binary command, 1.0-1.5 s late."""
    from ecot_annotate.inspect.score_run import score_run
    from tests.support.samples import command_only_run

    out = command_only_run(folder / "so101-noisy" / "ecot_sample_so101-noisy", folder)
    found = {float(s): b for s, b in score_run(out)["boundaries_at"].items()}
    return Row(
        "subtask boundaries, generated so101-noisy sample read as a Dobot CR5 records (no gripper "
        "in the state, only the action's binary command, closing 1.0-1.5 s late), 15 Hz",
        "its truth; target F1 >= 0.5 at +-0.5 s, >= 0.7 at +-1 s",
        _measured(found, 8),
    )


def main() -> list[Row]:
    from ecot_annotate.inspect.score_run import read_labels

    root = data_root()
    folder = Path(tempfile.mkdtemp(prefix="ecot-bench-subtasks-"))
    rows = []
    try:
        for data in DATASETS:
            path, labels = root / data.folder, LABELS / data.labels
            if not (path / "meta" / "info.json").is_file():
                print(f"   {data.folder}: skipped, not at {path}; fetch: {data.fetch_hint(root)}")
                continue
            found = score_labelled(path, labels, folder / data.folder)
            target = ", ".join(f">= {f} at +-{s:g} s" for s, f in TARGET.items())
            rows.append(
                Row(
                    f"subtask boundaries vs hand labels, {data.folder} ({data.about})",
                    f"target F1 {target}",
                    _measured(found, len(read_labels(labels))),
                )
            )
        rows.extend(_generated(folder, variant) for variant in GENERATED)
        rows.append(_command_only(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows
