"""Hostile edits of the example programs: the loader answers with issues, never a crash.

Every place of the example files (each key and value, the first of its kind:
the first unit's ``minutes`` stands for every unit's) is replaced in turn with
values a school could write by mistake or on purpose. Whatever comes out,
``load_program`` compiles the text or raises :class:`ProgramError`, whose every
issue names the file and a line.

To keep the test fast, each file is first cut down: every list keeps its first
two items (a load takes about 2 ms instead of 25). The cut files name things
they no longer declare; the loader reports those beside the edit's own
problems, so each edit still goes through every check of its section.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from levelwise.app.programs.loader import load_program
from levelwise.errors import ProgramError

EXAMPLES = sorted(Path("src/levelwise/examples/programs").glob("*.yaml"))
NIHONGO = Path("tests/data/programs/nihongo.yaml")
"""A test school with every construct the examples lack (attributes, ...)."""

VALUES = (
    "2025-02-30",  # an impossible date
    "-1",
    "1e309",  # text in YAML, inf once read as a number (or as an expression)
    "1.0e+309",  # a YAML float: inf
    ".nan",
    "99999999999999999999999999",
    "''",
    "true",
    "null",
    "[]",
    "{}",
    '"' + "x" * 10_000 + '"',
    "[" * 200 + "]" * 200,  # nested deeper than any program needs
    "!!int one",  # explicit tags the YAML library cannot read
    "!!timestamp 2025-02-30",
    "!!python/name:os.system",
    "&self [*self]",  # an alias inside its own anchor
    "*undefined",
    "\x07",  # a control character YAML refuses
)
KEYS = ("1", "null", "[a]", '"' + "k" * 1000 + '"')
ID_KEYED = frozenset({"dimensions", "cuts", "points", "bkt", "title", "name"})
"""Mappings keyed by ids (or language tags): their keys are one place, not one
place each."""
NEW_PLACES = frozenset(
    {"languages", "attributes", "team_tasks", "study_day", "tags"}
    | {"available_from", "pass_mark", "repeats"}
)
"""Places of the constructs the examples do not all use (issue 16)."""

Shape = tuple[str, ...]


def cut_lists(text: str, keep: int = 2) -> str:
    """``text`` with every list cut to its first ``keep`` items."""
    cuts = []
    stack: list[yaml.Node] = [yaml.compose(text, Loader=yaml.SafeLoader)]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.SequenceNode):
            items = node.value
            if len(items) > keep and node.flow_style:
                cuts.append((items[keep - 1].end_mark.index, items[-1].end_mark.index))
            elif len(items) > keep:  # whole lines, from the first item dropped
                start = text.rfind("\n", 0, items[keep].start_mark.index) + 1
                end = text.rfind("\n", 0, node.end_mark.index) + 1
                cuts.append((start, end))
            stack.extend(items[:keep])
        elif isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
    for start, end in sorted(cuts, reverse=True):
        text = text[:start] + text[end:]
    return text


def places(text: str) -> Iterator[tuple[Shape, yaml.Node, bool]]:
    """The first node of each place in the file: ``(shape, node, is_key)``.

    A shape is the node's path without list indexes (and ids as ``<id>``).
    """
    seen: set[tuple[Shape, bool]] = set()
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    stack: list[tuple[Shape, yaml.Node, bool]] = [((), root, False)]
    while stack:
        shape, node, is_key = stack.pop()
        if (shape, is_key) not in seen:
            seen.add((shape, is_key))
            yield shape, node, is_key
        if isinstance(node, yaml.SequenceNode):
            stack.extend(((*shape, "*"), item, False) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = "<id>" if shape and shape[-1] in ID_KEYED else str(key.value)
                stack.append(((*shape, name), key, True))
                stack.append(((*shape, name), value, False))


def mutants(text: str, only: frozenset[str] | None = None) -> Iterator[tuple[str, str]]:
    """``(what was done, the edited text)`` for every place and hostile value.

    With ``only``, just the places under a key it names.
    """
    for shape, node, is_key in places(text):
        if only is not None and only.isdisjoint(shape):
            continue
        start, end = node.start_mark.index, node.end_mark.index
        where = ".".join(shape) or "the document"
        if is_key:
            values = KEYS
        elif isinstance(node, yaml.ScalarNode):
            values = VALUES
        else:  # a list or mapping: emptied, or a scalar instead
            values = ("[]", "{}", "null", "2025-02-30", "-1")
        for value in values:
            edited = text[:start] + value + text[end:]
            yield f"{'key' if is_key else 'value'} {where} := {value[:30]!r}", edited


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_the_cut_examples_are_still_read_as_yaml(example):
    text = example.read_text(encoding="utf-8")
    cut = cut_lists(text)
    assert len(cut) < len(text) / 3
    assert yaml.safe_load(cut).keys() == yaml.safe_load(text).keys()
    try:
        load_program(cut, "p.yaml")
    except ProgramError as exc:  # names the lists lost, but reads the file
        assert not any("YAML" in i.message for i in exc.issues), exc.issues


@pytest.mark.parametrize(
    "example",
    [*EXAMPLES, NIHONGO],
    ids=lambda p: p.stem,
)
def test_hostile_values_give_issues_with_a_line_never_a_crash(example):
    tried = 0
    source = example.read_text(encoding="utf-8")
    edits = (
        mutants(cut_lists(source))
        if example != NIHONGO
        else mutants(source, only=NEW_PLACES)  # small, and the rest is as above
    )
    for what, text in edits:
        tried += 1
        try:
            load_program(text, "p.yaml")
        except ProgramError as exc:
            assert exc.issues, what
            for issue in exc.issues:
                assert issue.file == "p.yaml" and issue.line >= 1, (what, str(issue))
                assert len(str(issue)) <= 600, (what, str(issue)[:200])
        except Exception as exc:  # anything else is the defect this test is for
            pytest.fail(f"{what}: {type(exc).__name__}: {exc}")
    assert tried > 500
