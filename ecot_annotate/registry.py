"""Name -> implementation tables for sources, stages, reasoners, backends and output formats.

Adding an implementation is one new module that registers itself; the CLI's choices and the
config checks read the table, so nothing else has to learn the new name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from ecot_annotate.errors import InputError

T = TypeVar("T")


class Registry(Generic[T]):
    """One table of named implementations; a second registration of a name is an error."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(entry: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} '{name}' is already registered")
            self._entries[name] = entry
            return entry

        return add

    def get(self, name: str) -> T:
        if name not in self._entries:
            raise InputError(f"unknown {self.kind} '{name}'; choose from {', '.join(self.names())}")
        return self._entries[name]

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._entries))

    def __contains__(self, name: object) -> bool:
        return name in self._entries
