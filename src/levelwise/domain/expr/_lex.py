"""Tokens of expressions, and the error that points at a column of their text."""

from __future__ import annotations

import re
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


class Token(NamedTuple):
    """One token of the source text.

    Attributes:
        kind: ``num``, ``str``, ``bool``, ``name``, ``sym`` (a list item),
            ``op`` (keywords included) or ``end``.
        text: The token as written.
        pos: 0-based position in the source text.
        value: The literal's value (the text for names, symbols and operators).
    """

    kind: str
    text: str
    pos: int
    value: Any


def describe(tok: Token) -> str:
    """The token as an error message shows it (quoted unless a string)."""
    return tok.text if tok.kind == "str" else f"'{tok.text}'"


def error_at(message: str, pos: int, hint: str = "") -> ExprError:
    """The error for 0-based position ``pos`` of the source text."""
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
                raise error_at(f"unknown escape '\\{c}' in a string", j, hint)
            j += 1
        out.append(c)
        j += 1
    raise error_at("unterminated string", i, f"close it with {quote}")


def tokenize(src: str) -> list[Token]:
    """The tokens of ``src``, ending with an ``end`` token.

    Raises:
        ExprError: ``src`` holds a character or string no token can start with.
    """
    toks: list[Token] = []
    i, in_list = 0, False
    while i < len(src):
        c = src[i]
        if c.isspace():
            i += 1
        elif c in "'\"":
            text, end = _string(src, i)
            toks.append(Token("str", src[i:end], i, text))
            i = end
        elif in_list and c in ",]":
            toks.append(Token("op", c, i, c))
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
            toks.append(Token(kind, text, i, value))
            in_list, i = in_list or text == "[", m.end()
        elif in_list:
            hint = "list items are ids such as en-a1-u01, numbers or quoted strings"
            raise error_at(f"unexpected character '{c}' in a list", i, hint)
        elif c in _NOT_OPS:
            text = c * 2 if src.startswith(c * 2, i) else c
            raise error_at(f"'{text}' is not an operator", i, _NOT_OPS[c])
        else:
            raise error_at(f"unexpected character '{c}'", i)
    return [*toks, Token("end", "", len(src), None)]
