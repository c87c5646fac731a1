"""The parser: parses, type-checks and compiles an expression in one pass."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from levelwise.domain.expr._builtins import ARITH, CMP, FUNCS, UNARY, round_half_away
from levelwise.domain.expr._compiled import Expr, Fn, Node, whole_expr
from levelwise.domain.expr._lex import ExprError, Token, describe, error_at, tokenize
from levelwise.domain.expr._types import (
    BOOL,
    DEFAULTS,
    LIST,
    NUMBER,
    SET,
    STRING,
    Schema,
    Unknown,
)

MAX_LENGTH, MAX_DEPTH = 2000, 50

_LITERALS = {"num": NUMBER, "str": STRING, "bool": BOOL}
_HINTS = {
    (BOOL, NUMBER): "write a comparison such as 'xp >= 100'",
    (BOOL, SET): "test a set with 'includes', e.g. units_completed includes [u1]",
    (NUMBER, BOOL): "use if(condition, 1, 0) to turn a condition into a number",
}


def compile_expr(source: str, schema: Schema, *, expect: str) -> Expr:
    """Parse, type-check and compile ``source``.

    Args:
        source: The expression text.
        schema: The variables it may read.
        expect: The result type it must have: ``"number"`` or ``"bool"``.

    Returns:
        The compiled expression.

    Raises:
        ExprError: The text is not a valid expression of type ``expect``.
        ValueError: ``expect`` is neither ``"number"`` nor ``"bool"``.
    """
    if expect not in (NUMBER, BOOL):
        raise ValueError(f"expect must be 'number' or 'bool', not {expect!r}")
    if not source.strip():
        raise ExprError("empty expression", 1, "write one such as 'xp >= 100'")
    if len(source) > MAX_LENGTH:
        msg = f"expression is too long ({len(source)} characters, at most {MAX_LENGTH})"
        raise ExprError(msg, MAX_LENGTH + 1, "split it up or simplify it")
    node = _Parser(source, schema).parse()
    if node.type != expect:
        msg = f"this expression gives {node.type}, but a {expect} is needed here"
        raise ExprError(msg, node.start + 1, _HINTS.get((expect, node.type), ""))
    return whole_expr(source, node)


# comparison -> (left operand types, right operand types); == and != need equal types
_OPERANDS = {"in": ((STRING,), (LIST, SET)), "includes": ((SET, LIST), (LIST, SET))}
# precedence levels handled by _Parser.chain: level -> (operators, operand type)
_CHAINS: dict[int, tuple[tuple[str, ...], str]] = {
    0: (("or",), BOOL),
    1: (("and",), BOOL),
}
_CHAINS |= {4: (("+", "-"), NUMBER), 5: (("*", "/", "%"), NUMBER)}


def _constant(value: Any) -> Fn:
    return lambda _env: value


def _leaf(typ: str, value: Any, start: int, end: int, op: str) -> Node:
    return Node(typ, _constant(value), start, end, op=op, const=True, value=value)


def _binary(op: Callable[[Any, Any], Any], a: Node, b: Node) -> Fn:
    fa, fb = a.fn, b.fn
    if b.const:
        c = b.value
        if a.key is not None:  # the common `variable >= constant`: one call less
            key, default = a.key, a.value
            return lambda env: op(env.get(key, default), c)
        return lambda env: op(fa(env), c)
    return lambda env: op(fa(env), fb(env))


def _optional(name: str) -> Fn:
    """Read an optional variable: no value (or None) is unknown."""

    def read(env: Mapping[str, Any]) -> Any:
        value = env.get(name)
        if value is None:
            raise Unknown
        return value

    return read


def _kleene(fs: tuple[Fn, ...], decisive: bool) -> Fn:
    """``and`` (``decisive`` False) or ``or`` (True) of parts that may be unknown.

    The first part that gives ``decisive`` decides; otherwise an unknown part
    makes the whole unknown (three-valued logic, as SQL's ``AND``/``OR``).
    """

    def fn(env: Mapping[str, Any]) -> bool:
        unknown = False
        for f in fs:
            try:
                if bool(f(env)) is decisive:
                    return decisive
            except Unknown:
                unknown = True
        if unknown:
            raise Unknown
        return not decisive

    return fn


def _false_if_unknown(f: Fn) -> Fn:
    """A condition that may be unknown, read as false when it is."""

    def fn(env: Mapping[str, Any]) -> Any:
        try:
            return f(env)
        except Unknown:
            return False

    return fn


def _make(
    typ: str, fn: Fn, start: int, end: int, op: str, kids: tuple[Node, ...]
) -> Node:
    """A node over ``kids``, folded to a constant when all of them are constant."""
    names = frozenset(name for kid in kids for name in kid.names)
    node = Node(typ, fn, start, end, names, op, kids)
    if all(kid.const for kid in kids):
        try:
            value = fn({})
            if type(value) is int and abs(value) > 2**53:
                value = float(value)
        except ArithmeticError:  # a huge int mixed with a float: left to evaluate()
            return node
        node.fn, node.const, node.value = _constant(value), True, value
    return node


class _Parser:
    """Recursive descent that parses, type-checks and compiles in one pass.

    Levels (low to high): 0 or, 1 and, 2 not, 3 comparison, 4 sum, 5 product,
    6 unary minus, 7 atom.
    """

    def __init__(self, src: str, schema: Schema) -> None:
        self.toks, self.i, self.depth = tokenize(src), 0, 0
        self.flat, self.namespaces = schema.flat, schema.namespaces
        self.optional = schema.optional
        # level n is parsed by levels[n](n); no dispatch frames (recursion stays low)
        self.levels: list[Callable[[int], Node]] = [self.chain, self.chain]
        self.levels += [self.prefix, self.cmp, self.chain, self.chain, self.prefix]
        self.levels.append(self.atom)

    def at(self, *texts: str) -> bool:
        return self.toks[self.i].kind == "op" and self.toks[self.i].text in texts

    def next(self) -> Token:
        self.i += 1
        return self.toks[self.i - 1]

    def nest(self, tok: Token, delta: int) -> None:
        self.depth += delta
        if self.depth > MAX_DEPTH:
            msg = f"expression is nested too deeply (more than {MAX_DEPTH} levels)"
            raise error_at(msg, tok.pos, "simplify it")

    def close(self, text: str, expected: str) -> Token:
        tok = self.next()
        if tok.kind == "op" and tok.text == text:
            return tok
        if tok.kind == "end":
            raise error_at(
                "unexpected end of expression", tok.pos, f"missing '{text}'?"
            )
        raise error_at(f"expected {expected}, got {describe(tok)}", tok.pos)

    def want(self, node: Node, types: tuple[str, ...], where: str) -> None:
        if node.type not in types:
            msg = f"expected a {' or '.join(types)} {where}, got {node.type}"
            raise error_at(msg, node.start, _HINTS.get((types[0], node.type), ""))

    def may_be_unknown(self, *nodes: Node) -> bool:
        """Whether some of ``nodes`` read an optional variable."""
        return any(not self.optional.isdisjoint(node.names) for node in nodes)

    def parse(self) -> Node:
        node = self.chain(0)
        tok = self.toks[self.i]
        if tok.kind != "end":
            hint = "is an operator such as 'and' missing before it?"
            hint = "there is no matching '('" if tok.text == ")" else hint
            raise error_at(f"unexpected {describe(tok)}", tok.pos, hint)
        return node

    def chain(self, n: int) -> Node:
        names, typ = _CHAINS[n]
        kids, opers = [self.levels[n + 1](n + 1)], list[str]()
        while self.at(*names):
            op = self.next().text
            if len(kids) == 1:
                self.want(kids[0], (typ,), f"on the left of '{op}'")
            kids.append(self.levels[n + 1](n + 1))
            self.want(kids[-1], (typ,), f"on the right of '{op}'")
            opers.append(op)
        if not opers:
            return kids[0]
        start, end, op = kids[0].start, kids[-1].end, opers[0]
        if typ == BOOL:  # flattened; short-circuits; fast path for two parts
            flat = tuple(g for k in kids for g in (k.kids if k.op == op else (k,)))
            fs, agg = tuple(k.fn for k in flat), all if op == "and" else any
            a, b = fs[0], fs[-1]
            fn: Fn = lambda env: agg(f(env) for f in fs)  # noqa: E731
            if len(fs) == 2:
                fn = (lambda env: a(env) and b(env)) if op == "and" else fn
                fn = (lambda env: a(env) or b(env)) if op == "or" else fn
            if self.may_be_unknown(*flat):
                fn = _kleene(fs, op == "or")
            return _make(BOOL, fn, start, end, op, flat)
        fns = [ARITH[name] for name in opers]
        first, rest = kids[0].fn, tuple(zip(fns, [k.fn for k in kids[1:]], strict=True))

        def loop(env: Mapping[str, Any]) -> Any:  # a loop, not nested closures
            value = first(env)
            for fn, f in rest:
                value = fn(value, f(env))
            return value

        fn = _binary(fns[0], *kids) if len(kids) == 2 else loop
        return _make(NUMBER, fn, start, end, "arith", tuple(kids))

    def prefix(self, n: int) -> Node:
        op, typ = ("not", BOOL) if n == 2 else ("-", NUMBER)
        if not self.at(op):
            return self.levels[n + 1](n + 1)
        tok = self.next()
        self.nest(tok, 1)
        inner = self.prefix(n)
        self.nest(tok, -1)
        self.want(inner, (typ,), f"after '{op}'")
        f = inner.fn
        fn: Fn = (lambda env: not f(env)) if n == 2 else (lambda env: -f(env))
        return _make(typ, fn, tok.pos, inner.end, op, (inner,))

    def cmp(self, _n: int) -> Node:
        left = self.chain(4)
        if not self.at(*CMP):
            return left
        op = self.next().text
        right = self.chain(4)
        eq = op in ("==", "!=")
        lefts, rights = _OPERANDS.get(
            op, ((NUMBER, BOOL, STRING) if eq else (NUMBER,),) * 2
        )
        self.want(left, lefts, f"on the left of '{op}'")
        if eq and right.type != left.type:
            msg = f"cannot compare {left.type} with {right.type} using '{op}'"
            raise error_at(msg, right.start, "both sides must have the same type")
        self.want(right, rights, f"on the right of '{op}'")
        if self.at(*CMP):
            hint = "combine them with 'and', e.g. 'a < b and b < c'"
            raise error_at("comparisons cannot be chained", self.toks[self.i].pos, hint)
        fn = _binary(CMP[op], left, right)
        return _make(BOOL, fn, left.start, right.end, op, (left, right))

    def atom(self, _n: int) -> Node:
        tok = self.next()
        if tok.kind in _LITERALS:
            end = tok.pos + len(tok.text)
            return _leaf(_LITERALS[tok.kind], tok.value, tok.pos, end, tok.kind)
        if tok.kind == "name":
            return self.call(tok) if self.at("(") else self.var(tok)
        if tok.kind == "op" and tok.text == "(":
            self.nest(tok, 1)
            node = self.chain(0)
            node.start, node.end = tok.pos, self.close(")", "')'").pos + 1
            self.nest(tok, -1)
            return node
        if tok.kind == "op" and tok.text == "[":
            return self.list_(tok)
        if tok.kind == "end":
            hint = f"expected a value after '{self.toks[self.i - 2].text}'"
            raise error_at("unexpected end of expression", tok.pos, hint)
        raise error_at(f"expected a value, got {describe(tok)}", tok.pos)

    def list_(self, tok: Token) -> Node:
        items: list[str] = []
        while not items or self.at(","):
            if items:
                self.next()
            elif self.at("]"):
                break
            item = self.next()
            if item.kind == "end":
                raise error_at("unexpected end of expression", item.pos, "missing ']'?")
            if item.kind not in ("sym", "str"):
                raise error_at(f"expected a list item, got {describe(item)}", item.pos)
            items.append(item.value)
        end = self.close("]", "',' or ']'").pos + 1
        return _leaf(LIST, frozenset(items), tok.pos, end, "list")

    def var(self, tok: Token) -> Node:
        name = tok.text
        typ = self.flat.get(name)
        if typ is None:
            raise error_at(f"unknown variable '{name}'", tok.pos, self.suggest(name))
        default, end = DEFAULTS[typ], tok.pos + len(name)
        if name in self.optional:  # no key: `_binary` must not read a default
            return Node(typ, _optional(name), tok.pos, end, frozenset({name}), "var")
        fn: Fn = lambda env: env.get(name, default)  # noqa: E731
        return Node(
            typ, fn, tok.pos, end, frozenset({name}), "var", value=default, key=name
        )

    def suggest(self, name: str) -> str:
        if name in self.namespaces:
            return f"'{name}' is a namespace; write '{name}.<key>'"
        if name in FUNCS:
            return f"'{name}' is a function; call it like {name}(...)"
        if close := difflib.get_close_matches(name, list(self.flat), n=1):
            return f"did you mean '{close[0]}'?"
        known = sorted(self.flat)
        return (
            "known variables: "
            + (", ".join(known[:15]) or "none")
            + ", ..." * (len(known) > 15)
        )

    def call(self, tok: Token) -> Node:
        name = tok.text
        if name not in FUNCS:
            hint = f"known functions: {', '.join(FUNCS)}"
            if close := difflib.get_close_matches(name, list(FUNCS), n=1):
                hint = f"did you mean '{close[0]}'? {hint}"
            raise error_at(f"unknown function '{name}'", tok.pos, hint)
        self.next()
        self.nest(tok, 1)
        args = [] if self.at(")") else [self.chain(0)]
        while args and self.at(","):
            self.next()
            args.append(self.chain(0))
        end = self.close(")", "',' or ')'").pos + 1
        self.nest(tok, -1)
        lo, hi = FUNCS[name]
        if len(args) < lo or len(args) > hi > 0:
            takes = (
                f"{lo} or {hi}" if lo < hi else f"at least {lo}" if hi < 0 else f"{lo}"
            )
            msg = f"{name}() takes {takes} argument{'s' * (lo < hi or lo > 1)}"
            raise error_at(f"{msg}, got {len(args)}", tok.pos)
        fs = [a.fn for a in args]
        if name == "if":
            self.want(args[0], (BOOL,), "as the condition of if()")
            typ, other = args[1].type, args[2].type
            if typ != other:
                msg = f"the branches of if() have different types: {typ} and {other}"
                raise error_at(
                    msg, args[2].start, "both branches must give the same type"
                )
            c, a, b = fs
            if self.may_be_unknown(args[0]):  # an unknown condition takes `else`
                c = _false_if_unknown(c)
            fn: Fn = lambda env: a(env) if c(env) else b(env)  # noqa: E731
            return _make(typ, fn, tok.pos, end, "call", tuple(args))
        if name == "count":
            self.want(args[0], (SET, LIST), "as the argument of count()")
        for i, arg in enumerate(args if name != "count" else (), 1):
            self.want(arg, (NUMBER,), f"as argument {i} of {name}()")
        return _make(
            NUMBER, self.numeric(name, fs, args), tok.pos, end, "call", tuple(args)
        )

    def numeric(self, name: str, fs: list[Fn], args: list[Node]) -> Fn:
        x = fs[0]
        if name in ("min", "max") and len(fs) > 1:
            agg: Callable[[list[Any]], Any] = min if name == "min" else max
            return lambda env: agg([f(env) for f in fs])
        if name == "clamp":
            lo, hi = fs[1], fs[2]
            return lambda env: min(max(x(env), lo(env)), hi(env))
        if name == "round":
            digits = args[1] if len(args) == 2 else _leaf(NUMBER, 0, 0, 0, "num")
            if not (digits.const and digits.value in range(-15, 16)):
                hint = "write a whole number from -15 to 15, e.g. round(x, 2)"
                raise error_at(
                    "round() needs a constant number of digits", digits.start, hint
                )
            n = int(digits.value)
            return lambda env: round_half_away(x(env), n)
        g = UNARY.get(name)  # min/max of one value is the value itself
        return x if g is None else lambda env: g(x(env))
