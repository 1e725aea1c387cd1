"""One change as the review page posts it: read within a size limit and checked against what
the corrections format documents (store/correction_lines.py) before anything is written.

The body is the change's own fields plus `version` (the episode version the page was built on),
`id` (made by the page, so a retried save is applied once) and optionally `reviewer` (the name the
person gave in this browser). The server sets the rest: time, episode and config hash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from ecot_annotate.store.correction_lines import Change, parse_change
from ecot_annotate.store.json_values import NAME_LIMIT, LineError, change_id, count, text

BODY_LIMIT = 64 * 1024  # bytes; a change is a few hundred
CLIENT_FIELDS = frozenset({"version", "id", "reviewer"})


class RequestError(Exception):
    """A request the server refuses: its HTTP status and what was wrong."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ChangeRequest:
    """A checked change and what the page sent with it."""

    change: Change
    version: int
    id: str
    reviewer: str | None


async def read_body(request: Request) -> bytes:
    """The request's body, refused (413) as soon as it passes BODY_LIMIT."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > BODY_LIMIT):
        raise RequestError(413, f"a change is at most {BODY_LIMIT // 1024} KB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > BODY_LIMIT:
            raise RequestError(413, f"a change is at most {BODY_LIMIT // 1024} KB")
        chunks.append(chunk)
    return b"".join(chunks)


def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_request(body: bytes, n_steps: int) -> ChangeRequest:
    """The change a body holds, with its steps inside an episode of `n_steps` steps."""
    try:
        obj = json.loads(body.decode("utf-8"), parse_constant=_not_a_number)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RequestError(400, "the body must be one JSON object in UTF-8") from None
    if not isinstance(obj, dict):
        raise RequestError(400, "the body must be one JSON object")
    try:
        for name in ("version", "id"):
            if name not in obj:
                raise LineError(f"a change needs '{name}' (the page sends it)")
        change = parse_change(obj, CLIENT_FIELDS)
        request = ChangeRequest(
            change=change,
            version=count(obj["version"], "version"),
            id=change_id(obj["id"]),
            reviewer=text(obj["reviewer"], "reviewer", NAME_LIMIT, empty=False)
            if "reviewer" in obj
            else None,
        )
    except LineError as exc:
        raise RequestError(400, str(exc)) from None
    outside = [s for s in change.steps_named() if s >= n_steps]
    if outside:
        raise RequestError(400, f"step {outside[0]} is outside the episode: steps lie in 0-{n_steps - 1}")  # fmt: skip
    return request
