"""The shape of the code: imports run downward only, no import circles, long files say why.

Layers, top to bottom: `ecot_annotate.cli` -> `pipelines` (the only place Beam's graph lives) ->
the library (`ecot_annotate`). Every import counts, also those inside functions. Between folders
too: `FLOORS` orders them, and a folder imports only from folders on lower floors (the library's
top-level modules, config.py, errors.py and the like, sit beside the floors and are checked by
the circle tests).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import networkx as nx
import pytest

from tests.support.datasets import REPO

PACKAGES = ("ecot_annotate", "pipelines")
LONG_FILE_LINES = 300
LONG_FILE_MARK = "# Long file:"
FLOORS = (  # top to bottom; folders on one floor do not import each other
    ("ecot_annotate.cli",),
    ("pipelines", "ecot_annotate.review"),  # pipelines with pipelines/formats
    ("ecot_annotate.inspect", "ecot_annotate.sample", "ecot_annotate.train"),
    ("ecot_annotate.stages", "ecot_annotate.store"),
    ("ecot_annotate.reasoners", "ecot_annotate.sinks"),
    ("ecot_annotate.backends", "ecot_annotate.sources", "ecot_annotate.text"),
    ("ecot_annotate.geometry",),
    ("ecot_annotate.profiles",),
    ("ecot_annotate.kinematics", "ecot_annotate.layouts"),
)


DOC = REPO / "docs" / "ARCHITECTURE.md"
DOC_FLOORS = re.compile(r"(<!-- floors -->\n)(.*?)(<!-- /floors -->)", re.S)


def floors_list() -> str:
    """FLOORS as docs/ARCHITECTURE.md lists them: one numbered line per floor, top to bottom."""
    names = [[name.removeprefix("ecot_annotate.") for name in floor] for floor in FLOORS]
    return "".join(
        f"{n}. {', '.join(f'`{name}`' for name in floor)}\n" for n, floor in enumerate(names, 1)
    )


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imported(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Project modules `module` imports (the deepest known module each import names)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            names.update(f"{base}.{alias.name}" for alias in node.names)
            names.add(base)
    resolved = set()
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            resolved.add(name)
    return resolved


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    known = _modules()
    g = nx.DiGraph()
    for module, path in known.items():
        g.add_node(module)
        g.add_edges_from((module, target) for target in _imported(module, path, known))
    return g


def _unit(module: str) -> str:
    """The folder a module lives in (`pipelines` for all of it), or the module itself when it
    sits at the library's top level."""
    parts = module.split(".")
    if parts[0] == "pipelines":
        return "pipelines"
    if len(parts) == 1:
        return module
    folder = ".".join(parts[:2])
    return folder if (REPO / "ecot_annotate" / parts[1]).is_dir() else module


@pytest.fixture(scope="module")
def folders(graph) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(_unit(m) for m in graph.nodes)
    g.add_edges_from((_unit(a), _unit(b)) for a, b in graph.edges if _unit(a) != _unit(b))
    return g


def test_no_import_circles_between_folders(folders):
    circles = [sorted(c) for c in nx.strongly_connected_components(folders) if len(c) > 1]
    assert circles == []


def test_folders_import_only_from_lower_floors(folders):
    floor = {folder: n for n, names in enumerate(FLOORS) for folder in names}
    package_folders = {
        u
        for u in folders.nodes
        if u == "pipelines" or (u.count(".") == 1 and (REPO / Path(*u.split("."))).is_dir())
    }
    assert package_folders == set(floor), "every folder has a floor in FLOORS"
    upward = sorted(
        (a, b) for a, b in folders.edges if a in floor and b in floor and floor[a] >= floor[b]
    )
    assert upward == []


def test_no_import_circles(graph):
    circles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert circles == []


def test_the_library_never_imports_pipelines(graph):
    upward = [
        (a, b)
        for a, b in graph.edges
        if a.startswith("ecot_annotate")
        and not a.startswith("ecot_annotate.cli")
        and b.startswith("pipelines")
    ]
    assert upward == []


def test_beam_lives_in_pipelines_only():
    """The library reaches files through `ecot_annotate.fs`; nothing else in it imports Beam."""
    offenders = []
    for module, path in _modules().items():
        if module.startswith("pipelines") or module == "ecot_annotate.fs":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [(module, n) for n in names if n.split(".")[0] == "apache_beam"]
    assert offenders == []


def test_long_files_say_why_at_their_top():
    roots = [REPO / p for p in (*PACKAGES, "tests", "benchmarks")]
    unexplained = [
        str(path.relative_to(REPO))
        for root in roots
        for path in root.rglob("*.py")
        if len(path.read_text().splitlines()) > LONG_FILE_LINES
        and not path.read_text().startswith(LONG_FILE_MARK)
    ]
    assert unexplained == []


def test_the_architecture_doc_lists_these_floors():
    found = DOC_FLOORS.search(DOC.read_text())
    assert found is not None, "docs/ARCHITECTURE.md has no <!-- floors --> block"
    assert found.group(2) == floors_list(), "run `python -m tests.test_architecture`"


if __name__ == "__main__":  # write FLOORS into docs/ARCHITECTURE.md
    DOC.write_text(
        DOC_FLOORS.sub(lambda m: m.group(1) + floors_list() + m.group(3), DOC.read_text())
    )
