"""The review queue ranks by evidence: on the generated sample with planted defects (a subtask
shifted by 10 steps, a move reason naming the wrong direction, an inverted gripper channel,
jittered state), every planted episode ranks in the top 10% of the queue, with its reasons and
their weights on the page."""

from __future__ import annotations

import math

import pytest

from ecot_annotate.review.queue import build_queue
from ecot_annotate.sample.plant import (
    INVERTED_GRIPPER,
    JITTERED_STATE,
    SHIFTED_SUBTASK,
    WRONG_DIRECTION,
)
from ecot_annotate.store.corrections import Corrections
from tests.support.planted import planted_run

# The reason each planted defect must show. An inverted gripper is a chain shaped unlike the run's
# others (3 subtasks where the rest have 5): the rule writer says what the gripper does, so its
# chain does not contradict its own motion.
SEEN_AS = {
    SHIFTED_SUBTASK: "subtask without its gripper event",
    WRONG_DIRECTION: "text failing a check",
    INVERTED_GRIPPER: "unlike the run's others",
    JITTERED_STATE: "unlike the run's others",
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return planted_run(tmp_path_factory.mktemp("planted"))


def test_every_planted_episode_ranks_in_the_top_tenth(planted):
    out, defects = planted
    queue = build_queue(out, Corrections([], ""))
    rank = {item.key: place for place, item in enumerate(queue, 1)}
    top = math.floor(len(queue) / 10)
    assert len(queue) >= 40 and top >= len(defects)
    ranks = {defect: rank[key] for key, defect in defects.items()}
    assert all(r <= top for r in ranks.values()), (top, ranks)
    for item in queue:
        if item.key in defects:
            assert SEEN_AS[defects[item.key]] in item.flags, (defects[item.key], item.reasons)


def test_the_queue_page_shows_each_reason_with_its_weight(planted):
    from starlette.testclient import TestClient

    from ecot_annotate.review.server import make_app

    out, defects = planted
    queue = build_queue(out, Corrections([], ""))
    page = TestClient(make_app(out, "ann", "t")).get("/index.html?token=t").text
    first = queue[0]
    for evidence in first.evidence:
        assert f"· {evidence.weight:.1f}" in evidence.label
    assert first.reasons[0].replace("'", "&#39;") in page
    episode = TestClient(make_app(out, "ann", "t")).get(f"/episodes/{first.index:05d}.html?token=t")
    assert first.reasons[-1].replace("'", "&#39;") in episode.text
