"""The README's list of built-in profiles, generated from the profile files themselves.

`python -m ecot_annotate.profiles.catalog README.md` (or `make profiles-doc`) rewrites the block
between the two markers; a test fails when the README and the files disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ecot_annotate.profiles import BUILTIN_DIR, builtin_profiles, load_profile

START, END = "<!-- builtin-profiles:start -->", "<!-- builtin-profiles:end -->"


def _title(name: str) -> str:
    first = (BUILTIN_DIR / f"{name}.toml").read_text().splitlines()[0]
    return first.lstrip("# ").split(', "')[0].rstrip(".")


def builtin_table() -> str:
    """A Markdown table: one row per built-in profile."""
    rows = [
        "| profile (dataset name) | data | camera | motion from | rotation | Hz |",
        "|---|---|---|---|---|---|",
    ]
    for name in builtin_profiles():
        p = load_profile(name)
        motion = p.motion_from.replace("_", " ") if p.motion_from.in_action else "state"
        rotation = (
            p.rotation if p.rotation != "quaternion" else f"quaternion ({p.quaternion_order})"
        )
        hz = f"{p.control_hz:g}" if p.control_hz else ""
        camera = p.image_key.rsplit("/", 1)[-1]
        rows.append(f"| `{name}` | {_title(name)} | `{camera}` | {motion} | {rotation} | {hz} |")
    return "\n".join(rows)


def rewrite(readme: Path) -> bool:
    """Put the current table between the markers; True when the file changed."""
    text = readme.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{builtin_table()}\n{END}{tail}"
    if new != text:
        readme.write_text(new)
    return new != text


if __name__ == "__main__":
    for path in sys.argv[1:] or ["README.md"]:
        print(f"{path}: {'updated' if rewrite(Path(path)) else 'already current'}")
