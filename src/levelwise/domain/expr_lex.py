"""Tokens, operators and built-in functions of expressions, and their error."""

from __future__ import annotations

import math
import operator as ops
import re
from collections.abc import Callable
from typing import Any, NamedTuple, cast

_KEYWORDS = frozenset({"and", "or", "not", "in", "includes"})
_TOKEN = re.compile(
    r"(?P<num>\d(?:_?\d)*(?:\.\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?)"
    r"|(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)|(?P<op><=|>=|==|!=|[-+*/%()<>,\[\]])",
    re.ASCII,
)
_SYMBOL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:\-]*")
_NOT_OPS = {"=": "use '==' to compare", "&": "use 'and'", "|": "use 'or'"}
_NOT_OPS["!"] = "use 'not' to negate or '!=' to compare"


class ExprError(Exception):
    """A problem in an expression's text, with the column where it starts.

    Attributes:
        message: What is wrong.
        column: 1-based column in the source text where the problem starts.
        hint: How to fix it (may be empty).
    """

    def __init__(self, message: str, column: int, hint: str = "") -> None:
        """Create the error; ``str(exc)`` reads ``column N: message (hint)``."""
        self.message, self.column, self.hint = message, column, hint
        super().__init__(f"column {column}: {message}" + (f" ({hint})" if hint else ""))


class _Tok(NamedTuple):
    kind: str  # num, str, bool, name, sym (list item), op (incl. keywords), end
    text: str
    pos: int
    value: Any


def _desc(tok: _Tok) -> str:
    return tok.text if tok.kind == "str" else f"'{tok.text}'"


def _err(message: str, pos: int, hint: str = "") -> ExprError:
    return ExprError(message, pos + 1, hint)


def _string(src: str, i: int) -> tuple[str, int]:
    """The unescaped string whose opening quote is at ``i``, and where it ends."""
    quote, out, j = src[i], list[str](), i + 1
    while j < len(src):
        c = src[j]
        if c == quote:
            return "".join(out), j + 1
        if c == "\\":
            c = src[j + 1 : j + 2]
            if c and c not in "\\\"'":
                hint = "only \\\\, \\\" and \\' work"
                raise _err(f"unknown escape '\\{c}' in a string", j, hint)
            j += 1
        out.append(c)
        j += 1
    raise _err("unterminated string", i, f"close it with {quote}")


def _tokenize(src: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, in_list = 0, False
    while i < len(src):
        c = src[i]
        if c.isspace():
            i += 1
        elif c in "'\"":
            text, end = _string(src, i)
            toks.append(_Tok("str", src[i:end], i, text))
            i = end
        elif in_list and c in ",]":
            toks.append(_Tok("op", c, i, c))
            in_list, i = c == ",", i + 1
        elif m := (_SYMBOL if in_list else _TOKEN).match(src, i):
            text = m.group()
            kind, value = ("sym" if in_list else str(m.lastgroup)), cast(Any, text)
            if text in ("true", "false") and kind == "name":
                kind, value = "bool", text == "true"
            elif kind == "name" and text in _KEYWORDS:
                kind = "op"
            elif kind == "num":
                value = float(text) if any(x in text for x in ".eE") else int(text)
                value = float(value) if abs(value) > 2**53 else value
            toks.append(_Tok(kind, text, i, value))
            in_list, i = in_list or text == "[", m.end()
        elif in_list:
            hint = "list items are ids such as en-a1-u01, numbers or quoted strings"
            raise _err(f"unexpected character '{c}' in a list", i, hint)
        elif c in _NOT_OPS:
            text = c * 2 if src.startswith(c * 2, i) else c
            raise _err(f"'{text}' is not an operator", i, _NOT_OPS[c])
        else:
            raise _err(f"unexpected character '{c}'", i)
    return [*toks, _Tok("end", "", len(src), None)]


def _whole(round_: Callable[[float], int]) -> Callable[[Any], Any]:
    return lambda x: x if isinstance(x, int) or not math.isfinite(x) else round_(x)


def _round(x: Any, ndigits: int) -> Any:
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


_ARITH: dict[str, Callable[[Any, Any], Any]] = {"+": ops.add, "-": ops.sub}
_ARITH |= {"*": ops.mul, "/": lambda a, b: a / b if b else 0}
_ARITH |= {"%": lambda a, b: a % b if b else 0}
_CMP: dict[str, Callable[[Any, Any], Any]] = {"<": ops.lt, "<=": ops.le, ">": ops.gt}
_CMP |= {">=": ops.ge, "==": ops.eq, "!=": ops.ne, "in": lambda x, s: x in s}
_CMP |= {"includes": lambda s, items: items.issubset(s)}
