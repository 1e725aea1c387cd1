"""Dataset sources by name; each module registers its dataset class on import."""

from ecot_annotate.sources import lerobot, rlds
from ecot_annotate.sources.base import SOURCES

__all__ = ["SOURCES", "lerobot", "rlds"]
