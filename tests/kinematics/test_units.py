"""Telling a dataset's joint unit from the recorder's convention and the values' range."""

from __future__ import annotations

import glob

import numpy as np
import pytest

from ecot_annotate.errors import InputError
from ecot_annotate.kinematics import (
    BUILTIN_ARMS,
    JOINT_UNITS,
    KinematicModel,
    from_radians,
    guess_units,
    to_radians,
)
from tests.support.datasets import REPO

SO101_DATA = REPO.parent / "shared" / "data" / "lerobot_so101"


def _sweep(low, high, steps=200, joints=6) -> np.ndarray:
    ramp = np.linspace(0, 1, steps)[:, None]
    return low + (high - low) * np.sin(np.pi * ramp * np.arange(1, joints + 1)) ** 2


def test_aloha_radians():
    values = _sweep(-1.2, 1.6)
    assert guess_units(values, "radians")[0] == "radians"
    assert guess_units(values, None)[0] == "radians"


def test_degrees_beyond_two_pi():
    values = _sweep(-90.0, 120.0)
    unit, reason = guess_units(values, "radians")
    assert unit == "degrees"
    assert "2π" in reason
    assert guess_units(_sweep(-150.0, 170.0), "range")[0] == "degrees"


def test_lerobot_range_mode_with_gripper():
    arm = _sweep(-95.0, 90.0, joints=5)
    gripper = _sweep(0.0, 100.0, joints=1)
    values = np.hstack([arm, gripper])
    assert guess_units(values, "range")[0] == "range"
    # Without the recorder's convention the same numbers read as degrees, the exact reading.
    assert guess_units(values, None)[0] == "degrees"


def test_servo_ticks():
    values = np.round(_sweep(1024, 3072))
    unit, reason = guess_units(values, "range")
    assert unit == "ticks"
    assert "4096" in reason


def test_values_no_unit_explains_in_one_line():
    with pytest.raises(InputError, match="not radians, degrees"):
        guess_units(_sweep(-9000.0, 9000.0), None)
    with pytest.raises(InputError, match="no finite value"):
        guess_units(np.full((3, 6), np.nan), None)


@pytest.mark.skipif(
    not SO101_DATA.is_dir(), reason="../shared/data/lerobot_so101 is not on this machine"
)
def test_real_so101_dataset_is_range_mode_and_lands_in_reach():
    import pyarrow.parquet as pq

    (path,) = glob.glob(str(SO101_DATA / "data" / "chunk-000" / "*.parquet"))
    state = np.array(pq.read_table(path, columns=["observation.state"]).column(0).to_pylist())
    unit, _ = guess_units(state, BUILTIN_ARMS["so101"].convention)
    assert unit == "range"
    model = KinematicModel.builtin("so101")
    q, approximate = to_radians(state[:, :5], unit, model)
    assert approximate
    assert np.all(q >= model.lower - 1e-9) and np.all(q <= model.upper + 1e-9)
    xyz, _ = model.fk(q)
    assert np.linalg.norm(xyz, axis=1).max() < 0.5  # an SO-101 reaches under half a metre
    assert np.ptp(xyz, axis=0).max() > 0.05  # and the recorded task moves the gripper


def test_to_radians_per_unit():
    model = KinematicModel.builtin("so101")
    n = len(model.joint_names)
    degrees = np.full((2, n), 90.0)
    q, approximate = to_radians(degrees, "degrees", model)
    assert np.allclose(q, np.pi / 2) and not approximate
    q, approximate = to_radians(np.array([[-100.0] * n, [100.0] * n, [0.0] * n]), "range", model)
    assert approximate
    assert np.allclose(q[0], model.lower) and np.allclose(q[1], model.upper)
    assert np.allclose(q[2], (model.lower + model.upper) / 2)
    q, approximate = to_radians(np.array([[2048.0] * n, [3072.0] * n]), "ticks", model)
    assert approximate and np.allclose(q[0], 0) and np.allclose(q[1], np.pi / 2)
    q, approximate = to_radians(np.full((1, n), 0.25), "radians", model)
    assert np.allclose(q, 0.25) and not approximate


def test_to_radians_rejects_wrong_width_and_unit():
    model = KinematicModel.builtin("panda")
    with pytest.raises(InputError, match="7 joints"):
        to_radians(np.zeros((4, 6)), "radians", model)
    with pytest.raises(InputError, match="unknown joint unit"):
        to_radians(np.zeros((4, 7)), "furlongs", model)


@pytest.mark.parametrize("unit", JOINT_UNITS)
def test_from_radians_is_the_inverse_of_to_radians(unit):
    model = KinematicModel.builtin("so101")
    rng = np.random.default_rng(0)
    angles = model.lower + rng.random((50, len(model.joint_names))) * (model.upper - model.lower)
    recorded = from_radians(angles, unit, model)
    back, _ = to_radians(recorded, unit, model)
    assert np.allclose(back, angles)
    if unit == "range":  # the calibration spans the joint limits
        assert np.allclose(
            from_radians(np.vstack([model.lower, model.upper]), unit, model), [[-100.0], [100.0]]
        )
        assert np.abs(recorded).max() <= 100.0
    with pytest.raises(InputError, match="5 joints"):
        from_radians(angles[:, :3], unit, model)


def _piper_limits():
    model = KinematicModel.builtin("piper")
    names = [f"joint_{i}.pos" for i in range(1, 7)]
    return model.lower, model.upper, names


def test_a_joint_pinned_at_minus_100_is_range_mode():
    """An SO-101 leader driving a Piper: its -100..100 looked like degrees within a turn."""
    from ecot_annotate.kinematics.units import check_against_model

    lower, upper, names = _piper_limits()
    low, high = (-30.0, -100.0, 20.0, -5.0, 40.0, -3.0), (30.0, -20.0, 95.0, 5.0, 60.0, 3.0)
    check = check_against_model(low, high, "degrees", lower, upper, names, "piper")
    assert check.unit == "range" and not check.doubtful
    assert "joint_2.pos rests at exactly -100" in check.reason


def test_degrees_outside_the_models_limits_within_100_are_range_mode():
    from ecot_annotate.kinematics.units import check_against_model

    lower, upper, names = _piper_limits()
    low, high = (-30.0, -90.0, -80.0, -5.0, -40.0, -3.0), (30.0, -20.0, -10.0, 5.0, 40.0, 3.0)
    check = check_against_model(low, high, "degrees", lower, upper, names, "piper")
    assert check.unit == "range"
    assert "joint_2.pos spans -90..-20, outside piper's 0..180 degrees in degrees" in check.reason


def test_values_that_fit_no_unit_keep_it_with_a_warning_and_agreeing_ones_pass():
    from ecot_annotate.kinematics.units import check_against_model

    lower, upper, names = _piper_limits()
    wild = (-300.0, 0.0, -100.0, 0.0, 0.0, 0.0), (300.0, 150.0, 0.0, 10.0, 10.0, 10.0)
    check = check_against_model(*wild, "degrees", lower, upper, names, "piper")
    assert check.unit == "degrees" and check.doubtful
    fine = (-60.0, 10.0, -120.0, -20.0, -30.0, -40.0), (60.0, 150.0, -10.0, 20.0, 30.0, 40.0)
    assert check_against_model(*fine, "degrees", lower, upper, names, "piper") is None
    assert check_against_model(*wild, "range", lower, upper, names, "piper") is None
