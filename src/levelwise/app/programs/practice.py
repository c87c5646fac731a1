"""The program file's ``practice:`` section: dialogue scenarios and measurements."""

from __future__ import annotations

import difflib
import re

from levelwise.app.programs._checker import Checker
from levelwise.app.programs.schema import (
    BranchIn,
    LineIn,
    MeasurementIn,
    NormIn,
    ProgramIn,
    ScenarioIn,
)
from levelwise.app.programs.yaml_lines import Path, shorten
from levelwise.domain.practice import PRACTICE_METRICS, forms
from levelwise.domain.program import (
    Level,
    Measurement,
    MetricNorm,
    Practice,
    Program,
    Scenario,
    ScenarioBranch,
    ScenarioLine,
)

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
"""A keyword or target word: one lower-case word, as the scripted partner reads
the learner's words (``coffee``, ``don't``)."""


def compile_practice(
    check: Checker, spec: ProgramIn, program: Program, ladder: tuple[Level, ...]
) -> Practice:
    """Check the ``practice:`` section against ``program`` and compile it.

    Args:
        check: The loader, which collects every problem with its line.
        spec: The validated file.
        program: The program compiled so far (dimensions, units).
        ladder: The compiled levels.

    Returns:
        The scenarios and measurements (none when the file has no section).
    """
    p = spec.practice
    if p is None:
        return Practice()
    scenarios: list[Scenario] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(p.scenarios):
        path: Path = ("practice", "scenarios", i)
        scenario = _scenario(check, path, raw, program)
        if raw.unit in seen:
            check.issue(
                (*path, "unit"),
                f"unit '{raw.unit}' has more than one scenario",
                "a practice unit has at most one scenario; the first is at line "
                f"{check.line(('practice', 'scenarios', seen[raw.unit], 'unit'))}",
            )
        seen.setdefault(raw.unit, i)
        if scenario is not None:
            scenarios.append(scenario)
    measurements: list[Measurement] = []
    first: dict[str, int] = {}
    for i, m in enumerate(p.measurements):
        path = ("practice", "measurements", i)
        if m.id in first:
            check.issue(
                (*path, "id"),
                f"duplicate measurement id '{m.id}'",
                "ids must be unique; first used at line "
                f"{check.line(('practice', 'measurements', first[m.id], 'id'))}",
            )
        first.setdefault(m.id, i)
        measurement = _measurement(check, path, m, program, ladder)
        if measurement is not None:
            measurements.append(measurement)
    return Practice(tuple(scenarios), tuple(measurements))


def _scenario(
    check: Checker, path: Path, raw: ScenarioIn, program: Program
) -> Scenario | None:
    ok = check.known((*path, "unit"), "unit", raw.unit, program.unit_by_id)
    unit = program.unit_by_id.get(raw.unit)
    if unit is not None and unit.kind != "practice":
        check.issue(
            (*path, "unit"),
            f"unit '{raw.unit}' is a {unit.kind} unit, not a practice unit",
            "scenarios belong to units of kind practice",
        )
        ok = False
    ok = _words(check, (*path, "target_words"), raw.target_words) and ok
    lines: dict[str, int] = {}
    for j, line in enumerate(raw.lines):
        if line.id in lines:
            check.issue(
                (*path, "lines", j, "id"),
                f"duplicate line id '{line.id}' in the scenario of unit '{raw.unit}'",
                "line ids must be unique in a scenario; first used at line "
                f"{check.line((*path, 'lines', lines[line.id], 'id'))}",
            )
            ok = False
        lines.setdefault(line.id, j)
    start = raw.start if raw.start is not None else raw.lines[0].id
    ok = check.known((*path, "start"), "line", start, lines) and ok
    built: list[ScenarioLine] = []
    for j, line in enumerate(raw.lines):
        where: Path = (*path, "lines", j)
        branches = []
        for k, branch in enumerate(line.branches):
            at: Path = (*where, "branches", k)
            ok = _words(check, (*at, "keywords"), branch.keywords) and ok
            ok = check.known((*at, "next"), "line", branch.next, lines) and ok
            branches.append(
                ScenarioBranch(
                    tuple(branch.keywords), branch.next, tuple(branch.examples)
                )
            )
        if line.next is not None:
            ok = check.known((*where, "next"), "line", line.next, lines) and ok
        built.append(
            ScenarioLine(
                line.id,
                line.say,
                tuple(branches),
                line.next,
                line.end,
                tuple(line.examples),
            )
        )
        ok = _examples(check, where, line) and ok
    if not ok:
        return None
    scenario = Scenario(
        unit=raw.unit,
        title=raw.title or (unit.title if unit is not None else raw.unit),
        setting=raw.setting,
        partner=raw.partner or "partner",
        target_words=tuple(raw.target_words),
        start=start,
        lines=tuple(built),
    )
    if not _can_end(scenario):
        check.warn(
            path,
            f"no line with 'end: true' can be reached from line '{start}' in the "
            f"scenario of unit '{raw.unit}', so its conversation never comes to "
            "an end",
            "mark the closing line with end: true and lead a branch or next to it",
        )
    return scenario


def _words(check: Checker, path: Path, words: list[str]) -> bool:
    """Whether every one of ``words`` is one lower-case word (else reported)."""
    ok = True
    for word in words:
        if WORD.fullmatch(word) is None:
            check.issue(
                path,
                f"'{shorten(word)}' is not one lower-case word",
                "write single lower-case words such as coffee or don't; the "
                "partner matches the learner's words one by one",
            )
            ok = False
    return ok


def _examples(check: Checker, path: Path, line: LineIn) -> bool:
    """Whether each example answer takes its own way (else reported).

    The scripted partner takes the first branch one of whose keywords the
    learner says (see :func:`~levelwise.domain.practice.forms`), else the
    line's ``next``: a branch's example must say one of its keywords and none
    of an earlier branch's, and a line's examples none of any branch's and the
    line must have a ``next``, or the demo and the tests that answer with the
    examples would go elsewhere than the file says.
    """
    ok = True
    shown = [check.line((*path, "branches", k)) for k in range(len(line.branches))]
    for k, branch in enumerate(line.branches):
        if not all(WORD.fullmatch(word) for word in branch.keywords):
            continue  # already reported: such a keyword is never heard
        for n, text in enumerate(branch.examples):
            at: Path = (*path, "branches", k, "examples", n)
            said = _heard(text)
            if not any(said & forms(word) for word in branch.keywords):
                check.issue(
                    at,
                    f"example '{shorten(text)}' says none of its branch's "
                    f"keywords ({', '.join(branch.keywords)})",
                    "an example must take its branch: say one of the keywords, "
                    "as it is or with an -s, -es, -ed or -ing ending",
                )
                ok = False
                continue
            taken = _taken(said, line.branches[:k])
            if taken is not None:
                earlier, word = taken
                check.issue(
                    at,
                    f"example '{shorten(text)}' would take the branch at line "
                    f"{shown[earlier]} first: it says '{word}'",
                    "the partner takes the first branch whose keywords the "
                    "learner says; reword the example or reorder the branches",
                )
                ok = False
    if line.examples and line.next is None:
        check.issue(
            (*path, "examples"),
            f"line '{line.id}' has examples but no next",
            "a line's examples are answers that take its next when no branch "
            "matches: add next, or move them under a branch",
        )
        return False
    for n, text in enumerate(line.examples):
        taken = _taken(_heard(text), line.branches)
        if taken is not None:
            k, word = taken
            check.issue(
                (*path, "examples", n),
                f"example '{shorten(text)}' of line '{line.id}' would take the "
                f"branch at line {shown[k]}: it says '{word}'",
                "a line's examples are answers that take its next when no "
                "branch matches: move it under that branch, or reword it",
            )
            ok = False
    return ok


def _heard(text: str) -> set[str]:
    """Every form of every word of ``text``, as the scripted partner hears it."""
    said: set[str] = set()
    for word in WORD.findall(text.lower()):
        said |= forms(word)
    return said


def _taken(said: set[str], branches: list[BranchIn]) -> tuple[int, str] | None:
    """The first of ``branches`` whose keyword is ``said``, with that keyword."""
    for k, branch in enumerate(branches):
        for word in branch.keywords:
            if said & forms(word):
                return k, word
    return None


def _can_end(scenario: Scenario) -> bool:
    """Whether a line with ``end`` can be reached from the start."""
    lines = scenario.line_by_id
    todo, seen = [scenario.start], {scenario.start}
    while todo:
        line = lines[todo.pop()]
        if line.end:
            return True
        for nxt in (*(b.next for b in line.branches), line.next):
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def _measurement(
    check: Checker,
    path: Path,
    m: MeasurementIn,
    program: Program,
    ladder: tuple[Level, ...],
) -> Measurement | None:
    dims = {d.id: d for d in program.dimensions}
    ok = check.known((*path, "dimension"), "dimension", m.dimension, dims)
    norms = []
    for name, raw in m.metrics.items():
        where: Path = (*path, "metrics", name)
        if name not in PRACTICE_METRICS:
            close = difflib.get_close_matches(name, list(PRACTICE_METRICS), n=1)
            hint = (
                f"did you mean '{close[0]}'?"
                if close
                else "known: " + ", ".join(PRACTICE_METRICS)
            )
            check.issue(where, f"unknown practice metric '{shorten(name)}'", hint)
            ok = False
            continue
        norm = _norm(check, where, name, raw, ladder)
        if norm is None:
            ok = False
        else:
            norms.append(norm)
    if not ok:
        return None
    return Measurement(m.id, m.dimension, tuple(norms))


def _norm(
    check: Checker, path: Path, name: str, raw: NormIn, ladder: tuple[Level, ...]
) -> MetricNorm | None:
    """The norm of one metric, its ``full`` value resolved for every level.

    A level without an entry takes the value of the level below it; levels
    below the first entry take the first entry's value.
    """
    if isinstance(raw.full, dict):
        levels = {lvl.id: lvl for lvl in ladder}
        known = [
            check.known((*path, "full", lvl), "level", lvl, levels) for lvl in raw.full
        ]
        if not all(known):
            return None
        given = [raw.full.get(lvl.id) for lvl in ladder]
        current = next(v for v in given if v is not None)
        full = []
        for value in given:
            current = value if value is not None else current
            full.append(current)
    else:
        full = [raw.full] * len(ladder)
    pairs = zip(ladder, full, strict=True)
    same = next((lvl.id for lvl, value in pairs if value == raw.zero), None)
    if same is not None:
        check.issue(
            (*path, "full"),
            f"metric '{name}': full is {raw.zero:g} at level '{same}', the same "
            "as zero",
            "full is the value that scores 1 and zero the one that scores 0: "
            "they must differ",
        )
        return None
    if min(full) < raw.zero < max(full):
        check.issue(
            (*path, "full"),
            f"metric '{name}': full is above zero at some levels and below it "
            "at others",
            "zero below full: higher is better; zero above full: lower is "
            "better (pauses); choose one",
        )
        return None
    return MetricNorm(name, raw.zero, tuple(full))
