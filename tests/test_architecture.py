"""The shape of the code: imports run downward only, no import circles, long files say why.

Layers, top to bottom: `ecot_annotate.cli` -> `pipelines` (the only place Beam's graph lives) ->
the library (`ecot_annotate`). Every import counts, also those inside functions. Folders inside a
package are layers too: their imports form no circle, so they stack in one order.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

from tests.support.datasets import REPO

PACKAGES = ("ecot_annotate", "pipelines")
LONG_FILE_LINES = 300
LONG_FILE_MARK = "# Long file:"


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


def _folder(module: str, known: dict[str, Path]) -> str:
    """The folder a module lies in (`ecot_annotate.backends`); a module at a package's top is
    its own node (`ecot_annotate.config`), since the top holds what every folder shares."""
    top = ".".join(module.split(".")[:2])
    return top if known.get(top, Path()).name == "__init__.py" else module


@pytest.mark.xfail(
    strict=True, reason="ecot_annotate/sinks/lerobot.py imports the file-name helper of store/"
)
def test_no_import_circles_between_folders(graph):
    """Folders import each other in one order only: no folder imports one that imports it back,
    so a lower folder never imports a higher one (`backends` never imports `reasoners`)."""
    known = _modules()
    folders = nx.DiGraph()
    for a, b in graph.edges:
        fa, fb = _folder(a, known), _folder(b, known)
        if fa != fb:
            folders.add_edge(fa, fb)
    circles = [sorted(c) for c in nx.strongly_connected_components(folders) if len(c) > 1]
    assert circles == []
