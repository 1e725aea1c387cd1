"""The run configuration: nested dataclasses the CLI fills and the library reads.

Each setting is one field, declared with its help (`setting.setting`); the CLI derives its options
from these fields and builds an AnnotateConfig from them, then calls `run(config)`. Library code
never sees click. Which of these settings decide an episode's output is said in `content.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ecot_annotate.frames import Frames, every
from ecot_annotate.kinematics.units import JOINT_UNITS
from ecot_annotate.profiles.model import DatasetProfile
from ecot_annotate.prompt_texts import LLM_MODES
from ecot_annotate.setting import section, setting

DEVICES = ("auto", "cpu", "cuda")

NO_BACKEND = "none"  # a perception option's value for "do not run it"

PARQUET_REFERENCES, PARQUET_JPEG = "reference", "jpeg"
PARQUET_FRAMES = (PARQUET_REFERENCES, PARQUET_JPEG)


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
    detector: str = setting(
        NO_BACKEND,
        help="Open-vocabulary detector for object boxes and the gripper.",
        choices=(NO_BACKEND,),
        choices_from="ecot_annotate.backends.detectors:DETECTORS",
    )
    detector_model: str | None = setting(
        None,
        help="Hub id or local folder (default: IDEA-Research/grounding-dino-tiny, google/owlv2-base-patch16-ensemble).",
    )
    segmenter: str = setting(
        NO_BACKEND,
        help="Mask the gripper inside its box for a steadier point.",
        choices=(NO_BACKEND,),
        choices_from="ecot_annotate.backends.segmenter:SEGMENTERS",
    )
    segmenter_model: str | None = setting(
        None, help="Hub id or local folder (default: facebook/sam-vit-base)."
    )
    captioner: str = setting(
        NO_BACKEND,
        help="Caption each episode's first frame (feeds the object vocabulary and the LLM prompt): an image-text-to-text model, or an OpenAI-compatible server that takes images (--llm-base-url, key in --llm-api-key-env).",
        choices=(NO_BACKEND,),
        choices_from="ecot_annotate.backends.captioner:CAPTIONERS",
    )
    captioner_model: str | None = setting(
        None,
        help="transformers: hub id or local folder (default: Qwen/Qwen2.5-VL-3B-Instruct); openai: the served model name (default: --llm-model).",
    )
    box_threshold: float = setting(0.3, help="Minimum box score (ECoT: 0.3).")
    text_threshold: float = setting(
        0.2, help="Minimum mean token score of a box's phrase (ECoT: 0.2)."
    )
    gripper_prompt: str = setting(
        "robot gripper", help="What the detector is asked to find as the gripper."
    )
    gripper_fit: str = setting(
        "ransac-projective",
        help="State xyz -> pixel model fitted per episode.",
        choices_from="ecot_annotate.geometry.gripper_fit:FIT_METHODS",
    )
    tracks: bool = setting(
        True,
        help="Give each detected object one id across the episode (fills gaps, drops flickers).",
    )
    detect_every: int = setting(
        1,
        help="Run the detector on every N-th frame only (1: every frame). A step between two "
        "detected frames keeps the boxes of the one before; the gripper track is fitted to the "
        "detected frames and covers every step.",
    )
    batch_size: int = setting(8, help="Frames per model call, across episodes.")
    device: str = setting(
        "auto",
        help="Where the models run: auto takes a GPU when there is one, else the CPU.",
        choices=DEVICES,
    )

    @property
    def detects(self) -> bool:
        return self.detector != NO_BACKEND

    @property
    def detected_frames(self) -> Frames:
        """The steps whose frames the detector looks at."""
        return every(self.detect_every)

    @property
    def segments(self) -> bool:
        return self.segmenter != NO_BACKEND

    @property
    def captions(self) -> bool:
        return self.captioner != NO_BACKEND


@dataclass(frozen=True)
class LLMConfig:
    backend: str = setting(
        "server",
        help="{choices}.",
        choices_from="ecot_annotate.backends.llm_backends:LLM_BACKENDS",
    )
    base_url: str | None = setting(
        None,
        help="OpenAI-compatible server, e.g. http://localhost:8000/v1 (vLLM, SGLang, Ollama, llama.cpp). Default: OpenAI's.",
    )
    model: str | None = setting(
        None,
        help="server: the model name the server serves (required); transformers: a hub id, a local folder or a .gguf file (default: SmolLM2-135M-Instruct, converted once into $ECOT_ANNOTATE_MODELS or ~/.cache/ecot-annotate/models).",
    )
    # the key is read from this variable, never stored: it is never an option (it would land in
    # shell history and process lists)
    api_key_env: str = setting("OPENAI_API_KEY", help="Environment variable holding the API key.")
    timeout_s: float = setting(60.0, help="Seconds per request.", option="--llm-timeout")
    max_retries: int = setting(4, help="Retries on 429, 5xx, timeouts and connection errors.")
    concurrency: int = setting(
        4,
        help="server: requests in flight per worker process, across episodes (the only cap on them).",
    )
    max_tokens: int = setting(2048, help="Completion token limit per request.")
    max_text_chars: int = setting(
        160,
        help="Longest text (task, subtask, reason) an answer may hold; part of the answer's JSON Schema.",
        low=16,
        high=1000,
    )
    cache: bool = setting(
        True, help="Ask the server even when an answer is cached.", option="--no-cache"
    )
    cache_dir: str | None = setting(
        None,
        help="Answer cache folder (default: $ECOT_ANNOTATE_CACHE or ~/.cache/ecot-annotate/llm).",
    )
    batch_size: int = setting(8, help="transformers: episodes generated together in one batch.")
    device: str = setting(
        "auto",
        help="transformers: where the model runs (auto = cuda when a GPU is visible).",
        choices=DEVICES,
    )
    max_fallback_rate: float = setting(
        0.2,
        help="Exit 1 when more than this share of episodes fell back to the rules because the LLM service failed them (connection, timeout, auth, server errors); the rate is in summary.json either way.",
        option="--max-fallback-rate",
        low=0.0,
        high=1.0,
    )
    # None: the backend's default (`llm_backend.answer_mode`)
    mode: str | None = setting(
        None,
        help="write: the model writes the language from the episode; edit: the prompt holds the rule writer's notes on each move (its stage and object) and the model writes the sentences, keeping the structure (for small models). Default: edit for --llm-backend transformers, write for a server.",
        choices=LLM_MODES,
    )


@dataclass(frozen=True)
class AnnotateConfig:
    input: str = setting(
        help="An RLDS (TFDS) version folder or a LeRobot dataset folder (local, gs:// or s3://).",
        argument="INPUT",
    )
    out: str = setting(help="Output folder (local, gs:// or s3://).")
    # auto: the one the folder's layout names, resolved once by `run_plan.prepare`
    source: str = setting(
        "auto",
        help="Input layout: an RLDS (TFDS) version folder (holds dataset_info.json) or a LeRobot dataset folder (holds meta/info.json); auto tells them apart.",
        choices=("auto",),
        choices_from="ecot_annotate.sources:SOURCES",
    )
    split: str = setting(
        "train",
        help="Split to read: a TFDS split name, or a LeRobot split from meta/info.json.",
    )
    limit: int | None = setting(None, help="Annotate only the first N episodes.")
    profile: str = setting(
        "auto",
        help="Built-in profile name, a profile file (.toml/.json), or auto: the built-in profile named like the dataset, else one inferred from the dataset's own description.",
    )
    # The profile itself, resolved once before any work (`run_plan.prepare`); every
    # stage, worker and later command (export, show, score) reads it here and never resolves again.
    dataset_profile: DatasetProfile | None = None
    camera: str | None = setting(
        None,
        help="The primary camera's key (e.g. observation/image), overriding the profile's; none: no camera, episodes annotated from the state alone (chosen by itself when no declared camera ships a frame).",
    )
    kinematics: str | None = setting(
        None,
        help="A URDF file (or a built-in arm name) for a robot whose state is joint positions: its arms' end-effector pose is the forward kinematics of their joints.",
    )
    ee_link: str | None = setting(
        None, help="The URDF link that is the end effector (with --kinematics)."
    )
    joint_units: str | None = setting(
        None,
        help="The unit every arm's joints are recorded in, overriding the one read from the robot's convention and the values' range: degrees and LeRobot's -100..100 range mode cannot be told apart within +-100.",
        choices=JOINT_UNITS,
    )
    formats: tuple[str, ...] = setting(
        ("parquet", "ecot-json"),
        help="Comma-separated: {choices}.",
        option="--format",
        choices_from="pipelines.formats:FORMATS",
    )
    reasoner: str = setting(
        "rules",
        help="Who writes plans, subtasks and reasons: the offline rule writer, or an LLM (--llm-* options).",
        choices_from="ecot_annotate.reasoners:REASONERS",
    )
    parquet_frames: str = setting(
        PARQUET_REFERENCES,
        help="How Parquet keeps the frames of a camera the input stores as video (LeRobot): reference (the video file and each frame's time in it, as LeRobot does; nothing is decoded, train/report/review decode it) or jpeg (each frame decoded once and stored as JPEG at quality 90, several times the video's size). Frames stored as images (RLDS) are kept as they are.",
        choices=PARQUET_FRAMES,
    )
    motion: MotionConfig = field(default_factory=MotionConfig)
    motion_thresholds: str = setting(
        "auto",
        help="auto: ECoT's 0.8 s look-ahead and thresholds in the data's units and control rate; fixed: ECoT's 4 steps, 0.03 m, 0.3 rad as they are.",
        choices=("auto", "fixed"),
    )
    control_hz: float | None = setting(
        None,
        help="The dataset's control rate (default: the profile's, else the dataset's, else 5 Hz is assumed).",
    )
    perception: PerceptionConfig = section(PerceptionConfig, "", "Perception")
    llm: LLMConfig = section(LLMConfig, "llm-", "LLM")
    num_shards: int = setting(0, help="Output shards per format (0: the runner decides).")
    overwrite: bool = setting(False, help="Replace an output folder made with other settings.")
    allow_quarantine: bool = setting(False, help="Exit 0 even when some episodes were quarantined.")
    beam_args: tuple[str, ...] = ()  # passed through to Beam (--runner, --project, ...)
    input_fingerprint: str = ""  # the dataset's identity, wherever it lies (set by the run)
