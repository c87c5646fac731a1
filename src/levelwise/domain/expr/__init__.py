"""A small, safe expression language for level gates and XP formulas.

The package's modules, by what each does:

* ``_lex``: tokens, and :class:`ExprError`, which points at a column;
* ``_types``: the value types and the :class:`Schema` of variables;
* ``_builtins``: the operators and functions expressions evaluate with;
* ``_compiled``: the compiled tree and :class:`Expr`/:class:`Comparison`;
* ``_parse``: :func:`compile_expr`, which parses, type-checks and compiles.
"""

from levelwise.domain.expr._compiled import Comparison, Expr
from levelwise.domain.expr._compiled import Fn as Fn
from levelwise.domain.expr._lex import ExprError
from levelwise.domain.expr._parse import MAX_DEPTH as MAX_DEPTH
from levelwise.domain.expr._parse import MAX_LENGTH as MAX_LENGTH
from levelwise.domain.expr._parse import compile_expr
from levelwise.domain.expr._types import BOOL, LIST, NUMBER, SET, STRING, Schema

__all__ = ["BOOL", "LIST", "NUMBER", "SET", "STRING", "Comparison", "Expr"]
__all__ += ["ExprError", "Schema", "compile_expr"]
