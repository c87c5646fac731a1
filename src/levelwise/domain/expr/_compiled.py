"""Compiled expressions: the typed tree of closures, and the values built on it."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from levelwise.domain.expr._builtins import CMP
from levelwise.domain.expr._types import BOOL, FALLBACK, Unknown

Fn = Callable[[Mapping[str, Any]], Any]


@dataclass(slots=True)
class Node:
    """One node of the compiled tree: its type, its closure and its span.

    Attributes:
        type: The value type it gives.
        fn: Computes its value from an environment.
        start: 0-based start of its span in the source, parentheses included.
        end: 0-based end of that span (exclusive).
        names: The variable keys it reads.
        op: The operator (or ``var``, ``call``, a literal's kind ...) it applies.
        kids: Its operands.
        const: Whether it was folded to a constant.
        value: The constant, or a variable's default.
        key: The variable a ``var`` node reads.
    """

    type: str
    fn: Fn
    start: int
    end: int
    names: frozenset[str] = frozenset()
    op: str = ""
    kids: tuple[Node, ...] = ()
    const: bool = False
    value: Any = None
    key: str | None = None


@dataclass(frozen=True, eq=False)
class Expr:
    """A compiled, type-checked expression; evaluate it as often as needed.

    Attributes:
        source: The source text.
        type: The result type (``"number"``, ``"bool"``, ...).
        names: The variable keys it reads (namespaced ones in full).
    """

    source: str
    type: str
    names: frozenset[str]
    _fn: Fn = field(repr=False)
    _node: Node = field(repr=False)
    _origin: str = field(repr=False)

    def evaluate(self, env: Mapping[str, object]) -> object:
        """The value for ``env`` (flat keys; a missing one reads 0/False/""/empty).

        A variable the schema declares optional is *unknown* when ``env`` has no
        value for it (or None): a comparison, arithmetic or function of an unknown
        value is unknown, ``not`` of unknown is unknown, ``and`` is false when a
        part is false (else unknown), ``or`` is true when a part is true (else
        unknown), and ``if`` with an unknown condition takes its else branch.
        An unknown result gives False for a bool (a condition holds only when it
        is known to be true) and None for any other type.

        Never raises for well-typed input: division or modulo by zero gives 0, and
        an arithmetic overflow (beyond float range) gives nan, or False for a bool.
        """
        try:
            return self._fn(env)
        except ArithmeticError:
            return FALLBACK[self.type]
        except Unknown:
            return False if self.type == BOOL else None

    def conjuncts(self) -> tuple[Comparison | Expr, ...]:
        """The parts of a top-level ``and`` (a 1-tuple otherwise).

        ``<number> >= <constant>``, ``<number> > <constant>`` and
        ``<set> includes [list]`` parts come back as :class:`Comparison`.
        """
        node = self._node
        return tuple(map(self._part, node.kids if node.op == "and" else (node,)))

    def _sub(self, node: Node) -> Expr:
        text = self._origin[node.start : node.end]
        return Expr(text, node.type, node.names, node.fn, node, self._origin)

    def _part(self, node: Node) -> Comparison | Expr:
        part = self._sub(node)
        if node.op not in (">=", ">", "includes"):
            return part
        left, right = node.kids
        if right.const:
            target = right.value if node.op == "includes" else float(right.value)
            return Comparison(part.source, self._sub(left), node.op, target)
        return part


def whole_expr(source: str, node: Node) -> Expr:
    """The expression that is all of ``source``, compiled to ``node``."""
    return Expr(source, node.type, node.names, node.fn, node, source)


@dataclass(frozen=True, eq=False)
class Comparison:
    """One gate part with a constant target, to show progress toward it.

    Attributes:
        source: The source text of this part.
        left: The compared value (a number, or a set/list for ``includes``).
        op: ``">="``, ``">"`` or ``"includes"``.
        target: The constant; for ``includes`` the list items as a frozenset.
    """

    source: str
    left: Expr
    op: str
    target: float | frozenset[str]

    def holds(self, env: Mapping[str, object]) -> bool:
        """Whether this part is true for ``env`` (never when its value is unknown)."""
        value = self.left.evaluate(env)
        return value is not None and self._check(value)

    def _check(self, value: Any) -> bool:
        return bool(CMP[self.op](value, self.target))

    def progress(self, env: Mapping[str, object]) -> tuple[float, float, float]:
        """``(current, target, fraction in [0, 1])`` for ``env``.

        For numbers ``fraction`` is ``current / target`` clamped (a target <= 0
        gives 1.0 when the part holds, else 0.0); for ``includes`` ``current``
        counts the target items present. An unknown value makes no progress.
        """
        value: Any = self.left.evaluate(env)
        if value is None:
            target = self.target
            total = len(target) if isinstance(target, frozenset) else target
            return 0.0, float(total), 0.0
        if isinstance(self.target, frozenset):
            have, total = len(self.target.intersection(value)), len(self.target)
            return float(have), float(total), have / total if total else 1.0
        try:
            current = float(value)
        except OverflowError:  # an int beyond float range
            current = math.inf if value > 0 else -math.inf
        if self.target <= 0:
            return current, self.target, 1.0 if self._check(value) else 0.0
        fraction = current / self.target
        return current, self.target, min(fraction, 1.0) if fraction >= 0 else 0.0
