"""Read YAML with the line of every key and item, and YAML 1.2 scalars.

Whatever the text, reading it gives data or issues, never another exception:
the text is composed first, its nodes are checked (keys are names, nesting is
shallow, aliases neither loop nor multiply the document), and only then built.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import yaml
from yaml.constructor import ConstructorError

from levelwise.errors import Issue

if TYPE_CHECKING or yaml.__with_libyaml__:
    # libyaml composes some 30 times faster than the pure-Python parser and
    # refuses nesting beyond 1000 levels instead of exhausting the stack.
    from yaml import CSafeLoader as _SafeLoader
else:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader

Path = tuple[str | int, ...]
"""Where a value sits in the document: keys and list indexes from the root."""

MAX_DEPTH = 32
"""Deepest nesting of lists and mappings; a program file needs about 6."""
MAX_REPEATS = 100_000
"""Most values aliases (``*name``) may repeat in all (a "billion laughs" guard)."""

_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader12(_SafeLoader):
    """YAML 1.2 scalars: only true/false are booleans, and dates stay text.

    ``on:`` stays a key rather than the boolean true, and an impossible date
    such as ``2025-02-30`` reaches the field that reads it, which reports it
    with its line (YAML 1.1 would fail while building it, with no field).
    """

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        """Build ``node``; a tagged value its constructor cannot read is an error."""
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (
            ArithmeticError,
            AttributeError,
            KeyError,
            TypeError,
            ValueError,
        ) as exc:
            # An explicit tag (!!int one, !!timestamp soon) that PyYAML's own
            # constructor fails on with a bare Python error.
            tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
            problem = f"cannot read '{shorten(str(node.value))}' as {tag}"
            raise ConstructorError(None, None, problem, node.start_mark) from exc

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping whose keys are their text: keys are names.

        ``1:``, ``null:`` and ``true:`` are the names "1", "null" and "true",
        so an unknown one is reported like any misspelt key.
        """
        self.flatten_mapping(node)
        return {
            str(key.value): self.construct_object(value, deep=deep)
            for key, value in node.value
        }


_Loader12.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}
_Loader12.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters (with "..."), to quote it in a message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_yaml(text: str, filename: str) -> tuple[Any, dict[Path, int], list[Issue]]:
    """Parse ``text`` and map every path in it to its 1-based line.

    Args:
        text: The YAML document.
        filename: Its name, for the issues.

    Returns:
        ``(data, lines, issues)``; ``data`` is None when the text is not a YAML
        mapping or cannot be built safely (the issues say why). Duplicate keys
        are issues too.
    """
    loader = _Loader12(text)
    try:
        node = loader.get_single_node()
        if not isinstance(node, yaml.MappingNode):
            hint = "start with 'program: my-school'"
            issue = Issue(filename, 1, "a program file is a YAML mapping", hint)
            return None, {}, [issue]
        index = _Index(filename)
        index.walk(node, (), set())
        if index.fatal:
            return None, index.lines, index.issues
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        return None, {}, [_yaml_issue(exc, text, filename)]
    finally:
        loader.dispose()
    return data, index.lines, index.issues


def _yaml_issue(exc: yaml.YAMLError, text: str, filename: str) -> Issue:
    """The issue of a YAML error: its line, what it says, and a hint by kind."""
    mark = getattr(exc, "problem_mark", None)
    if mark is None:  # a ReaderError: a character YAML refuses, with no line
        # (its position counts bytes with libyaml, characters without it)
        code = getattr(exc, "character", None)
        found = text.find(chr(code)) if isinstance(code, int) else -1
        line = text.count("\n", 0, max(found, 0)) + 1
        problem = getattr(exc, "reason", None) or str(exc)
        return Issue(filename, line, f"not valid YAML: {problem}", "remove it")
    line = mark.line + 1
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    problem = ", ".join(p for p in parts if p)
    hint = "check indentation"
    if isinstance(exc, ConstructorError):
        hint = "remove the tag or fix the value"
    elif "undefined alias" in problem:
        name = re.match(r"\*([^\s,\[\]{}]+)", text[mark.index :])
        problem += f" '*{name.group(1)}'" if name and "'" not in problem else ""
        hint = "write '&name' on a value before using '*name'"
    elif "another document" in problem:
        hint = "a program file is one document: remove the '---' line"
    return Issue(filename, line, f"not valid YAML: {problem}", hint)


class _Index:
    """The line of every path, and the problems a node tree can have."""

    def __init__(self, filename: str) -> None:
        self.file = filename
        self.lines: dict[Path, int] = {}
        self.issues: list[Issue] = []
        self.fatal = False
        self.seen: set[int] = set()
        self.repeats = 0

    def problem(self, line: int, message: str, hint: str, fatal: bool) -> None:
        self.issues.append(Issue(self.file, line, message, hint))
        self.fatal = self.fatal or fatal

    def walk(self, node: yaml.Node, path: Path, above: set[int], at: int = 1) -> None:
        """Index ``node`` at ``path``; ``above`` holds the ids of its ancestors.

        ``at`` is the line of the innermost ancestor met for the first time:
        an alias is the node it names (marked where that was written), so a
        problem inside it is reported where the alias was used.
        """
        if self.fatal:
            return
        if id(node) in above:
            hint = "an alias (*name) cannot be used inside the value it names"
            self.problem(at, "a value contains itself through an alias", hint, True)
            return
        if id(node) in self.seen:
            self.repeats += 1
            if self.repeats > MAX_REPEATS:
                message = f"aliases (*name) repeat more than {MAX_REPEATS} values"
                self.problem(at, message, "write the values out instead", True)
                return
        else:
            self.seen.add(id(node))
            at = node.start_mark.line + 1
        self.lines[path] = node.start_mark.line + 1
        if len(above) >= MAX_DEPTH and not isinstance(node, yaml.ScalarNode):
            message = f"values are nested more than {MAX_DEPTH} deep"
            self.problem(at, message, "a program file needs far less", True)
            return
        inside = above | {id(node)}
        if isinstance(node, yaml.MappingNode):
            self._mapping(node, path, inside, at)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.walk(item, (*path, i), inside, at)

    def _mapping(
        self, node: yaml.MappingNode, path: Path, inside: set[int], at: int
    ) -> None:
        names: set[str] = set()
        for key, value in node.value:
            line = key.start_mark.line + 1
            if not isinstance(key, yaml.ScalarNode):
                hint = "keys are plain names such as 'id'"
                message = "a key must be a name, not a list or mapping"
                self.problem(line, message, hint, True)
                return
            name = str(key.value)
            if name in names:
                self.problem(
                    line, f"duplicate key '{shorten(name)}'", "keep one", False
                )
            names.add(name)
            self.walk(value, (*path, name), inside, at)
            self.lines[(*path, name)] = line  # a key's line, not its value's
