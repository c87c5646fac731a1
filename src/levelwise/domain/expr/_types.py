"""The value types of expressions, and the schema that gives variables theirs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from functools import cached_property

NUMBER, BOOL, STRING, SET, LIST = "number", "bool", "string", "set", "list"

DEFAULTS: dict[str, object] = {NUMBER: 0, BOOL: False, STRING: "", SET: frozenset()}
"""What a missing variable of each type reads (the types a variable may have)."""
FALLBACK: dict[str, object] = {**DEFAULTS, NUMBER: math.nan, LIST: frozenset()}
"""What an expression of each type gives when its arithmetic overflows."""


class Unknown(Exception):  # a signal like StopIteration, not an error: no "Error"
    """Raised while evaluating when an optional variable has no value.

    Comparisons, arithmetic and functions pass it on, so their value is unknown
    too; ``and``, ``or`` and the condition of ``if`` catch it (three-valued
    logic), and :meth:`Expr.evaluate` turns it into the expression's result.
    """


@dataclass(frozen=True)
class Schema:
    """Declares the variables an expression may use, with their types.

    Attributes:
        variables: Exact variable names mapped to their type
            (``"number"``, ``"bool"``, ``"string"`` or ``"set"``).
        namespaces: Prefix mapped to ``{key: type}``; ``{"dimension": {"vocabulary":
            "number"}}`` allows the variable ``dimension.vocabulary``.
        optional: Variables that may have no value (an event's optional fields):
            a missing one is unknown, not its type's default (see
            :meth:`Expr.evaluate`).
    """

    variables: Mapping[str, str]
    namespaces: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    optional: Set[str] = frozenset()

    def __post_init__(self) -> None:
        """Reject unknown variable types and optional names with a ValueError."""
        bad = {name: typ for name, typ in self.flat.items() if typ not in DEFAULTS}
        if bad:
            raise ValueError(
                f"unknown variable types {bad} (use {', '.join(DEFAULTS)})"
            )
        if stray := sorted(set(self.optional) - set(self.flat)):
            raise ValueError(f"optional names that are no variables: {stray}")

    @cached_property
    def flat(self) -> dict[str, str]:
        """Every variable key (namespaced ones as ``prefix.key``) with its type."""
        flat = dict(self.variables)
        for prefix, keys in self.namespaces.items():
            flat.update({f"{prefix}.{key}": typ for key, typ in keys.items()})
        return flat
