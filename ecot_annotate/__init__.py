"""ecot-annotate: Embodied Chain-of-Thought annotation and training for robot demonstrations."""

__version__ = "0.1.0"
