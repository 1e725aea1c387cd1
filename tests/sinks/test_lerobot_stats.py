"""The LeRobot output's statistics are the ones lerobot trains and edits with.

lerobot-train (`use_imagenet_stats`, on by default) reads each camera's entry in meta/stats.json,
and lerobot's delete_episodes, split and merge rebuild stats.json from the per-episode `stats/*`
columns of meta/episodes. Before, stats.json held only state and action, meta/episodes no
`stats/*` column, and the quantiles were taken over all rows: lerobot-train stopped with
KeyError 'observation.images.front', and the edited datasets had `stats.json = {}`.

The expected values here are computed in the test from the stored frames (numpy and PIL, with
lerobot's sampling written out), or are lerobot's own: the fixtures were written by lerobot's
writer, which computed their statistics.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from ecot_annotate.config import AnnotateConfig
from pipelines.run import run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lerobot"
STATS = ("min", "max", "mean", "std", "count", "q01", "q10", "q50", "q90", "q99")
QUANTILES = {"q01": 0.01, "q10": 0.10, "q50": 0.50, "q90": 0.90, "q99": 0.99}
CAMERA = "observation.images.image_0"


def _annotate(dataset: Path, out: Path, **options) -> Path:
    run(AnnotateConfig(input=str(dataset), out=str(out), formats=("lerobot",), **options))
    return out / "lerobot"


def _episodes(root: Path) -> pa.Table:
    return pq.read_table(root / "meta" / "episodes" / "chunk-000" / "file-000.parquet")


def _data(root: Path) -> pa.Table:
    return pa.concat_tables(pq.read_table(p) for p in sorted(root.glob("data/*/*.parquet")))


def _stats_features(root: Path) -> dict[str, dict]:
    features = json.loads((root / "meta" / "info.json").read_text())["features"]
    return {k: v for k, v in features.items() if v["dtype"] not in ("string", "language")}


@pytest.fixture(scope="module")
def rlds_output(sample_dir, tmp_path_factory) -> Path:
    return _annotate(sample_dir, tmp_path_factory.mktemp("lerobot_stats"), limit=3)


def _lerobot_sample(n: int) -> list[int]:
    """The frames lerobot samples from an n-frame episode (compute_stats.sample_indices)."""
    count = max(min(100, n), min(int(n**0.75), 10_000))
    return np.round(np.linspace(0, n - 1, count)).astype(int).tolist()


def _assert_episode_entry(entry: dict, values: np.ndarray, atol: float) -> None:
    """`entry` holds the statistics of `values` (rows x dims): min, max, mean, std and count as
    numpy gives them; each quantile within one of lerobot's 5000 histogram bins of the value at
    that rank."""
    assert set(entry) == set(STATS)
    assert entry["count"] == [len(values)]
    flat = {k: np.ravel(v) for k, v in entry.items()}  # a camera's are (3, 1, 1)
    np.testing.assert_allclose(flat["min"], values.min(0), atol=atol)
    np.testing.assert_allclose(flat["max"], values.max(0), atol=atol)
    np.testing.assert_allclose(flat["mean"], values.mean(0), rtol=1e-5, atol=atol)
    np.testing.assert_allclose(flat["std"], values.std(0), rtol=1e-4, atol=atol)
    bin_width = (values.max(0) - values.min(0)) / 5000 + 1e-9
    for key, q in QUANTILES.items():
        at_rank = np.quantile(values, q, axis=0, method="inverted_cdf")
        assert np.all(np.abs(flat[key] - at_rank) <= bin_width + atol), key


def test_stats_json_has_every_feature_lerobot_keeps(rlds_output):
    stats = json.loads((rlds_output / "meta" / "stats.json").read_text())
    features = _stats_features(rlds_output)
    assert set(stats) == set(features)
    assert set(features) == {
        CAMERA,
        "observation.state",
        "action",
        "timestamp",
        "frame_index",
        "episode_index",
        "index",
        "task_index",
    }
    for feature, entry in stats.items():
        assert set(entry) == set(STATS), feature
        shape = (3, 1, 1) if feature == CAMERA else (features[feature]["shape"][0],)
        for key in STATS:
            assert np.asarray(entry[key]).shape == ((1,) if key == "count" else shape), (
                feature,
                key,
            )


def test_meta_episodes_has_lerobots_stats_columns(rlds_output):
    """One `stats/FEATURE/STAT` column per feature and statistic, typed as lerobot writes them."""
    episodes = _episodes(rlds_output)
    features = _stats_features(rlds_output)
    names = {c for c in episodes.column_names if c.startswith("stats/")}
    assert names == {f"stats/{f}/{k}" for f in features for k in STATS}
    for feature, spec in features.items():
        for key in STATS:
            column = episodes.column(f"stats/{feature}/{key}")
            if key == "count":
                assert column.type == pa.list_(pa.int64())
                assert all(len(v) == 1 for v in column.to_pylist())
            elif feature == CAMERA:
                assert column.type == pa.list_(pa.list_(pa.list_(pa.float64())))
                assert all(np.asarray(v).shape == (3, 1, 1) for v in column.to_pylist())
            else:
                assert column.type == pa.list_(pa.float64())
                assert all(len(v) == spec["shape"][0] for v in column.to_pylist())


def test_per_episode_numbers_are_the_stored_values_statistics(rlds_output):
    data, episodes = _data(rlds_output), _episodes(rlds_output).to_pylist()
    fps = json.loads((rlds_output / "meta" / "info.json").read_text())["fps"]
    assert len(episodes) == 3
    for row in episodes:
        rows = data.filter(pa.compute.equal(data.column("episode_index"), row["episode_index"]))
        columns = {
            name: np.asarray(rows.column(name).to_pylist(), np.float64).reshape(rows.num_rows, -1)
            for name in ("observation.state", "action", "frame_index", "index")
            + ("episode_index", "task_index")
        }
        columns["timestamp"] = columns["frame_index"] / fps  # lerobot's own, before float32
        for name, values in columns.items():
            entry = {k: row[f"stats/{name}/{k}"] for k in STATS}
            _assert_episode_entry(entry, values, atol=1e-6)


def test_per_episode_camera_stats_are_lerobots_sample_per_channel_in_0_1(rlds_output):
    data, episodes = _data(rlds_output), _episodes(rlds_output).to_pylist()
    for row in episodes:
        rows = data.filter(pa.compute.equal(data.column("episode_index"), row["episode_index"]))
        images = rows.column(CAMERA).to_pylist()
        frames = [
            np.asarray(Image.open(io.BytesIO(images[t]["bytes"])).convert("RGB"))
            for t in _lerobot_sample(len(images))
        ]
        pixels = np.concatenate([f.reshape(-1, 3) for f in frames]).astype(np.float64) / 255.0
        entry = {k: row[f"stats/{CAMERA}/{k}"] for k in STATS}
        assert entry["count"] == [len(frames)]  # lerobot counts frames sampled, not pixels
        _assert_episode_entry(entry | {"count": [len(pixels)]}, pixels, atol=1e-6)


def test_stats_json_joins_the_episodes_as_lerobot_does(rlds_output):
    """Count-weighted: the mean and std are those of all rows; the quantiles are the
    count-weighted mean of the episodes' quantiles, as lerobot's aggregate_stats joins them."""
    stats = json.loads((rlds_output / "meta" / "stats.json").read_text())
    episodes, data = _episodes(rlds_output).to_pylist(), _data(rlds_output)
    for feature, entry in stats.items():
        per = [{k: np.asarray(row[f"stats/{feature}/{k}"]) for k in STATS} for row in episodes]
        counts = np.array([p["count"][0] for p in per], np.float64)
        weights = counts.reshape(-1, *[1] * (per[0]["mean"].ndim))
        assert entry["count"] == [int(counts.sum())]
        for key in QUANTILES:
            joined = sum(p[key] * w for p, w in zip(per, weights, strict=True)) / counts.sum()
            np.testing.assert_allclose(entry[key], joined, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(entry["min"], np.min([p["min"] for p in per], axis=0))
        np.testing.assert_allclose(entry["max"], np.max([p["max"] for p in per], axis=0))
        if feature != CAMERA:
            values = np.asarray(data.column(feature).to_pylist(), np.float64)
            values = values.reshape(data.num_rows, -1)
            if feature == "timestamp":
                values = np.asarray(data.column("frame_index").to_pylist()).reshape(-1, 1) / 5
            np.testing.assert_allclose(entry["mean"], values.mean(0), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(entry["std"], values.std(0), rtol=1e-4, atol=1e-6)


def test_a_lerobot_input_keeps_lerobots_own_statistics(tmp_path):
    """From a dataset lerobot wrote (two cameras, video): every per-episode column the input has,
    with its type and values (the cameras' copied, the numbers computed as lerobot's writer
    computed them), and a stats.json with the input's features and values."""
    pytest.importorskip("av")
    source = FIXTURES / "bi_so101"
    root = _annotate(source, tmp_path / "out", source="lerobot")
    ours, theirs = _episodes(root), _episodes(source)
    names = [c for c in theirs.column_names if c.startswith("stats/")]
    assert len(names) == 9 * 10
    assert {c for c in ours.column_names if c.startswith("stats/")} == set(names)
    for name in names:
        assert ours.schema.field(name).type == theirs.schema.field(name).type, name
        np.testing.assert_allclose(
            np.asarray(ours.column(name).to_pylist(), np.float64),
            np.asarray(theirs.column(name).to_pylist(), np.float64),
            rtol=1e-12,
            atol=1e-12,
            err_msg=name,
        )
    mine = json.loads((root / "meta" / "stats.json").read_text())
    input_stats = json.loads((source / "meta" / "stats.json").read_text())
    assert set(mine) == set(input_stats)
    for feature, entry in input_stats.items():
        assert set(mine[feature]) == set(entry)
        for key, value in entry.items():  # lerobot joined float32 values, we float64 ones
            np.testing.assert_allclose(mine[feature][key], value, rtol=1e-6, atol=1e-9)


def test_camera_stats_come_from_the_video_where_the_input_has_none_complete(tmp_path):
    """v2.1 kept no quantiles per episode: the copied cameras' statistics are computed from the
    video's sampled frames, all ten of them, close to the input's from the frames before encoding."""
    pytest.importorskip("av")
    source = FIXTURES / "v21_quirks"
    root = _annotate(source, tmp_path / "out", source="lerobot")
    cameras = [k for k, v in _stats_features(root).items() if v["dtype"] == "video"]
    assert cameras == ["observation.images.front", "observation.images.wrist"]
    given = {
        line["episode_index"]: line["stats"]
        for line in map(
            json.loads, (source / "meta" / "episodes_stats.jsonl").read_text().splitlines()
        )
    }
    for row in _episodes(root).to_pylist():
        source_episode = int(row["ecot.episode_key"].rsplit("/", 1)[1])
        for camera in cameras:
            entry = {k: np.asarray(row[f"stats/{camera}/{k}"]) for k in STATS}
            assert entry["count"].tolist() == [row["length"]]  # under 100 frames: all sampled
            assert all(entry[k].shape == (3, 1, 1) for k in STATS if k != "count")
            assert np.all((entry["min"] >= 0) & (entry["max"] <= 1))
            np.testing.assert_allclose(
                entry["mean"], given[source_episode][camera]["mean"], atol=0.03
            )
    stats = json.loads((root / "meta" / "stats.json").read_text())
    assert all(set(stats[c]) == set(STATS) for c in cameras)
