"""The house as the code draws it: rooms, import direction, one error tree.

import-linter checks the layers and the capability rooms (``make contracts``);
these tests check what its contracts cannot say.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import levelwise
from levelwise import errors
from levelwise.errors import LevelwiseError

SRC = Path(levelwise.__file__).parent
SKIP = ("levelwise.adapters.sql.migrations",)


def modules() -> Iterator[tuple[str, Path]]:
    """Every module of the package with its file (migrations aside)."""
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if not name.startswith(SKIP):
            yield name, path


def imports(path: Path) -> Iterator[ast.ImportFrom | ast.Import]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node


def test_the_domain_imports_the_standard_library_only():
    outside = set()
    for name, path in modules():
        if not name.startswith("levelwise.domain"):
            continue
        for node in imports(path):
            targets = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            for target in targets:
                top = target.split(".")[0]
                if top == "levelwise" and target.startswith("levelwise.domain"):
                    continue
                if top not in sys.stdlib_module_names:
                    outside.add(f"{name} imports {target}")
    assert outside == set()


def _graph() -> dict[str, set[str]]:
    known = dict(modules())
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for node in imports(path):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    graph[name].add(sub if sub in known else node.module)
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names)
    return {n: {d for d in deps if d in known and d != n} for n, deps in graph.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_there_is_no_import_circle():
    # Imports under TYPE_CHECKING count too: a circle is a design smell
    # whether or not it runs.
    assert _cycles(_graph()) == []


def test_the_circle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]


def test_no_private_name_crosses_modules():
    crossing = []
    for name, path in modules():
        for node in imports(path):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "levelwise"
            ):
                crossing += [
                    f"{name} imports {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert crossing == []


def test_the_rooms_keep_their_size():
    app = [p for p in (SRC / "app").iterdir() if p.name != "__pycache__"]
    top = list(SRC.glob("*.py"))
    loose = sorted(p.name for p in app if p.is_file())
    assert loose == ["__init__.py", "engine.py", "links.py", "ports.py", "views.py"]
    rooms = {p.name for p in app if p.is_dir()}
    assert rooms == mapped_rooms(), "every capability room is on the map"
    assert len(top) <= 8, sorted(p.name for p in top)
    assert (SRC / "cli" / "__init__.py").is_file()
    assert not list(SRC.glob("*cli*.py"))


def mapped_rooms() -> set[str]:
    """The rooms under ``app/`` that the map in ``docs/design.md`` draws."""
    text = (SRC.parents[1] / "docs" / "design.md").read_text(encoding="utf-8")
    tree = text.split("## The map of the house", 1)[1].split("```")[1]
    tree = tree.split("\n  app/", 1)[1].split("\n  adapters/", 1)[0]
    return {
        line.split()[0].rstrip("/")
        for line in tree.splitlines()
        if line.startswith("    ")
        and not line.startswith("     ")
        and line.split()[0].endswith("/")
    }


def test_bootstrap_touches_no_private_attribute():
    tree = ast.parse((SRC / "bootstrap.py").read_text(encoding="utf-8"))
    private = [
        f"line {n.lineno}: .{n.attr}"
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute)
        and n.attr.startswith("_")
        and not n.attr.startswith("__")
    ]
    assert private == []


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


@pytest.fixture(scope="module")
def every_module_imported() -> None:
    for info in pkgutil.walk_packages(levelwise.__path__, "levelwise."):
        if not info.name.startswith(SKIP):
            importlib.import_module(info.name)


@pytest.mark.usefixtures("every_module_imported")
def test_every_error_class_is_declared_in_errors_py():
    elsewhere = {
        f"{c.__module__}.{c.__qualname__}"
        for c in _subclasses(LevelwiseError)
        if c.__module__ != "levelwise.errors" and c.__module__.startswith("levelwise")
    }
    assert elsewhere == set()


@pytest.mark.usefixtures("every_module_imported")
def test_the_error_tree_is_drawn_in_its_docstring():
    doc = errors.__doc__ or ""
    ours = [c for c in _subclasses(LevelwiseError) if c.__module__ == errors.__name__]
    declared = {c.__name__ for c in ours} | {"LevelwiseError"}
    missing = {name for name in declared if name not in doc}
    assert missing == set()
