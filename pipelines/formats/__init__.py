"""Output formats by name; each module registers itself on import."""

from pipelines.formats import ecot_json, lerobot, parquet, rlds
from pipelines.formats.base import FORMATS, OutputFormat, WriteContext

__all__ = ["FORMATS", "OutputFormat", "WriteContext", "ecot_json", "lerobot", "parquet", "rlds"]
