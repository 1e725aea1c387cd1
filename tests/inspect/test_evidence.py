"""The evidence the review queue weighs: its scale, and which motion counts as unlike the rest."""

import numpy as np
import pytest

from ecot_annotate.inspect.evidence import (
    MIN_EPISODES,
    OUTLIER_Z,
    outliers,
    strength,
)


def test_strength_is_half_at_its_unit_and_grows_without_reaching_one():
    assert strength(0, 4) == 0
    assert strength(4, 4) == 0.5
    assert strength(1, 4) < strength(10, 4) < strength(100, 4) < 1


def _run(values: list[float], name: str = "jitter", steps: float = 50.0) -> dict:
    return {f"e{i:03d}": {name: v, "steps": steps} for i, v in enumerate(values)}


def test_one_episode_far_from_the_others_is_the_outlier():
    rng = np.random.default_rng(0)
    values = list(rng.normal(0.33, 0.02, 40)) + [1.0]
    found = outliers(_run(values))
    flagged = {key: o for key, o in found.items() if o}
    assert list(flagged) == ["e040"]
    [outlier] = flagged["e040"]
    assert outlier.figure == "jitter" and outlier.z > OUTLIER_Z
    assert outlier.median == pytest.approx(np.median(values))


def test_a_run_that_mostly_agrees_still_has_a_spread():
    """Half the episodes or more at one value: the mean absolute deviation stands in for the MAD."""
    found = outliers(_run([0.3] * 30 + [0.31, 0.9]))
    assert [k for k, o in found.items() if o] == ["e031"]


def test_one_more_grasp_than_every_other_episode_is_an_outlier():
    once = _run([2.0] * 30 + [4.0], name="gripper switches")
    assert [k for k, o in outliers(once).items() if o] == ["e030"]


def test_a_few_more_still_steps_are_chance_and_many_are_not():
    """A share of still steps is a count of chance events: its spread is at least Poisson's."""
    shares = [2 / 50] * 20 + [3 / 50] * 10 + [5 / 50, 20 / 50]
    assert [k for k, o in outliers(_run(shares, "pause share")).items() if o] == ["e031"]


def test_too_few_episodes_have_no_outliers():
    values = [0.33] * (MIN_EPISODES - 2) + [5.0]
    assert not any(outliers(_run(values)).values())


def test_two_arms_are_compared_arm_by_arm():
    stats = {
        f"e{i:03d}": {"left: jitter": 0.3 + 0.01 * (i % 3), "right: jitter": 0.5 + 0.01 * (i % 3)}
        for i in range(20)
    }
    stats["e005"]["right: jitter"] = 3.0
    found = outliers(stats)
    assert [(k, [o.figure for o in v]) for k, v in found.items() if v] == [
        ("e005", ["right: jitter"])
    ]


@pytest.fixture
def known_run(tmp_path):
    """The known run (tests/support/run_builders.py) with its manifest, in which b's LLM answer had
    two texts repaired and d's track came from joints in approximate units, and a quarantined
    episode 'e' next to 'd' in key order."""
    import dataclasses
    import json

    from ecot_annotate.store.manifest import Manifest
    from tests.support.run_builders import EPISODES, write_known_run

    run = write_known_run(tmp_path / "run")
    extra = {
        "b": {"fields_repaired": "plan,items.0.subtask"},
        "d": {"motion_source": "forward kinematics (so101, range mode: approximate)"},
    }
    for annotated, _ in EPISODES:
        key = annotated.episode.key
        provenance = {**annotated.annotation.provenance, **extra.get(key, {})}
        Manifest(str(run)).commit(key, dataclasses.replace(annotated.annotation, provenance=provenance))  # fmt: skip
    (run / "quarantine").mkdir()
    (run / "quarantine" / "q.jsonl").write_text(json.dumps({"key": "e", "reason": "bad"}) + "\n")
    return run


def _weights(run) -> dict[str, dict[str, float]]:
    from ecot_annotate.inspect.evidence import run_evidence

    return {q.key: {e.flag: e.weight for e in found} for q, found in run_evidence(run)}


def test_every_kind_of_evidence_weighs_by_its_class(known_run):
    from ecot_annotate.inspect.evidence import CONTRADICTS, SUSPECT, WITHOUT

    found = _weights(known_run)
    assert found["b"]["fallback"] == SUSPECT and found["b"]["gripper not tracked"] == WITHOUT
    assert found["b"]["fields repaired"] == pytest.approx(SUSPECT * 2 / 3)  # two texts
    assert found["d"] == {"approximate motion": SUSPECT, "quarantined neighbour": WITHOUT}
    for key in "ac":  # a fails 3 of its 17 texts, c 2 of 9; b and d none
        assert 0 < found[key]["text failing a check"] < CONTRADICTS
    # c's residual (15 px) is far over 3% of its 64 px width, a's (2.5 px) just over it
    assert 0 < found["a"]["gripper fit residual"] < found["c"]["gripper fit residual"] < WITHOUT
    assert 0 < found["a"]["steps without boxes"] < WITHOUT
    assert not any("unlike the run's others" in f for f in found.values())  # 4 are too few


def test_what_most_of_the_run_shows_counts_only_beyond_the_run_median(known_run):
    """a, b and c each disagree with their motion on one step: of a's four steps, of b's three,
    of c's two. The run's median share is 29% (0 for d): a's share is below it, c's the most."""
    from ecot_annotate.inspect.evidence import run_evidence

    found = {q.key: e for q, evidence in run_evidence(known_run) for e in evidence if e.flag == "plan/motion disagreement"}  # fmt: skip
    assert sorted(found) == ["a", "b", "c"]
    assert found["a"].weight == 0 < found["b"].weight < found["c"].weight
    assert all("(run median 29% of the steps)" in e.reason for e in found.values())


def test_an_amount_most_of_the_run_shows_weighs_in_units_of_the_run_spread():
    """Every chain fails a share of its 100 texts (one text is 0.01): one a text past the run's
    median is within the run's spread and weighs little, one far past it nearly the whole class."""
    from ecot_annotate.inspect.evidence import CONTRADICTS, Seen, weigh

    shares = [0.20, 0.22, 0.25, 0.27, 0.30, 0.60]  # median 0.26, spread 1.4826 * 0.04
    seen = [[Seen("text failing a check", "", CONTRADICTS, s, 0.01)] for s in shares]
    weights = [found[0].weight for found in weigh(seen)]
    assert weights[:3] == [0, 0, 0]
    assert 0 < weights[3] < CONTRADICTS / 4 < weights[4] < CONTRADICTS / 2
    assert weights[5] > 3 * CONTRADICTS / 4


def test_the_queue_is_heaviest_first_and_shows_every_weight(known_run):
    from ecot_annotate.review.queue import build_queue, queue_flags
    from ecot_annotate.store.corrections import Corrections

    queue = build_queue(known_run, Corrections([], ""))
    scores = [i.score for i in queue]
    assert scores == sorted(scores, reverse=True) and queue[0].key == "b"
    assert all(reason.rpartition(" · ")[2] for item in queue for reason in item.reasons)
    assert dict(queue_flags(queue))["plan/motion disagreement"] == 3


def test_what_the_segmenter_guessed_or_passed_over_is_evidence():
    """A press placed somewhere in a stop of 90 steps, and a chain that grasps and never lets
    go while the grasping arm's gripper opens later; the other arm's opening does not count."""
    from ecot_annotate.episode import Segment
    from ecot_annotate.inspect.evidence import CONTRADICTS, SUSPECT, segment_evidence

    pressed = [Segment("reach", 0, 40), Segment("act", 40, 130, unsure=90), Segment("retreat", 130, 150)]  # fmt: skip
    (guess,) = segment_evidence(pressed, {}, window=3)
    assert (guess.flag, guess.cls, guess.amount, guess.unit) == ("subtask start a guess", SUSPECT, 90, 3)  # fmt: skip
    assert "act at 40, open over 90 steps" in guess.reason
    held = [Segment("reach", 0, 30, arm=""), Segment("grasp", 30, 45, arm="right"), Segment("carry", 45, 100, arm="right")]  # fmt: skip
    moves = {t: "left arm: stop; right arm: move up" for t in range(100)}
    moves[70] = "left arm: open gripper; right arm: stop"
    assert segment_evidence(held, moves, window=3) == []
    moves[80] = "left arm: stop; right arm: open gripper"
    (missed,) = segment_evidence(held, moves, window=3)
    assert missed.cls == CONTRADICTS and "opens at step 80" in missed.reason
    released = [*held, Segment("release", 80, 100, arm="right")]
    assert segment_evidence(released, moves, window=3) == []


def test_a_subtask_far_longer_or_shorter_than_the_runs_of_its_kind_is_an_outlier():
    """A grasp placed where a late command flipped leaves the grasp short and the reach long; a
    subtask one step longer than all the others is only the steps' resolution."""
    from ecot_annotate.episode import Segment
    from ecot_annotate.inspect.evidence import subtask_lengths

    def chain(reach: int, grasp: int, retry: int) -> list[Segment]:
        bounds = np.cumsum([0, reach, grasp, retry, 20, 30])
        kinds = ["reach", "grasp", "retry", "grasp", "carry"]
        return [Segment(k, int(a), int(b)) for k, a, b in zip(kinds, bounds[:-1], bounds[1:], strict=True)]  # fmt: skip

    assert subtask_lengths(chain(50, 22, 20)) == {
        "reach lasts (steps)": 50.0,
        "grasp lasts (steps)": 22.0,
        "retry lasts (steps)": 20.0,
        "grasp 2 lasts (steps)": 20.0,
        "carry lasts (steps)": 30.0,
    }
    run = {f"e{i:03d}": subtask_lengths(chain(50 + i % 7, 22, 20 + i % 2)) for i in range(30)}
    run["e030"] = subtask_lengths(chain(66, 6, 20))
    run["e031"] = subtask_lengths(chain(52, 23, 21))
    found = {k: sorted(o.figure for o in v) for k, v in outliers(run).items() if v}
    assert found == {"e030": ["grasp lasts (steps)", "reach lasts (steps)"]}
