"""The run configuration: nested dataclasses the CLI fills and the library reads.

The CLI only builds an AnnotateConfig and calls `run(config)`; library code never sees click.
Which of these settings decide an episode's output is said in `content.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ecot_annotate.profiles.model import DatasetProfile


@dataclass(frozen=True)
class MotionConfig:
    window: int = 4  # states in the look-ahead window (ECoT: 4)
    translation_threshold: float = 0.03  # metres per axis over the window
    rotation_threshold: float = (
        0.3  # radians over the window (ECoT scales rotation by 1/10 against 0.03)
    )
    gripper_threshold: float = 0.03  # change of the normalised gripper opening over the window
    cap_translation: bool = True  # ECoT: a large move is rescaled so only its dominant axes count


@dataclass(frozen=True)
class PerceptionConfig:
    detector: str = "none"  # none | grounding-dino | owlv2
    detector_model: str | None = None  # hub id or local folder; None = the backend's default
    segmenter: str = "none"  # none | sam
    segmenter_model: str | None = None
    captioner: str = "none"  # none | transformers | openai
    captioner_model: str | None = None
    box_threshold: float = 0.3  # ECoT's Grounding DINO box threshold
    text_threshold: float = 0.2  # ECoT's Grounding DINO text threshold
    gripper_prompt: str = "robot gripper"
    gripper_fit: str = "ransac-projective"  # ransac-projective | affine
    tracks: bool = True  # give each detected object one id across the episode's frames
    batch_size: int = 8  # frames per model call, across episodes
    device: str = "auto"  # auto | cpu | cuda


@dataclass(frozen=True)
class LLMConfig:
    backend: str = "server"  # a registered LLM backend (backends/llm_backends.py)
    base_url: str | None = None  # any OpenAI-compatible server; None = OpenAI's
    model: str | None = None  # transformers: hub id, folder or .gguf; None = SmolLM2-135M-Instruct
    api_key_env: str = "OPENAI_API_KEY"  # the key is read from this variable, never stored
    timeout_s: float = 60.0
    max_retries: int = 4
    concurrency: int = 4
    max_tokens: int = 2048
    max_text_chars: int = (
        160  # each text of an answer: one sentence of at most this many characters
    )
    cache: bool = True
    cache_dir: str | None = None  # None = $ECOT_ANNOTATE_CACHE or ~/.cache/ecot-annotate/llm
    batch_size: int = 8  # transformers backend: episodes generated together
    device: str = "auto"  # transformers backend: auto | cpu | cuda
    max_fallback_rate: float = 0.2  # more episodes falling back for service reasons fail the run
    # write: from the episode | edit: from the rule writer's notes on each move; None: the
    # backend's default (`llm_backend.answer_mode`)
    mode: str | None = None


@dataclass(frozen=True)
class AnnotateConfig:
    input: str
    out: str
    source: str = "rlds"  # rlds | lerobot
    split: str = "train"
    limit: int | None = None
    profile: str = (
        "auto"  # built-in name, a profile file, or auto (built-in by name, else inferred)
    )
    # The profile itself, resolved once before any work (`run_profile.with_profile`); every
    # stage, worker and later command (export, show, score) reads it here and never resolves again.
    dataset_profile: DatasetProfile | None = None
    camera: str | None = None  # the primary camera key, overriding the profile's
    kinematics: str | None = (
        None  # a URDF (or built-in model) for every arm, overriding the profile's
    )
    ee_link: str | None = None  # the URDF's end-effector link
    joint_units: str | None = None  # every arm's joint unit, overriding the profile's
    formats: tuple[str, ...] = ("parquet", "ecot-json")
    reasoner: str = "rules"  # rules | llm
    motion: MotionConfig = field(default_factory=MotionConfig)
    motion_thresholds: str = "auto"  # auto (from the data's units and rate) | fixed (`motion`)
    control_hz: float | None = None  # None: the profile's, else the dataset's, else assumed 5 Hz
    perception: PerceptionConfig = field(default_factory=PerceptionConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    num_shards: int = 0  # 0 = let the runner choose
    overwrite: bool = False
    allow_quarantine: bool = False
    beam_args: tuple[str, ...] = ()  # passed through to Beam (--runner, --project, ...)
    input_fingerprint: str = ""  # the dataset's identity, wherever it lies (set by the run)
