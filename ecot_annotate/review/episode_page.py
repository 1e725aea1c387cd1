"""One episode as the review page shows it: the report's episode view, with the corrections
applied (a rejected episode is still shown) and each step's six texts for the edit form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.dataset as pads

from ecot_annotate.episode import REASONING_FIELDS, Annotation
from ecot_annotate.inspect.episode_view import episode_view
from ecot_annotate.inspect.report import PAGE_COLUMNS
from ecot_annotate.store.run_output import open_steps, with_annotation


def review_view(
    out: str | Path, key: str, corrected: Annotation | None, index: int, lead: int
) -> dict[str, Any]:
    """`episode_view` of the episode (its rows rebuilt from `corrected` when people changed it),
    plus `texts`: per step, the six text fields."""
    dataset = open_steps(out, needed_for="review", corrected=False)
    names = set(dataset.schema.names)
    columns = [c for c in (*PAGE_COLUMNS, *REASONING_FIELDS) if c in names]
    columns = list(dict.fromkeys(columns))
    table = dataset.to_table(columns=columns, filter=pads.field("episode_key") == key)
    if corrected is not None:
        table = with_annotation(table.sort_by("step"), key, corrected)
    rows = table.sort_by("step").to_pylist()
    view = episode_view(rows, index, lead)
    view["texts"] = [{name: row[name] for name in REASONING_FIELDS} for row in rows]
    return view
