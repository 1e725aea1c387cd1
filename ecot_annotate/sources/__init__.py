"""Dataset sources by name; each module registers itself on import."""

from ecot_annotate.sources import lerobot_source, rlds_source
from ecot_annotate.sources.base import SOURCES

__all__ = ["SOURCES", "lerobot_source", "rlds_source"]
