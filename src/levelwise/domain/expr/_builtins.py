"""The built-in operators and functions that expressions evaluate with."""

from __future__ import annotations

import math
import operator as ops
from collections.abc import Callable
from typing import Any

ARITH: dict[str, Callable[[Any, Any], Any]] = {"+": ops.add, "-": ops.sub}
"""Arithmetic operators; division and modulo by zero give 0."""
ARITH |= {"*": ops.mul, "/": lambda a, b: a / b if b else 0}
ARITH |= {"%": lambda a, b: a % b if b else 0}

CMP: dict[str, Callable[[Any, Any], Any]] = {"<": ops.lt, "<=": ops.le, ">": ops.gt}
"""Comparison operators, ``in`` and ``includes`` among them."""
CMP |= {">=": ops.ge, "==": ops.eq, "!=": ops.ne, "in": lambda x, s: x in s}
CMP |= {"includes": lambda s, items: items.issubset(s)}

FUNCS = {"abs": (1, 1), "ceil": (1, 1), "clamp": (3, 3), "count": (1, 1)}
"""The functions, each with its least and most arguments (-1: no limit)."""
FUNCS |= {"floor": (1, 1), "if": (3, 3), "max": (1, -1), "min": (1, -1)}
FUNCS |= {"round": (1, 2)}


def _whole(round_: Callable[[float], int]) -> Callable[[Any], Any]:
    return lambda x: x if isinstance(x, int) or not math.isfinite(x) else round_(x)


UNARY: dict[str, Callable[[Any], Any]] = {"abs": abs, "floor": _whole(math.floor)}
"""The functions of one argument that apply a Python callable to it."""
UNARY |= {"ceil": _whole(math.ceil), "count": len}


def round_half_away(x: Any, ndigits: int) -> Any:
    """Round halves away from zero (2.5 -> 3); ``ndigits <= 0`` gives an int."""
    if isinstance(x, int) and ndigits >= 0 or not math.isfinite(x):
        return x
    scaled = abs(x) * 10.0**ndigits
    if scaled >= 2**52:  # already whole at this scale
        return x
    n = math.floor(scaled + 0.5)
    if ndigits <= 0:
        return int(math.copysign(n * 10 ** (-ndigits), x))
    return math.copysign(n / 10.0**ndigits, x)
