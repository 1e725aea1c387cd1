"""ecot-annotate: Embodied Chain-of-Thought annotation and training for robot demonstrations."""

from ecot_annotate.cpu_threads import passive_waiting

passive_waiting()  # before anything loads torch: OpenMP reads its wait policy once, then

__version__ = "0.1.0"
