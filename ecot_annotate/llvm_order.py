"""Load triton before TensorFlow when both are installed.

TensorFlow and triton (which torch loads whenever it is installed, e.g. through transformers) each
bundle LLVM; when triton's copy loads second, LLVM aborts the whole process ("Option ... registered
more than once"). Loaded in the other order they coexist, so whatever loads TensorFlow (TFDS's
writer, the sample's features) calls `load_triton_first` before; reading RLDS never loads it.
"""

from __future__ import annotations

import importlib.util
import sys


def load_triton_first() -> None:
    """Load triton now, unless TensorFlow is already loaded (then loading triton would abort)."""
    if "tensorflow" not in sys.modules and importlib.util.find_spec("triton") is not None:
        import triton  # noqa: F401
