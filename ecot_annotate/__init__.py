"""ecot-annotate: Embodied Chain-of-Thought annotation and training for robot demonstrations."""

from ecot_annotate.llvm_order import load_triton_first

__version__ = "0.1.0"

load_triton_first()
