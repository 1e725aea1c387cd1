# Long file: every kind of evidence the review queue weighs, beside the one scale they share.
"""Evidence that an episode's chain is wrong, each piece with its weight: what the review queue
ranks by.

An episode's score is the sum of its evidence's weights. A weight is a class times a strength,
and neither is fitted to any data set:

- The class says how directly the evidence speaks of the chain, and doubles from one class to
  the next, so one piece of a higher class outweighs any one of a lower class and two of a lower
  class weigh as much as one of the next:
  - CONTRADICTS (4): the chain says what the measured motion, or the text checks, deny: a
    plan/motion disagreement (`text.plan_motion`), a subtask that names a grasp or a release
    while the gripper does not close or open in it (where the moves can name the gripper), a
    gripper that opens after the last grasp of a chain that never lets go, a text that fails a
    check (`text.checks`).
  - SUSPECT (2): what the chain was written from, or by, is suspect: subtask starts the signals
    leave open over a stretch (an act somewhere in a long stop, a grasp back-dated from a late
    command), motion far from the run's other episodes, a track from approximate units,
    integrated deltas or joint speed alone, an LLM answer that fell back to the rules or had
    texts repaired or written by the rules.
  - WITHOUT (1): the chain was written without something it could have used, or next to
    something that failed: the gripper not tracked or badly fitted, steps without boxes, a
    quarantined neighbour.
- The strength (0..1) says how much of it there is: `strength(amount, half)` is 1/2 at a natural
  unit of the evidence and grows towards 1 beyond it, so more evidence always weighs more but one
  kind cannot swamp the others. Evidence on steps or texts is measured as a share of the
  episode's steps or texts (a long episode has more of both), and its unit is one primitive
  window of the episode's steps (the steps one move looks ahead over, from the run's motion
  settings) or one of its texts; texts an LLM answer left to repair count one by one; an
  outlier's unit is its robust z-score as far again beyond the cut-off as the cut-off itself.
  Evidence that is there or not (a fallback, an untracked gripper) has strength 1.
- The queue ranks the episodes of one run, so an amount counts beyond the run's median amount of
  its kind (0 for the episodes without it): what most of the run shows (a text check every chain
  of the run fails, a track from joint speed alone in every episode) is the run's trouble, which
  `stats` reports; it weighs only where an episode has more of it than most, and its reason
  gives the run's median. Its unit is then no smaller than the run's spread of that amount
  (1.4826 times its MAD over every episode): where every chain fails a quarter of its texts,
  one that fails a few more is within the run's chance, not one text's worth of news each.

Outliers are found with the modified z-score (Iglewicz and Hoaglin): 0.6745 (x - median) / MAD
over the run's episodes, each figure apart, and an episode is an outlier on a figure past
|z| = 3.5, their cut-off. The figures: how the episode moved (`geometry.motion_stats`, which the
motion stage keeps: steps, path length, speed, jitter, gripper switches, pause share), how
many subtasks its chain has and how many steps each lasts (`subtask_lengths`; a length is known
to a step, so its spread is never taken below one step). Where half the episodes share a value
(MAD 0), the mean absolute deviation takes its place (times 1.2533, its ratio to the standard
deviation), as they advise: in a run where every episode grasps once, one that grasps twice, or
whose chain has no subtask where the others have three, is an outlier. The share of still steps alone counts chance events
(a speed near the threshold for a step or two), so its spread is never taken below the Poisson
spread of that count (the square root of the median count of still steps). With fewer than
MIN_EPISODES episodes nothing is an outlier: a median of a handful moves with each episode.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import numpy as np

from ecot_annotate.config import MotionConfig
from ecot_annotate.episode import Annotation, Segment, per_arm_parts
from ecot_annotate.inspect.quality import (
    RESIDUAL_FLAG_FRACTION,
    EpisodeQuality,
    episode_quality,
    read_summary,
    summary_event_lead,
)
from ecot_annotate.store.manifest import Manifest
from ecot_annotate.store.run_config import config_from_dict
from ecot_annotate.text.plan_motion import subtasks_without_events

CONTRADICTS = 4.0
SUSPECT = 2.0
WITHOUT = 1.0
OUTLIER_Z = 3.5
MIN_EPISODES = 10
MAD_TO_SD = 1.4826  # the MAD of a normal distribution times this is its standard deviation
MEAN_AD_TO_SD = 1.2533
LETTING_GO = ("release", "retry")  # the segment kinds that open the gripper
SUBTASKS = "subtasks"  # the figures of the chain set beside the motion's: how many subtasks,
LENGTH = "lasts (steps)"  # ... and how long each lasts
# Where a track comes from, when it is not a measured pose: what the provenance says of it.
APPROXIMATE_MOTION = ("approximate", "integrated action deltas", "no kinematic model")
FLAGS = (  # every flag, in the order the queue's filter lists them
    "plan/motion disagreement",
    "subtask without its gripper event",
    "text failing a check",
    "gripper opens while the chain holds",
    "subtask start a guess",
    "fallback",
    "fields repaired",
    "fields from rules",
    "unlike the run's others",
    "approximate motion",
    "gripper not tracked",
    "gripper fit residual",
    "steps without boxes",
    "quarantined neighbour",
)


@dataclass(frozen=True)
class Evidence:
    """One reason to think an episode's chain is wrong, and how much it weighs."""

    flag: str  # one of FLAGS: the kind, for the queue's filter
    reason: str  # what was seen, in words
    weight: float

    @property
    def label(self) -> str:
        return f"{self.reason} · {self.weight:.1f}"


@dataclass(frozen=True)
class Seen:
    """What one episode shows of one kind of evidence, before it is weighed against the run."""

    flag: str
    reason: str
    cls: float  # CONTRADICTS, SUSPECT or WITHOUT
    amount: float = 1.0  # a share of steps or texts, texts, pixels, z; 1 for what is there or not
    unit: float | None = None  # the amount at which the strength is 1/2; None: there or not
    measure: str = ""  # what the amount counts, for the reason: "of the steps", "px past the flag"


@dataclass(frozen=True)
class Outlier:
    """A figure of an episode (of its motion, or its number of subtasks) far from the run's others."""

    figure: str
    value: float
    median: float
    z: float


def strength(amount: float, half: float) -> float:
    """0 for none, 1/2 at `half`, towards 1 beyond."""
    return amount / (amount + half) if amount > 0 else 0.0


def _mad_spread(values: np.ndarray) -> float:
    """The standard deviation that the median absolute deviation estimates."""
    return MAD_TO_SD * float(np.median(np.abs(values - np.median(values))))


def _scale(name: str, values: np.ndarray, figures: dict[str, np.ndarray]) -> float:
    """The spread of one figure over the run (a standard deviation, robustly)."""
    median = float(np.median(values))
    spread = _mad_spread(values)
    if spread == 0:
        spread = MEAN_AD_TO_SD * float(np.mean(np.abs(values - median)))
    if name.endswith(LENGTH):  # a length counted in steps is known to a step at best
        spread = max(spread, 1.0)
    steps = figures.get(name.replace("pause share", "steps"))
    if name.endswith("pause share") and steps is not None:
        length = max(float(np.median(steps)), 1.0)
        spread = max(spread, float(np.sqrt(median * length)) / length)
    return spread


def outliers(figures: dict[str, dict[str, float]]) -> dict[str, list[Outlier]]:
    """Per episode key, its figures that lie past the cut-off, each compared with every episode of
    the run that has the same figure."""
    names = sorted({name for found in figures.values() for name in found})
    columns = {}
    for name in names:
        keys = [k for k, found in figures.items() if name in found]
        columns[name] = (keys, np.array([figures[k][name] for k in keys], dtype=np.float64))
    everything = {n: v for n, (_, v) in columns.items()}
    far: dict[str, list[Outlier]] = {key: [] for key in figures}
    for name, (keys, values) in columns.items():
        if len(values) < MIN_EPISODES:
            continue
        scale = _scale(name, values, everything)
        if scale == 0:
            continue
        median = float(np.median(values))
        for key, value in zip(keys, values, strict=True):
            z = (value - median) / scale
            if abs(z) > OUTLIER_Z:
                far[key].append(Outlier(name, float(value), median, float(z)))
    return far


def quarantined_keys(out: str | Path) -> list[str]:
    """Keys of the episodes the run quarantined."""
    keys = []
    for path in sorted((Path(out) / "quarantine").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                keys.append(json.loads(line).get("key", ""))
    return [k for k in keys if k]


def _neighbours(keys: list[str], quarantined: list[str]) -> set[str]:
    """Annotated episodes next to a quarantined one in key order (the source's order of files)."""
    everything = sorted(set(keys) | set(quarantined))
    bad = set(quarantined)
    near = set()
    for i, key in enumerate(everything):
        if key in bad:
            near.update(everything[max(0, i - 1) : i + 2])
    return near - bad


def _subtask_count(quality: EpisodeQuality) -> int:
    """How many runs of steps with one subtask the chain has."""
    return len(list(groupby(quality.step_texts[t][1] for t in sorted(quality.step_texts))))


def subtask_lengths(segments: list[Segment] | None) -> dict[str, float]:
    """How many steps each subtask of the chain lasts, named by its kind and, from the second
    on, how many of that kind came before it ("grasp", "grasp 2"): a boundary placed wrong makes
    one of its two subtasks longer and the other shorter than the run's subtasks of their kind,
    and one it missed makes the subtask before it last until the next, or the recording's end."""
    seen: Counter[str] = Counter()
    lengths = {}
    for segment in segments or ():
        seen[segment.kind] += 1
        n = seen[segment.kind]
        name = segment.kind if n == 1 else f"{segment.kind} {n}"
        lengths[f"{name} {LENGTH}"] = float(segment.end - segment.start)
    return lengths


def _steps(n: int) -> str:
    return f"{n} step" if n == 1 else f"{n} steps"


def chain_evidence(
    quality: EpisodeQuality, lead: int, window: int, gripper_moves: bool = True
) -> list[Seen]:
    """Where the chain contradicts the motion or fails the text checks. Where the moves cannot
    name the gripper (`gripper_moves` false: the run's profile has it only in the action's
    command), a grasp without a close among them says nothing of the chain."""
    n = max(quality.n_steps, 1)
    found = []
    if quality.disagreeing_steps:
        kinds = ", ".join(f"{k} ({n})" for k, n in quality.disagreements.most_common())
        found.append(
            Seen(
                "plan/motion disagreement",
                f"plan/motion disagreement on {_steps(quality.disagreeing_steps)}: {kinds}",
                CONTRADICTS,
                quality.disagreeing_steps / n,
                window / n,
                "of the steps",
            )
        )
    steps = sorted(quality.step_texts)
    missing = (
        subtasks_without_events(
            [quality.step_primitives[t] for t in steps],
            [quality.step_texts[t][1] for t in steps],
            lead,
        )
        if gripper_moves
        else []
    )
    if missing:
        apart = sum(m.last - m.first + 1 if m.distance is None else m.distance for m in missing)
        said = "; ".join(
            f"'{m.subtask}' (steps {m.first}-{m.last}) holds no {m.event} of the gripper"
            + ("" if m.distance is None else f", the nearest is {_steps(m.distance)} away")
            for m in missing
        )
        found.append(
            Seen(
                "subtask without its gripper event",
                said,
                CONTRADICTS,
                apart / n,
                window / n,
                "of the steps",
            )
        )
    checks = quality.text_checks
    if checks.failing:
        failed = ", ".join(
            f"{name.replace('_', ' ')} ({n})"
            for name, n in Counter(checks.by_check).most_common()
            if n
        )
        texts = "text" if checks.failing == 1 else "texts"
        found.append(
            Seen(
                "text failing a check",
                f"{checks.failing} {texts} failing a check: {failed}",
                CONTRADICTS,
                checks.failing / checks.fields,
                1 / checks.fields,
                "of the texts",
            )
        )
    return found


def segment_evidence(
    segments: list[Segment] | None, primitives: dict[int, str], window: int
) -> list[Seen]:
    """What the segmenter had to guess or pass over: subtask starts its signals leave open
    (where in a stretch of stillness a press began, how long before a late command a grasp did),
    and a gripper that opens after the chain's last grasp where the chain never lets go (a
    release it missed; the text may name the opening, the subtasks still hold on)."""
    found = []
    open_ = [s for s in segments or () if s.unsure]
    if open_:
        said = "; ".join(f"{s.kind} at {s.start}, open over {_steps(s.unsure)}" for s in open_)
        found.append(
            Seen(
                "subtask start a guess",
                f"subtask start a guess: {said}",
                SUSPECT,
                sum(s.unsure for s in open_),
                window,
                "steps",
            )
        )
    grasps = [i for i, s in enumerate(segments or ()) if s.kind == "grasp"]
    if grasps and not any(s.kind in LETTING_GO for s in segments[grasps[-1] :]):
        grasp = segments[grasps[-1]]
        arms = set(grasp.arm.split(" and ")) if grasp.arm else None
        opens = [
            t
            for t, move in sorted(primitives.items())
            if t > grasp.end
            and any(
                "open gripper" in part
                for arm, part in per_arm_parts(move).items()
                if arms is None or arm in arms
            )
        ]
        if opens:
            found.append(
                Seen(
                    "gripper opens while the chain holds",
                    f"the gripper opens at step {opens[0]}, after '{grasp.kind}' at "
                    f"{grasp.start}, and no subtask lets go",
                    CONTRADICTS,
                )
            )
    return found


def writer_evidence(quality: EpisodeQuality, provenance: dict[str, str]) -> list[Seen]:
    """What the LLM reasoner could not write itself: a fallback, repaired or rule-written texts."""
    found = []
    if quality.fallback_reason:
        found.append(Seen("fallback", f"fallback: {quality.fallback_reason}", SUSPECT))
    for name in ("fields_repaired", "fields_from_rules"):
        fields = [f for f in (provenance.get(name) or "").split(",") if f]
        if fields:
            flag = name.replace("_", " ")
            found.append(
                Seen(flag, f"{flag}: {', '.join(fields)}", SUSPECT, len(fields), 1, "texts")
            )
    return found


def outlier_evidence(far: list[Outlier]) -> list[Seen]:
    """Motion, or a chain, unlike the run's others."""
    if not far:
        return []
    said = "; ".join(
        f"{o.figure} {o.value:.3g} (run median {o.median:.3g}, z {o.z:+.1f})" for o in far
    )
    farthest = max(abs(o.z) for o in far)
    return [
        Seen(
            "unlike the run's others",
            f"unlike the run's others: {said}",
            SUSPECT,
            farthest - OUTLIER_Z,
            OUTLIER_Z,
            f"past z {OUTLIER_Z:g}",
        )
    ]


def track_evidence(provenance: dict[str, str]) -> list[Seen]:
    """A track that is not a measured pose."""
    source = provenance.get("motion_source", "state")
    if any(marker in source for marker in APPROXIMATE_MOTION):
        return [Seen("approximate motion", f"motion from {source}", SUSPECT)]
    return []


def perception_evidence(quality: EpisodeQuality, perception: bool, window: int) -> list[Seen]:
    """What the chain was written without: the gripper's track, boxes."""
    found = []
    if perception and not quality.gripper_tracked:
        reason = quality.gripper_reason or "gripper not tracked"
        found.append(Seen("gripper not tracked", reason, WITHOUT))
    limit = RESIDUAL_FLAG_FRACTION * quality.image_width
    residual = quality.residual
    if residual is not None and limit and residual > limit:
        found.append(
            Seen(
                "gripper fit residual",
                f"gripper fit residual {residual:.1f} px (flagged above {limit:.1f} px)",
                WITHOUT,
                residual - limit,
                limit,
                "px past the flag",
            )
        )
    if quality.steps_without_boxes:
        found.append(
            Seen(
                "steps without boxes",
                f"{_steps(quality.steps_without_boxes)} without boxes",
                WITHOUT,
                quality.steps_without_boxes / max(quality.n_steps, 1),
                window / max(quality.n_steps, 1),
                "of the steps",
            )
        )
    return found


def _common(seen: Seen, median: float) -> str:
    """What most of the run shows of this kind, said after the reason."""
    if seen.unit is None:
        return " (as in most of the run)"
    if seen.measure.startswith("of the"):
        return f" (run median {median:.0%} {seen.measure})"
    return f" (run median {median:.3g} {seen.measure})"


def weigh(seen: list[list[Seen]]) -> list[list[Evidence]]:
    """Each episode's evidence weighed by what sets it apart from the run: an amount counts beyond
    the run's median amount of its kind (0 for the episodes without it), in units no smaller than
    the run's spread of that amount."""
    flags = {s.flag for found in seen for s in found}
    amounts = [{s.flag: s.amount for s in found} for found in seen]
    column = {f: np.array([a.get(f, 0.0) for a in amounts]) for f in flags}
    baseline = {f: float(np.median(v)) for f, v in column.items()}
    spread = {f: _mad_spread(v) for f, v in column.items()}
    weighed = []
    for found in seen:
        evidence = []
        for s in found:
            common = baseline[s.flag]
            beyond = s.amount - common
            if s.unit is None:
                part = float(beyond > 0)
            else:
                part = strength(beyond, max(s.unit, spread[s.flag]))
            reason = s.reason + (_common(s, common) if common else "")
            evidence.append(Evidence(s.flag, reason, s.cls * part))
        weighed.append(sorted(evidence, key=lambda e: -e.weight))
    return weighed


def run_evidence(out: str | Path) -> list[tuple[EpisodeQuality, list[Evidence]]]:
    """Every episode the machine annotated (people's corrections not applied), in key order, with
    its evidence, heaviest first."""
    episodes, _ = episode_quality(out, corrected=False)
    summary = read_summary(out)
    lead = summary_event_lead(summary)
    # the steps one primitive looks ahead over (ECoT's for runs that did not record theirs)
    window = int((summary.get("motion") or {}).get("window") or MotionConfig().window)
    perception = any(e.steps_without_boxes is not None or e.gripper_tracked for e in episodes)
    manifest = Manifest(str(out))
    info = manifest.run_info()
    profile = config_from_dict(info["config"]).dataset_profile if info else None
    gripper_moves = profile is None or profile.moves_name_gripper
    annotations: dict[str, Annotation | None] = {e.key: manifest.load(e.key) for e in episodes}
    figures = {
        e.key: {
            **(annotations[e.key].motion_stats if annotations[e.key] is not None else {}),
            SUBTASKS: float(_subtask_count(e)),
            **subtask_lengths(annotations[e.key].segments if annotations[e.key] else None),
        }
        for e in episodes
    }
    far = outliers(figures)
    near = _neighbours([e.key for e in episodes], quarantined_keys(out))
    found = []
    for quality in episodes:
        annotation = annotations[quality.key]
        provenance = annotation.provenance if annotation is not None else {}
        evidence = [
            *chain_evidence(quality, lead, window, gripper_moves),
            *segment_evidence(
                annotation.segments if annotation else None, quality.step_primitives, window
            ),
            *writer_evidence(quality, provenance),
            *outlier_evidence(far[quality.key]),
            *track_evidence(provenance),
            *perception_evidence(quality, perception, window),
        ]
        if quality.key in near:
            evidence.append(Seen("quarantined neighbour", "next to a quarantined episode", WITHOUT))
        found.append(evidence)
    return list(zip(episodes, weigh(found), strict=True))
