"""Read YAML with the line of every key and item, and YAML 1.2 booleans."""

from __future__ import annotations

import re
from typing import Any

import yaml

from levelwise.errors import Issue

Path = tuple[str | int, ...]
"""Where a value sits in the document: keys and list indexes from the root."""


class _Loader12(yaml.SafeLoader):
    """YAML with 1.2 booleans: only true/false, so ``on:`` stays a key."""


_Loader12.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader12.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def read_yaml(text: str, filename: str) -> tuple[Any, dict[Path, int], list[Issue]]:
    """Parse ``text`` and map every path in it to its 1-based line.

    Args:
        text: The YAML document.
        filename: Its name, for the issues.

    Returns:
        ``(data, lines, issues)``; ``data`` is None when the text is not a YAML
        mapping (the issues say why). Duplicate keys are issues too.
    """
    try:
        node = yaml.compose(text, Loader=_Loader12)
        data = yaml.load(text, Loader=_Loader12)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        issue = Issue(filename, line, f"not valid YAML: {problem}", "check indentation")
        return None, {}, [issue]
    if not isinstance(data, dict) or node is None:
        hint = "start with 'program: my-school'"
        return None, {}, [Issue(filename, 1, "a program file is a YAML mapping", hint)]
    lines: dict[Path, int] = {}
    issues: list[Issue] = []
    _index(node, (), lines, issues, filename)
    return data, lines, issues


def _index(
    node: yaml.Node,
    path: Path,
    lines: dict[Path, int],
    issues: list[Issue],
    filename: str,
) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            line = key.start_mark.line + 1
            if name in seen:
                issues.append(
                    Issue(filename, line, f"duplicate key '{name}'", "keep one")
                )
            seen.add(name)
            _index(value, (*path, name), lines, issues, filename)
            lines[(*path, name)] = line  # a key's line, not its value's
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), lines, issues, filename)
