"""Tests for the gate and XP formula expression language."""

from __future__ import annotations

import math
import random
from types import MappingProxyType
from typing import Any

import pytest

from levelwise.domain.expr import (
    BOOL,
    NUMBER,
    SET,
    STRING,
    Comparison,
    Expr,
    ExprError,
    Schema,
    compile_expr,
)

SCHEMA = Schema(
    variables={
        "xp": NUMBER,
        "streak": NUMBER,
        "accuracy": NUMBER,
        "ok": BOOL,
        "name": STRING,
        "units_completed": SET,
        "tags": SET,
    },
    namespaces={
        "dimension": {"vocabulary": NUMBER, "grammar": NUMBER},
        "mastery": {"en.a1": NUMBER},
    },
)
ENV: dict[str, object] = {
    "xp": 1300,
    "streak": 4,
    "accuracy": 0.75,
    "ok": True,
    "name": "en-a1-u02",
    "units_completed": frozenset({"en-a1-u01", "en-a1-u02"}),
    "tags": {"en-a1-u01"},
    "dimension.vocabulary": 0.7,
    "mastery.en.a1": 0.25,
}


def run(source: str, expect: str, env: Any = None) -> object:
    return compile_expr(source, SCHEMA, expect=expect).evaluate(
        ENV if env is None else env
    )


class Recorder(dict[str, object]):
    """An environment that remembers which keys were read."""

    def __init__(self, values: dict[str, object]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: object = None) -> object:
        self.read.add(key)
        return super().get(key, default)


NUMBERS = [
    ("int", "12", 12),  # integer literal
    ("float", "0.6", 0.6),  # decimal literal
    ("exponent", "1e3", 1000.0),  # scientific notation
    ("underscores", "1_000 + 1_0.5", 1010.5),  # digit separators
    ("precedence", "2 + 3 * 4", 14),  # * binds tighter than +
    ("parens", "(2 + 3) * 4", 20),  # parentheses override precedence
    ("sub-left-assoc", "2 - 3 - 4", -5),  # (2 - 3) - 4
    ("div-left-assoc", "100 / 10 / 5", 2.0),  # (100 / 10) / 5
    ("mixed-prod", "2 * 7 % 4", 2),  # (2 * 7) % 4, same level
    ("neg-binds-tight", "-2 * 3 + 10", 4),  # (-2) * 3
    ("double-neg", "- -2", 2),  # unary minus nests
    ("minus-neg", "2 - -3", 5),  # binary then unary minus
    ("mod-python", "-7 % 3", 2),  # modulo takes the divisor's sign
    ("div-zero", "10 / 0", 0),  # division by zero gives 0
    ("mod-zero", "7 % 0", 0),  # modulo by zero gives 0
    ("var-div-zero", "xp / (streak - 4)", 0),  # also at run time
    ("var-mod-zero", "xp % (streak - 4)", 0),  # also at run time
    ("var", "xp", 1300),  # a variable
    ("var-const-sum", "xp + 1", 1301),  # variable on the left of a constant
    ("const-var-sum", "1 + xp", 1301),  # constant on the left
    ("var-var", "xp - streak", 1296),  # two variables
    ("long-chain", "xp - streak - 300 + 4 * 2", 1004),  # n-ary chain loop
    ("namespace", "dimension.vocabulary * 10", 7.0),  # dotted variable
    ("dotted-key", "mastery.en.a1 * 4", 1.0),  # namespace key with a dot
    ("min", "min(xp, 5, streak)", 4),  # several arguments
    ("max", "max(1, xp)", 1300),  # two arguments
    ("min-one", "min(xp)", 1300),  # a single argument is the value
    ("abs", "abs(streak - 10)", 6),  # absolute value
    ("round-half-up", "round(2.5)", 3),  # halves go away from zero
    ("round-neg-half", "round(-2.5)", -3),  # also for negatives
    ("round-digits", "round(accuracy / 3, 2)", 0.25),  # ndigits
    ("round-float-digits", "round(1.26, 1.0)", 1.3),  # whole float ndigits
    ("round-neg-digits", "round(1250, -2)", 1300),  # tens, hundreds...
    ("round-int", "round(xp, 2)", 1300),  # an int stays as it is
    ("round-huge", "round(1e300, 5)", 1e300),  # already whole at that scale
    ("round-inf", "round(1e400)", math.inf),  # non-finite passes through
    ("floor", "floor(accuracy * 10)", 7),  # round down
    ("floor-neg", "floor(-0.5)", -1),  # toward minus infinity
    ("floor-int", "floor(xp)", 1300),  # an int stays as it is
    ("floor-inf", "floor(1e400)", math.inf),  # non-finite passes through
    ("ceil", "ceil(accuracy)", 1),  # round up
    ("clamp-low", "clamp(streak, 5, 10)", 5),  # below the range
    ("clamp-high", "clamp(xp, 5, 10)", 10),  # above the range
    ("clamp-in", "clamp(streak, 1, 10)", 4),  # inside the range
    ("count-set", "count(units_completed)", 2),  # size of a set
    ("count-list", "count([a, b, a])", 2),  # list items are a set of ids
    ("if-then", "if(ok, 1, 2)", 1),  # the condition holds
    ("if-else", "if(xp < 0, 1, 2)", 2),  # it does not
    ("if-lazy", "if(xp > 0, xp, 1 / 0)", 1300),  # untaken branch never runs
    ("if-mixed", "if(ok, 1, 0.5) + 1", 2),  # int and float are both numbers
    ("big-literal", "99999999999999999 - 1e17", 0.0),  # > 2**53 becomes a float
    ("fold-big", "99999999 * 99999999 * 9999", float(99999999**2 * 9999)),  # folded
]


@pytest.mark.parametrize(
    ("source", "value"), [c[1:] for c in NUMBERS], ids=[c[0] for c in NUMBERS]
)
def test_number_expressions(source: str, value: object) -> None:
    result = run(source, NUMBER)
    assert result == value
    assert type(result) is type(value)


BOOLS = [
    ("lt", "streak < 5", True),  # less than
    ("le", "streak <= 3", False),  # less or equal
    ("gt", "xp > 1300", False),  # greater than
    ("ge", "xp >= 1300", True),  # greater or equal
    ("eq-num", "xp == 1300.0", True),  # int equals float
    ("ne-num", "xp != 1300", False),  # not equal
    ("eq-str", "name == 'en-a1-u02'", True),  # strings compare
    ("ne-str", 'name != "x"', True),  # double quotes
    ("eq-bool", "ok == true", True),  # bools compare
    ("const-left", "5 < xp", True),  # constant on the left
    ("and", "ok and xp > 1", True),  # both hold
    ("or", "xp < 1 or false", False),  # neither holds
    ("and-over-or", "true or false and false", True),  # and binds tighter
    ("and-over-or-2", "false and true or true", True),  # (false and true) or true
    ("not-over-and", "not ok and false", False),  # (not ok) and false
    ("not-over-cmp", "not xp >= 5000", True),  # not (xp >= 5000)
    ("not-not", "not not ok", True),  # not nests
    ("and-3", "ok and xp > 1 and streak == 4", True),  # three parts, all hold
    ("and-3-false", "ok and xp < 1 and streak == 4", False),  # one fails
    ("or-3", "false or xp < 1 or ok", True),  # three parts, one holds
    ("or-3-false", "false or xp < 1 or not ok", False),  # none holds
    ("paren-flatten", "(ok and true) and (xp > 1 and true)", True),  # nested and
    ("includes", "units_completed includes [en-a1-u01, en-a1-u02]", True),  # ⊇
    ("includes-missing", "units_completed includes [en-a1-u01, en-a1-u03]", False),
    ("includes-empty", "tags includes []", True),  # every set includes nothing
    ("includes-set", "units_completed includes tags", True),  # set ⊇ set
    ("includes-set-no", "tags includes units_completed", False),  # not a superset
    ("list-includes", "[a, b] includes [b]", True),  # list on the left
    ("in", "name in [en-a1-u01, en-a1-u02]", True),  # membership in a list
    ("in-no", "name in [en-a1-u01]", False),  # not a member
    ("in-set", "name in units_completed", True),  # membership in a set
    ("in-quoted", "'a b' in [x, 'a b', 1.5]", True),  # quoted items
    ("in-symbols", "'en:a1.u-1' in [en:a1.u-1]", True),  # ':', '.', '-' in ids
    ("in-number-id", "'10' in [10, 20]", True),  # bare numbers are ids too
    ("escapes", r"'it\'s \\ \"q\"' == " + '"it\'s \\\\ \\"q\\""', True),  # escapes
    ("fold-big", "99999999 * 99999999 * 9999 > 9e19", True),  # folded big int
    ("mixed-ws", "xp>=1300\tand\nok", True),  # any whitespace
]


@pytest.mark.parametrize(
    ("source", "value"), [c[1:] for c in BOOLS], ids=[c[0] for c in BOOLS]
)
def test_bool_expressions(source: str, value: bool) -> None:
    assert run(source, BOOL) is value


MISSING = [
    ("number", "xp == 0 and dimension.grammar == 0"),  # numbers read 0
    ("bool", "not ok"),  # bools read false
    ("string", "name == ''"),  # strings read ""
    ("set", "count(units_completed) == 0 and not (name in tags)"),  # sets read empty
    ("declared-key", "dimension.vocabulary < 0.1"),  # a declared key with no value
]


@pytest.mark.parametrize("source", [c[1] for c in MISSING], ids=[c[0] for c in MISSING])
def test_missing_variables_read_defaults(source: str) -> None:
    assert run(source, BOOL, {}) is True


# An event's optional fields: a missing one is unknown, not its type's default.
OPTIONAL = Schema(
    variables={"correct": BOOL, "ms": NUMBER, "kind": STRING, "tags": SET},
    optional=frozenset({"correct", "ms", "tags"}),
)
TWO_VALUED = Schema(variables=OPTIONAL.variables)

UNKNOWN = [
    # (id, source, expect, value when correct, ms and tags are missing; kind "mic")
    ("bool", "correct", BOOL, False),  # unknown is not true ...
    ("eq-false", "correct == false", BOOL, False),  # ... nor false
    ("eq-true", "correct == true", BOOL, False),  # no comparison holds
    ("ne-true", "correct != true", BOOL, False),  # not even !=
    ("not", "not correct", BOOL, False),  # not unknown is unknown
    ("not-eq", "not (correct == false)", BOOL, False),  # through a comparison too
    ("not-not", "not not correct", BOOL, False),  # and through any number of nots
    ("and-false", "not (correct and kind == 'chat')", BOOL, True),  # false decides
    ("and-unknown", "not (correct and kind == 'mic')", BOOL, False),  # unknown stays
    ("or-true", "correct or kind == 'mic'", BOOL, True),  # true decides
    ("or-unknown", "not (correct or kind == 'chat')", BOOL, False),  # unknown stays
    ("or-3", "kind == 'chat' or correct or kind == 'mic'", BOOL, True),  # goes on
    ("and-3", "not (kind == 'mic' and correct and ms > 1)", BOOL, False),  # all read
    ("number-cmp", "ms < 1000", BOOL, False),  # a missing number compares false
    ("number-not", "not (ms >= 1000)", BOOL, False),  # both ways
    ("arith", "ms * 0 + 1 > 0", BOOL, False),  # arithmetic on unknown is unknown
    ("function", "max(ms, 0) >= 0", BOOL, False),  # so are functions of it
    ("if-cond", "if(correct, 1, 2) == 2", BOOL, True),  # an unknown condition: else
    ("if-not-cond", "if(not correct, 1, 2) == 2", BOOL, True),  # also negated
    ("if-taken", "not (if(kind == 'mic', ms, 0) >= 0)", BOOL, False),  # taken: unknown
    ("if-untaken", "if(kind == 'chat', ms, 0) == 0", BOOL, True),  # never read
    ("set", "not (tags includes [a])", BOOL, False),  # sets too
    ("in", "not ('a' in tags)", BOOL, False),  # membership in an unknown set
    ("count", "count(tags) >= 0", BOOL, False),  # its size is unknown
    ("number", "ms * 2", NUMBER, None),  # an unknown number gives None
    ("number-if", "if(correct, 5, 1)", NUMBER, 1),  # a condition decides: else
]  # fmt: skip


@pytest.mark.parametrize(
    ("source", "expect", "value"),
    [c[1:] for c in UNKNOWN],
    ids=[c[0] for c in UNKNOWN],
)
def test_missing_optional_variables_are_unknown(
    source: str, expect: str, value: object
) -> None:
    expr = compile_expr(source, OPTIONAL, expect=expect)
    assert expr.evaluate({"kind": "mic"}) is value
    assert expr.evaluate({"kind": "mic", "correct": None}) is value  # None: missing


KNOWN_ENVS = [
    {"kind": "mic", "correct": True, "ms": 500, "tags": frozenset({"a"})},
    {"kind": "mic", "correct": False, "ms": 1500, "tags": frozenset()},
    {"kind": "chat", "correct": False, "ms": 0, "tags": frozenset({"b"})},
]


@pytest.mark.parametrize(
    ("source", "expect"), [c[1:3] for c in UNKNOWN], ids=[c[0] for c in UNKNOWN]
)
def test_optional_variables_with_a_value_read_it_as_before(
    source: str, expect: str
) -> None:
    three = compile_expr(source, OPTIONAL, expect=expect)
    two = compile_expr(source, TWO_VALUED, expect=expect)
    for env in KNOWN_ENVS:
        assert three.evaluate(env) == two.evaluate(env), env


def test_an_unknown_comparison_part_neither_holds_nor_progresses() -> None:
    parts = compile_expr(
        "ms >= 100 and tags includes [a, b]", OPTIONAL, expect=BOOL
    ).conjuncts()
    assert all(isinstance(p, Comparison) for p in parts)
    assert [p.holds({}) for p in parts] == [False, False]  # type: ignore[union-attr]
    assert [p.progress({}) for p in parts] == [  # type: ignore[union-attr]
        (0.0, 100.0, 0.0),
        (0.0, 2.0, 0.0),
    ]


def test_optional_names_must_be_variables() -> None:
    with pytest.raises(ValueError, match="'nope'"):
        Schema(variables={"xp": NUMBER}, optional=frozenset({"nope"}))


LAZY = [
    ("if-then", "if(ok, xp, streak)", {"ok", "xp"}),  # else branch never read
    ("if-else", "if(not ok, xp, streak)", {"ok", "streak"}),  # then branch never read
    ("and-short", "not ok and xp > 1", {"ok"}),  # and stops at the first false
    ("or-short", "ok or xp > 1", {"ok"}),  # or stops at the first true
    ("and-3-short", "ok and not ok and xp > 1", {"ok"}),  # also for 3+ parts
]


@pytest.mark.parametrize(
    ("source", "read"), [c[1:] for c in LAZY], ids=[c[0] for c in LAZY]
)
def test_evaluation_is_lazy(source: str, read: set[str]) -> None:
    env = Recorder({"ok": True, "xp": 5, "streak": 2})
    expr = compile_expr(source, SCHEMA, expect=NUMBER if "if" in source else BOOL)
    expr.evaluate(env)
    assert env.read == read


def test_names_source_and_type() -> None:
    expr = compile_expr(
        " xp >= 10 and dimension.vocabulary > 0.5 ", SCHEMA, expect=BOOL
    )
    assert expr.names == {"xp", "dimension.vocabulary"}
    assert expr.source == " xp >= 10 and dimension.vocabulary > 0.5 "
    assert expr.type == BOOL
    assert compile_expr("1 + 2", SCHEMA, expect=NUMBER).names == frozenset()
    assert run("xp", NUMBER, MappingProxyType({"xp": 3})) == 3  # any Mapping


ERRORS = [
    # (id, source, expect, column, message, hint)
    ("unknown-var-close", "xp + dimension.vocab", NUMBER, 6,
     "unknown variable 'dimension.vocab'", "did you mean 'dimension.vocabulary'?"),
    ("unknown-var-far", "zzz", NUMBER, 1, "unknown variable 'zzz'",
     "known variables: accuracy, dimension.grammar, dimension.vocabulary, "
     "mastery.en.a1, name, ok, streak, tags, units_completed, xp"),
    ("unknown-namespace", "dimension > 1", BOOL, 1, "unknown variable 'dimension'",
     "'dimension' is a namespace; write 'dimension.<key>'"),
    ("function-as-var", "max + 1", NUMBER, 1, "unknown variable 'max'",
     "'max' is a function; call it like max(...)"),
    ("unknown-function", "sqrt(xp)", NUMBER, 1, "unknown function 'sqrt'",
     "known functions: abs, ceil, clamp, count, floor, if, max, min, round"),
    ("function-typo", "xp + flor(xp)", NUMBER, 6, "unknown function 'flor'",
     "did you mean 'floor'? known functions: abs, ceil, clamp, count, floor, if, "
     "max, min, round"),
    ("type-right-ge", "streak >= 'a'", BOOL, 11,
     "expected a number on the right of '>=', got string", ""),
    ("type-left-lt", "name < 3", BOOL, 1,
     "expected a number on the left of '<', got string", ""),
    ("type-left-plus", "ok + 1", NUMBER, 1,
     "expected a number on the left of '+', got bool",
     "use if(condition, 1, 0) to turn a condition into a number"),
    ("type-right-times", "2 * 3 * name", NUMBER, 9,
     "expected a number on the right of '*', got string", ""),
    ("type-left-and", "xp and ok", BOOL, 1,
     "expected a bool on the left of 'and', got number",
     "write a comparison such as 'xp >= 100'"),
    ("type-right-or", "ok or tags", BOOL, 7,
     "expected a bool on the right of 'or', got set",
     "test a set with 'includes', e.g. units_completed includes [u1]"),
    ("type-not", "not xp", BOOL, 5, "expected a bool after 'not', got number",
     "write a comparison such as 'xp >= 100'"),
    ("type-neg", "-name", NUMBER, 2, "expected a number after '-', got string", ""),
    ("type-eq", "xp == 'a'", BOOL, 7,
     "cannot compare number with string using '=='",
     "both sides must have the same type"),
    ("type-eq-set", "tags != tags", BOOL, 1,
     "expected a number or bool or string on the left of '!=', got set", ""),
    ("type-includes-left", "xp includes [a]", BOOL, 1,
     "expected a set or list on the left of 'includes', got number", ""),
    ("type-includes-right", "tags includes 'a'", BOOL, 15,
     "expected a list or set on the right of 'includes', got string", ""),
    ("type-in-left", "xp in [a]", BOOL, 1,
     "expected a string on the left of 'in', got number", ""),
    ("type-in-right", "name in 'abc'", BOOL, 9,
     "expected a list or set on the right of 'in', got string", ""),
    ("type-if-cond", "if(xp, 1, 2)", NUMBER, 4,
     "expected a bool as the condition of if(), got number",
     "write a comparison such as 'xp >= 100'"),
    ("type-if-branches", "if(ok, 1, 'a')", NUMBER, 11,
     "the branches of if() have different types: number and string",
     "both branches must give the same type"),
    ("type-count", "count(xp)", NUMBER, 7,
     "expected a set or list as the argument of count(), got number", ""),
    ("type-arg", "clamp(1, ok, 3)", NUMBER, 10,
     "expected a number as argument 2 of clamp(), got bool",
     "use if(condition, 1, 0) to turn a condition into a number"),
    ("gives-number", "xp", BOOL, 1,
     "this expression gives number, but a bool is needed here",
     "write a comparison such as 'xp >= 100'"),
    ("gives-bool", "xp > 1", NUMBER, 1,
     "this expression gives bool, but a number is needed here",
     "use if(condition, 1, 0) to turn a condition into a number"),
    ("gives-set", "units_completed", BOOL, 1,
     "this expression gives set, but a bool is needed here",
     "test a set with 'includes', e.g. units_completed includes [u1]"),
    ("gives-string", "name", NUMBER, 1,
     "this expression gives string, but a number is needed here", ""),
    ("end-paren", "min(xp, 100", NUMBER, 12, "unexpected end of expression",
     "missing ')'?"),
    ("end-group", "(xp >= 3", BOOL, 9, "unexpected end of expression",
     "missing ')'?"),
    ("end-operator", "xp >=", BOOL, 6, "unexpected end of expression",
     "expected a value after '>='"),
    ("end-list", "tags includes [a", BOOL, 17, "unexpected end of expression",
     "missing ']'?"),
    ("end-list-comma", "tags includes [a,", BOOL, 18,
     "unexpected end of expression", "missing ']'?"),
    ("char", "1 + @", NUMBER, 5, "unexpected character '@'", ""),
    ("char-unicode", "xp ≥ 1", BOOL, 4, "unexpected character '≥'", ""),
    ("char-in-list", "tags includes [a, (b)]", BOOL, 19,
     "unexpected character '(' in a list",
     "list items are ids such as en-a1-u01, numbers or quoted strings"),
    ("single-equals", "accuracy = 1", BOOL, 10, "'=' is not an operator",
     "use '==' to compare"),
    ("bang", "!ok", BOOL, 1, "'!' is not an operator",
     "use 'not' to negate or '!=' to compare"),
    ("double-amp", "ok && ok", BOOL, 4, "'&&' is not an operator", "use 'and'"),
    ("pipe", "ok | ok", BOOL, 4, "'|' is not an operator", "use 'or'"),
    ("unterminated", "name == 'abc", BOOL, 9, "unterminated string",
     "close it with '"),
    ("unterminated-escape", 'name == "abc\\', BOOL, 9, "unterminated string",
     'close it with "'),
    ("bad-escape", r"name == 'a\n'", BOOL, 11, "unknown escape '\\n' in a string",
     "only \\\\, \\\" and \\' work"),
    ("leftover", "xp >= 1 xp", BOOL, 9, "unexpected 'xp'",
     "is an operator such as 'and' missing before it?"),
    ("leftover-string", "ok 'a'", BOOL, 4, "unexpected 'a'",
     "is an operator such as 'and' missing before it?"),
    ("unmatched-paren", "ok)", BOOL, 3, "unexpected ')'",
     "there is no matching '('"),
    ("chained", "1 < xp < 5", BOOL, 8, "comparisons cannot be chained",
     "combine them with 'and', e.g. 'a < b and b < c'"),
    ("chained-in", "name in tags in tags", BOOL, 14,
     "comparisons cannot be chained",
     "combine them with 'and', e.g. 'a < b and b < c'"),
    ("not-in-operand", "xp >= not ok", BOOL, 7, "expected a value, got 'not'", ""),
    ("empty-parens", "()", BOOL, 2, "expected a value, got ')'", ""),
    ("stray-bracket", "xp > ]", BOOL, 6, "expected a value, got ']'", ""),
    ("group-unclosed", "(xp 1)", NUMBER, 5, "expected ')', got '1'", ""),
    ("args-separator", "min(1 2)", NUMBER, 7, "expected ',' or ')', got '2'", ""),
    ("list-separator", "tags includes [a b]", BOOL, 18,
     "expected ',' or ']', got 'b'", ""),
    ("list-item", "tags includes [a,,b]", BOOL, 18,
     "expected a list item, got ','", ""),
    ("list-trailing", "tags includes [a,]", BOOL, 18,
     "expected a list item, got ']'", ""),
    ("arity-min", "min()", NUMBER, 1, "min() takes at least 1 argument, got 0", ""),
    ("arity-abs", "abs(1, 2)", NUMBER, 1, "abs() takes 1 argument, got 2", ""),
    ("arity-round", "round(1, 2, 3)", NUMBER, 1,
     "round() takes 1 or 2 arguments, got 3", ""),
    ("arity-clamp", "1 + clamp(1)", NUMBER, 5, "clamp() takes 3 arguments, got 1",
     ""),
    ("round-var-digits", "round(1, xp)", NUMBER, 10,
     "round() needs a constant number of digits",
     "write a whole number from -15 to 15, e.g. round(x, 2)"),
    ("round-frac-digits", "round(1, 0.5)", NUMBER, 10,
     "round() needs a constant number of digits",
     "write a whole number from -15 to 15, e.g. round(x, 2)"),
    ("round-many-digits", "round(1, 16)", NUMBER, 10,
     "round() needs a constant number of digits",
     "write a whole number from -15 to 15, e.g. round(x, 2)"),
    ("empty", "", BOOL, 1, "empty expression", "write one such as 'xp >= 100'"),
    ("blank", " \t\n", BOOL, 1, "empty expression",
     "write one such as 'xp >= 100'"),
    ("too-long", "1" + " + 1" * 500, NUMBER, 2001,
     "expression is too long (2001 characters, at most 2000)",
     "split it up or simplify it"),
    ("too-deep-parens", "(" * 51 + "1" + ")" * 51, NUMBER, 51,
     "expression is nested too deeply (more than 50 levels)", "simplify it"),
    ("too-deep-not", "not " * 51 + "ok", BOOL, 201,
     "expression is nested too deeply (more than 50 levels)", "simplify it"),
    ("too-deep-neg", "-" * 51 + "1", NUMBER, 51,
     "expression is nested too deeply (more than 50 levels)", "simplify it"),
    ("too-deep-calls", "abs(" * 51 + "1" + ")" * 51, NUMBER, 201,
     "expression is nested too deeply (more than 50 levels)", "simplify it"),
    ("too-deep-mixed", "not (" * 26 + "ok" + ")" * 26, BOOL, 126,
     "expression is nested too deeply (more than 50 levels)", "simplify it"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("source", "expect", "column", "message", "hint"),
    [c[1:] for c in ERRORS],
    ids=[c[0] for c in ERRORS],
)
def test_errors(source: str, expect: str, column: int, message: str, hint: str) -> None:
    with pytest.raises(ExprError) as info:
        compile_expr(source, SCHEMA, expect=expect)
    assert (info.value.column, info.value.message, info.value.hint) == (
        column,
        message,
        hint,
    )
    suffix = f" ({hint})" if hint else ""
    assert str(info.value) == f"column {column}: {message}{suffix}"


def test_error_hint_lists_at_most_15_variables() -> None:
    many = Schema({f"v{i:02}": NUMBER for i in range(20)})
    with pytest.raises(ExprError) as info:
        compile_expr("zzz > 1", many, expect=BOOL)
    assert info.value.hint.endswith("v13, v14, ...")
    with pytest.raises(ExprError) as info:
        compile_expr("zzz > 1", Schema({}), expect=BOOL)
    assert info.value.hint == "known variables: none"


def test_bad_arguments_are_value_errors() -> None:
    with pytest.raises(ValueError, match="expect must be 'number' or 'bool'"):
        compile_expr("xp", SCHEMA, expect=SET)
    with pytest.raises(ValueError, match="unknown variable types"):
        Schema({"xp": "integer"})
    with pytest.raises(ValueError, match="'dimension.x': 'float'"):
        Schema({}, {"dimension": {"x": "float"}})


def test_limits_allow_the_maximum() -> None:
    deep = "(" * 50 + "xp" + ")" * 50
    assert run(deep, NUMBER) == 1300
    assert run("not " * 50 + "ok", BOOL) is True
    assert run("abs(" * 50 + "xp" + ")" * 50, NUMBER) == 1300
    wide = " + ".join(["xp"] * 400)  # a flat chain is not nesting
    assert len(wide) <= 2000
    assert run(wide, NUMBER) == 400 * 1300
    assert run(" and ".join(["ok"] * 250), BOOL) is True


def test_overflow_never_raises() -> None:
    huge = {"xp": 10**200}
    # big ints mixed with floats overflow: nan for numbers, False for bools
    assert math.isnan(run("xp * xp + 0.5", NUMBER, huge))  # type: ignore[arg-type]
    assert run("xp * xp + 0.5 > 1", BOOL, huge) is False
    # the same with constants only: not folded at compile time, same result
    const = " * ".join(["999999999999999"] * 30) + " + 0.5"
    assert math.isnan(run(const, NUMBER))  # type: ignore[arg-type]


CONJUNCTS = [
    # (id, source, parts): ("cmp", source, left, op, target) or ("expr", source)
    ("two-gates", "xp >= 1200 and dimension.vocabulary >= 0.6",
     [("cmp", "xp >= 1200", "xp", ">=", 1200.0),
      ("cmp", "dimension.vocabulary >= 0.6", "dimension.vocabulary", ">=", 0.6)]),
    ("folded-target", "xp >= 12 * 100",
     [("cmp", "xp >= 12 * 100", "xp", ">=", 1200.0)]),
    ("neg-target", "streak > -5", [("cmp", "streak > -5", "streak", ">", -5.0)]),
    ("expr-left", "xp + streak * 2 > (1 + 1)",
     [("cmp", "xp + streak * 2 > (1 + 1)", "xp + streak * 2", ">", 2.0)]),
    ("paren-left", "(xp) >= 5", [("cmp", "(xp) >= 5", "(xp)", ">=", 5.0)]),
    ("includes", "units_completed includes [en-a1-u01, 'en-a1-u02']",
     [("cmp", "units_completed includes [en-a1-u01, 'en-a1-u02']",
       "units_completed", "includes", frozenset({"en-a1-u01", "en-a1-u02"}))]),
    ("var-target", "xp >= streak", [("expr", "xp >= streak")]),
    ("includes-set", "units_completed includes tags",
     [("expr", "units_completed includes tags")]),
    ("less-than", "xp < 5", [("expr", "xp < 5")]),
    ("or", "ok or xp >= 1", [("expr", "ok or xp >= 1")]),
    ("flattened", "(xp >= 1 and ok) and accuracy > 0.5",
     [("cmp", "xp >= 1", "xp", ">=", 1.0), ("expr", "ok"),
      ("cmp", "accuracy > 0.5", "accuracy", ">", 0.5)]),
    ("mixed", "ok and not ok", [("expr", "ok"), ("expr", "not ok")]),
]  # fmt: skip


def describe(part: Comparison | Expr) -> tuple[object, ...]:
    if isinstance(part, Comparison):
        return ("cmp", part.source, part.left.source, part.op, part.target)
    return ("expr", part.source)


@pytest.mark.parametrize(
    ("source", "parts"), [c[1:] for c in CONJUNCTS], ids=[c[0] for c in CONJUNCTS]
)
def test_conjuncts(source: str, parts: list[tuple[object, ...]]) -> None:
    expr = compile_expr(source, SCHEMA, expect=BOOL)
    got = expr.conjuncts()
    assert [describe(p) for p in got] == parts
    for part in got:  # each part evaluates on its own, like the part of the whole
        whole = compile_expr(part.source, SCHEMA, expect=BOOL).evaluate(ENV)
        value = part.holds(ENV) if isinstance(part, Comparison) else part.evaluate(ENV)
        assert value is whole


PROGRESS = [
    # (id, source, env, (current, target, fraction), holds)
    ("half", "xp >= 1200", {"xp": 600}, (600.0, 1200.0, 0.5), False),
    ("met", "xp >= 1200", {"xp": 1200}, (1200.0, 1200.0, 1.0), True),
    ("over", "xp > 1200", {"xp": 2400}, (2400.0, 1200.0, 1.0), True),
    ("missing", "xp >= 1200", {}, (0.0, 1200.0, 0.0), False),
    ("negative", "xp >= 10", {"xp": -5}, (-5.0, 10.0, 0.0), False),
    ("folded", "xp >= 12 * 100", {"xp": 300}, (300.0, 1200.0, 0.25), False),
    ("zero-target-met", "xp >= 0", {"xp": 0}, (0.0, 0.0, 1.0), True),
    ("zero-target-not", "xp > 0", {"xp": 0}, (0.0, 0.0, 0.0), False),
    ("neg-target", "xp > -5", {"xp": -10}, (-10.0, -5.0, 0.0), False),
    ("huge", "xp * xp >= 1", {"xp": 10**200}, (math.inf, 1.0, 1.0), True),
    ("huge-neg", "0 - xp * xp >= 1", {"xp": 10**200}, (-math.inf, 1.0, 0.0), False),
    ("includes-part", "units_completed includes [a, b]",
     {"units_completed": {"a", "c"}}, (1.0, 2.0, 0.5), False),
    ("includes-all", "units_completed includes [a, b]",
     {"units_completed": frozenset({"a", "b", "c"})}, (2.0, 2.0, 1.0), True),
    ("includes-none", "units_completed includes [a]", {}, (0.0, 1.0, 0.0), False),
    ("includes-empty", "units_completed includes []", {}, (0.0, 0.0, 1.0), True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("source", "env", "progress", "holds"),
    [c[1:] for c in PROGRESS],
    ids=[c[0] for c in PROGRESS],
)
def test_progress(
    source: str, env: dict[str, object], progress: tuple[float, ...], holds: bool
) -> None:
    (part,) = compile_expr(source, SCHEMA, expect=BOOL).conjuncts()
    assert isinstance(part, Comparison)
    assert part.progress(env) == progress
    assert part.holds(env) is holds


def test_progress_of_an_overflowing_value_is_zero() -> None:
    (part,) = compile_expr("xp * xp + 0.5 >= 1", SCHEMA, expect=BOOL).conjuncts()
    assert isinstance(part, Comparison)
    current, target, fraction = part.progress({"xp": 10**200})
    assert (math.isnan(current), target, fraction) == (True, 1.0, 0.0)
    assert part.holds({"xp": 10**200}) is False


def test_constant_folding_leaves_constant_closures() -> None:
    expr = compile_expr("xp >= 2 * 3 + 4 and true", SCHEMA, expect=BOOL)
    left, right = expr.conjuncts()
    assert isinstance(left, Comparison)
    assert left.target == 10.0
    assert isinstance(right, Expr)
    assert right.names == frozenset()
    assert right.evaluate({}) is True


# ---- property checks: random expressions against Python arithmetic and logic ----

ARITH_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "%": 2}
NUM_ENV: dict[str, object] = {"xp": 7, "streak": -3, "accuracy": 0.5}


def py_arith(op: str, a: float, b: float) -> float:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b if b else 0
    return a % b if b else 0


def gen_number(rng: random.Random, depth: int) -> tuple[str, float, int]:
    """A random number expression: (text, value, precedence of its top)."""
    if depth == 0 or rng.random() < 0.25:
        if rng.random() < 0.4:
            name = rng.choice(list(NUM_ENV))
            return name, NUM_ENV[name], 9  # type: ignore[return-value]
        value: float = rng.choice([rng.randint(0, 12), rng.randint(0, 40) / 8])
        return str(value), value, 9
    if rng.random() < 0.1:
        text, value, prec = gen_number(rng, depth - 1)
        return f"-{text}" if prec >= 3 else f"-({text})", -value, 3
    op = rng.choice(list(ARITH_PREC))
    prec = ARITH_PREC[op]
    lt, lv, lp = gen_number(rng, depth - 1)
    rt, rv, rp = gen_number(rng, depth - 1)
    lt = lt if lp >= prec else f"({lt})"
    rt = rt if rp > prec else f"({rt})"  # left-associative: a - (b - c) needs them
    return f"{lt} {op} {rt}", py_arith(op, lv, rv), prec


def gen_bool(rng: random.Random, depth: int) -> tuple[str, bool, int]:
    """A random bool expression: (text, value, precedence of its top)."""
    if depth == 0 or rng.random() < 0.2:
        lt, lv, _ = gen_number(rng, 2)
        rt, rv, _ = gen_number(rng, 2)
        op = rng.choice(["<", "<=", ">", ">=", "==", "!="])
        value = {"<": lv < rv, "<=": lv <= rv, ">": lv > rv, ">=": lv >= rv}.get(
            op, (lv == rv) == (op == "==")
        )
        return f"{lt} {op} {rt}", value, 4
    kind = rng.choice(["and", "or", "not"])
    if kind == "not":
        text, value, prec = gen_bool(rng, depth - 1)
        return f"not {text}" if prec >= 3 else f"not ({text})", not value, 3
    prec = 2 if kind == "and" else 1
    lt, lv, lp = gen_bool(rng, depth - 1)
    rt, rv, rp = gen_bool(rng, depth - 1)
    lt = lt if lp >= prec else f"({lt})"
    rt = rt if rp > prec else f"({rt})"
    return f"{lt} {kind} {rt}", (lv and rv) if kind == "and" else (lv or rv), prec


@pytest.mark.parametrize("seed", range(5), ids=[f"seed-{s}" for s in range(5)])
def test_random_arithmetic_matches_python(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        text, value, _ = gen_number(rng, 5)
        got = run(text, NUMBER, NUM_ENV)
        assert got == value, text


@pytest.mark.parametrize("seed", range(5), ids=[f"seed-{s}" for s in range(5)])
def test_random_logic_matches_python(seed: int) -> None:
    rng = random.Random(1000 + seed)
    for _ in range(200):
        text, value, _ = gen_bool(rng, 4)
        assert run(text, BOOL, NUM_ENV) is value, text
