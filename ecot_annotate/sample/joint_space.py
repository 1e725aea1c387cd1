"""Generated joint-space samples: the RLDS sample's scripted pick-and-places recorded as the joint
angles of a real arm, written as LeRobot v3.0 with video and ground truth.

`so101`: one SO-101 follower in LeRobot's -100..100 range mode, as the real SO-101 datasets are
recorded, with a calibration that spans the model's joint limits (-100 at the lower limit, +100 at
the upper), and the gripper in LeRobot's 0..100. The dataset does not carry that calibration, so
annotating it still marks the track approximate, as for any range-mode recording. `aloha`: two ViperX 300 arms in ALOHA's 14-value layout
(radians, each gripper normalised 0..1); the left arm picks and places first, the right arm waits
and then does its own pick-and-place. `so101-bimanual`: two SO-101 arms folding a cloth together
(sample/cloth.py) at 20 fps, laid out as a home-made two-arm SO-101 recorder writes it
(`so101_bimanual`, values `arm1_j1` ... `arm2_j6`, j6 each arm's gripper, in raw servo ticks, two
cameras `cam0` and `cam1`), each gripper jittery as recorded (sample/noisy.py). The scripted
gripper path (the Bridge-sized workspace, scaled into the arm's reach) becomes joint angles
through inverse kinematics on the built-in model, so annotating the dataset exercises forward
kinematics the way a real recording does.

Ground truth rides in the data file as text columns under `ecot.truth.`: the true phase and the
true primitive per step (per arm for two arms, plus the episode's phase: the pair of phases for
ALOHA's arms that take turns, the task's phase for arms that work together).
Phases are the scripted segments; primitives are ECoT's rule on the noise-free path in the arm's
own metres (see `ArmMotion.primitives`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecot_annotate.geometry.motion import primitives
from ecot_annotate.kinematics import KinematicModel, from_radians
from ecot_annotate.layouts.lerobot import TRUTH_PREFIX as TRUTH
from ecot_annotate.sample.cloth import TASK, fold_scripts, task_phases
from ecot_annotate.sample.generate import Camera, Scene, Script, make_scene, render_scene
from ecot_annotate.sample.inverse_kinematics import pointing_down, solve_path
from ecot_annotate.sample.lerobot_writer import DatasetSpec, RecordedEpisode, write_lerobot_dataset
from ecot_annotate.sample.noisy import recorded_gripper, script_noisy
from ecot_annotate.sample.truth import Variant, true_motion_config

RATE = 3  # Bridge's 5 Hz times 3: 15 frames per second
SCRIPT = Variant(rate=RATE, labels=True)
FOLD = Variant(rate=4, labels=True)  # the cloth fold's 20 frames per second
LEROBOT_ARM = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll")
ALOHA_ARM = ("waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate")


@dataclass(frozen=True)
class ArmSetup:
    """How one arm records the scripted path: its model, where the workspace sits in its base
    frame (scaled by `scale`, then shifted by `offset`), its IK tool pose and rest pose, and the
    units its recorder writes."""

    model: str
    scale: float
    offset: tuple[float, float, float]
    pitch: float  # radians the tool points down from the zero pose's direction
    rest: tuple[float, ...]  # radians
    units: str  # what the recorder writes the joints in: one of kinematics.JOINT_UNITS
    gripper_full: float  # the recorded value of a fully open gripper
    gripper_closed: float = 0.0  # ... and of a closed one


SO101 = ArmSetup("so101", 0.65, (0.04, 0.0, 0.0), np.pi / 3, (0, -0.5, 0.5, 1.0, 0), "range", 100.0)
VIPERX = ArmSetup("viperx300", 1.0, (0.0, 0.0, 0.0), np.pi / 3, (0, -0.3, 0.3, 0, 0.5, 0), "radians", 1.0)  # fmt: skip
# A raw STS3215 servo position: 4096 ticks a turn, 2048 at the joint's zero (kinematics' ticks);
# the gripper servo at 2080 closed and 2900 open, as a calibrated SO-101 gripper sits.
SO101_TICKS = dataclasses.replace(SO101, units="ticks", gripper_full=2900.0, gripper_closed=2080.0)


def record_arm(
    setup: ArmSetup, positions: np.ndarray, openings: np.ndarray
) -> tuple[np.ndarray, float]:
    """(T, joints + 1) recorded values for a gripper path in the sample's world metres, and the
    IK's largest position error in metres."""
    model = KinematicModel.builtin(setup.model)
    path = positions * setup.scale + np.asarray(setup.offset)
    joints, errors = solve_path(
        model, path, pointing_down(model, setup.pitch), np.asarray(setup.rest)
    )
    recorded = from_radians(joints, setup.units, model)
    span = setup.gripper_full - setup.gripper_closed
    values = np.hstack([recorded, setup.gripper_closed + openings[:, None] * span])
    if setup.units == "ticks":
        values = np.round(values)  # a servo reports whole ticks
    return values, float(errors.max())


def _next_as_action(state: np.ndarray) -> np.ndarray:
    """A joint-space action is the position commanded next: the next step's state."""
    return np.vstack([state[1:], state[-1:]])


@dataclass
class ArmMotion:
    """One arm's scripted motion over an episode, noisy and clean, with its truth per step."""

    positions: np.ndarray
    clean: np.ndarray
    openings: np.ndarray
    phases: list[str]

    @classmethod
    def of(cls, scene: Scene) -> ArmMotion:
        s = scene.script
        return cls(s.positions, s.clean, s.openings, list(s.phases))

    def padded(self, before: int, total: int) -> ArmMotion:
        """Held still for `before` steps (still approaching) and after its end up to `total`
        steps (still retreating)."""
        after = total - before - len(self.positions)

        def pad(values: np.ndarray) -> np.ndarray:
            return np.concatenate(
                [values[:1].repeat(before, 0), values, values[-1:].repeat(after, 0)]
            )

        phases = [self.phases[0]] * before + self.phases + [self.phases[-1]] * after
        return ArmMotion(pad(self.positions), pad(self.clean), pad(self.openings), phases)

    def script(self) -> Script:
        return Script(self.positions, self.clean, self.openings, self.phases)

    def primitives(self, setup: ArmSetup, variant: Variant = SCRIPT) -> list[str]:
        """ECoT's rule on the noise-free path as the arm travels it: in metres of the arm's
        workspace, with ECoT's thresholds in metres. A workspace scaled down moves less, and
        ECoT's rule names fewer moves; that is what a correct labeller writes for this arm."""
        return primitives(
            self.clean * setup.scale,
            np.zeros_like(self.clean),
            self.openings,
            true_motion_config(variant),
        )


def _events(phases: list[str]) -> list[int]:
    return [t for t in range(1, len(phases)) if phases[t] != phases[t - 1]]


def _right_start(left: ArmMotion, right: ArmMotion) -> int:
    """When the right arm starts: once the left arm has grasped, moved on until no phase change of
    one arm lies within 3 steps of the other's."""
    start = left.phases.index("carry")
    while any(
        abs(a - (b + start)) <= 3 for a in _events(left.phases) for b in _events(right.phases)
    ):
        start += 1
    return start


def so101_episode(
    index: int, rng: np.random.Generator, camera: Camera
) -> tuple[RecordedEpisode, float]:
    """One arm picking and placing, on camera."""
    scene = make_scene(index, rng, 3, SCRIPT)
    motion = ArmMotion.of(scene)
    frames = [jpeg for jpeg, _, _ in render_scene(camera, scene, rng)]
    state, error = record_arm(SO101, motion.positions, motion.openings)
    text = {f"{TRUTH}.phase": motion.phases, f"{TRUTH}.primitive": motion.primitives(SO101)}
    return RecordedEpisode(scene.instruction, state, _next_as_action(state), frames, text), error


def so101_noisy_episode(
    index: int, rng: np.random.Generator, camera: Camera
) -> tuple[RecordedEpisode, float]:
    """One arm picking and placing with real recording noise (sample/noisy.py): the state's
    gripper jitters, the action's gripper is a binary command that flips late."""
    scene = make_scene(index, rng, 3, SCRIPT, script_noisy)
    motion = ArmMotion.of(scene)
    frames = [jpeg for jpeg, _, _ in render_scene(camera, scene, rng)]
    measured, command = recorded_gripper(scene.script, rng, 5 * RATE)
    state, error = record_arm(SO101, motion.positions, measured)
    action = _next_as_action(state)
    action[:, -1] = command * SO101.gripper_full
    text = {f"{TRUTH}.phase": motion.phases, f"{TRUTH}.primitive": motion.primitives(SO101)}
    return RecordedEpisode(scene.instruction, state, action, frames, text), error


def aloha_episode(
    index: int, rng: np.random.Generator, camera: Camera
) -> tuple[RecordedEpisode, float]:
    """The left arm's scene is the one on camera; the right arm works a scene of its own (the
    next scene index, so the two arms place on different targets)."""
    left_scene = make_scene(2 * index, rng, 3, SCRIPT)
    right_scene = make_scene(2 * index + 1, rng, 3, SCRIPT)
    left, right = ArmMotion.of(left_scene), ArmMotion.of(right_scene)
    start = _right_start(left, right)
    total = max(len(left.positions), start + len(right.positions))
    left, right = left.padded(0, total), right.padded(start, total)
    frames = [jpeg for jpeg, _, _ in render_scene(camera, left_scene, rng)]
    frames += frames[-1:] * (total - len(frames))
    left_values, left_error = record_arm(VIPERX, left.positions, left.openings)
    right_values, right_error = record_arm(VIPERX, right.positions, right.openings)
    state = np.hstack([left_values, right_values])
    text = {
        f"{TRUTH}.phase": [
            f"left {a}, right {b}" for a, b in zip(left.phases, right.phases, strict=True)
        ],
        f"{TRUTH}.left.phase": left.phases,
        f"{TRUTH}.left.primitive": left.primitives(VIPERX),
        f"{TRUTH}.right.phase": right.phases,
        f"{TRUTH}.right.primitive": right.primitives(VIPERX),
    }
    episode = RecordedEpisode(left_scene.instruction, state, _next_as_action(state), frames, text)
    return episode, max(left_error, right_error)


def so101_bimanual_episode(
    index: int, rng: np.random.Generator, camera: Camera
) -> tuple[RecordedEpisode, float]:
    """Two SO-101 arms fold a cloth together (sample/cloth.py), each gripper jittery as recorded;
    `cam0` sees the first arm's corner, `cam1` the second's. The action is the leader arms'
    position, the next step's state."""
    first_scene, second_scene, delay = fold_scripts(rng, FOLD)
    first, second = ArmMotion.of(first_scene), ArmMotion.of(second_scene)
    total = max(len(first.positions), delay + len(second.positions))
    arms = {"first": first.padded(0, total), "second": second.padded(delay, total)}
    values, frames, errors = [], [], []
    for scene, motion in zip((first_scene, second_scene), arms.values(), strict=True):
        measured, _ = recorded_gripper(motion.script(), rng, 5 * FOLD.rate)
        recorded, error = record_arm(SO101_TICKS, motion.positions, measured)
        values.append(recorded)
        errors.append(error)
        shown = Scene(scene.objects, motion.script(), np.zeros(total))
        frames.append([jpeg for jpeg, _, _ in render_scene(camera, shown, rng)])
    state = np.hstack(values)
    text = {f"{TRUTH}.phase": task_phases(*(m.phases for m in arms.values()))}
    for name, motion in arms.items():
        text[f"{TRUTH}.{name}.phase"] = motion.phases
        text[f"{TRUTH}.{name}.primitive"] = motion.primitives(SO101_TICKS, FOLD)
    episode = RecordedEpisode(TASK, state, _next_as_action(state), frames[0], text, (frames[1],))
    return episode, max(errors)


SAMPLES = {
    "so101": (
        DatasetSpec(
            "so101_follower", tuple(f"{j}.pos" for j in (*LEROBOT_ARM, "gripper")), 5 * RATE
        ),
        so101_episode,
    ),
    "so101-noisy": (
        DatasetSpec(
            "so101_follower", tuple(f"{j}.pos" for j in (*LEROBOT_ARM, "gripper")), 5 * RATE
        ),
        so101_noisy_episode,
    ),
    "aloha": (
        DatasetSpec(
            "aloha",
            tuple(f"{side}_{j}" for side in ("left", "right") for j in (*ALOHA_ARM, "gripper")),
            5 * RATE,
        ),
        aloha_episode,
    ),
    "so101-bimanual": (
        DatasetSpec(
            "so101_bimanual",
            tuple(f"arm{arm}_j{j}" for arm in (1, 2) for j in range(1, 7)),
            int(FOLD.control_hz),
            "observation.images.cam0",
            other_cameras=("observation.images.cam1",),
        ),
        so101_bimanual_episode,
    ),
}


def write_joint_sample(
    out_dir: str | Path, variant: str, episodes: int = 8, seed: int = 0
) -> tuple[Path, float]:
    """Write the `variant` sample as a LeRobot dataset folder under `out_dir`; returns its path
    and the IK's largest position error in metres (scaled to the arm's workspace)."""
    spec, make = SAMPLES[variant]
    rng = np.random.default_rng(seed)
    camera = Camera.look_at(np.array([0.75, 0.0, 0.45]), np.array([0.3, 0.0, 0.02]))
    recorded = [make(i, rng, camera) for i in range(episodes)]
    root = Path(out_dir) / f"ecot_sample_{variant}"
    write_lerobot_dataset(root, spec, [episode for episode, _ in recorded])
    return root, max(error for _, error in recorded)
