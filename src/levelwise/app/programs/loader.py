"""Load a program file (YAML): structure, references, DAG, ladder and expressions.

Every problem is reported with ``file:line``, what is wrong and how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from levelwise.app.programs.attributes import compile_attributes
from levelwise.app.programs.names import Names, check_languages
from levelwise.app.programs.placement import compile_placement
from levelwise.app.programs.practice import compile_practice
from levelwise.app.programs.recognition import compile_recognition
from levelwise.app.programs.schema import (
    KnowledgePointIn,
    LogisticIn,
    ProgramIn,
    RecognitionIn,
    hint_for,
    is_union_tag,
)
from levelwise.app.programs.teams import compile_team_tasks
from levelwise.app.programs.xapi import compile_xapi, refuse_indirect
from levelwise.app.programs.yaml_lines import Path, read_yaml, shorten
from levelwise.domain.events import EVENT_TYPES
from levelwise.domain.expr import Comparison, Expr, ExprError, Schema, compile_expr
from levelwise.domain.fields import event_schema
from levelwise.domain.gates import gate_schema
from levelwise.domain.program import (
    BktParams,
    Dimension,
    Gate,
    KnowledgePoint,
    Level,
    LiveQualityPolicy,
    LogisticParams,
    LogisticPoint,
    MasterySettings,
    Planning,
    Program,
    Unit,
    XpRule,
)
from levelwise.errors import Issue, ProgramError

BOUNDED = ("accuracy", "homework_average")
BOUNDED_PREFIXES = ("dimension.", "mastery.", "unit_score.")
"""Gate variables between 0 and 1: plain names and namespaces."""


def load_program_file(path: str) -> Program:
    """Read and compile the program file at ``path``.

    Raises:
        ProgramError: With every problem found, each naming ``file:line``.
    """
    return check_program_file(path)[0]


def load_program(text: str, filename: str = "<program>") -> Program:
    """Compile a program from YAML ``text``; ``filename`` is used in messages.

    Raises:
        ProgramError: With every problem found, each naming ``file:line``.
    """
    return check_program(text, filename)[0]


def check_program_file(path: str) -> tuple[Program, tuple[Issue, ...]]:
    """Read and compile the program file at ``path``, with its warnings.

    Raises:
        ProgramError: With every problem found, each naming ``file:line``.
    """
    return check_program(read_program_file(path), path)


def read_program_file(path: str) -> str:
    """The text of the program file at ``path``.

    Raises:
        ProgramError: The file cannot be read, or is not UTF-8 text.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        issue = Issue(path, 0, f"cannot read the file: {exc.strerror}")
        raise ProgramError([issue]) from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise ProgramError([Issue(path, line, message, "save it as UTF-8")]) from exc


def check_program(
    text: str, filename: str = "<program>", *, stored: bool = False
) -> tuple[Program, tuple[Issue, ...]]:
    """Compile a program from YAML ``text``, with its warnings.

    A warning is a problem that does not stop the program from working but
    makes some of it useless (a knowledge point no plan can raise); it names
    ``file:line`` like an error.

    Args:
        text: The program file's text.
        filename: Its name, used in messages.
        stored: The text is a version the school already stored: checks added
            after such a version could have been accepted (fields that do not
            apply, duplicate badge or title ids) warn instead of failing, so
            every stored version still compiles and replays as it did.

    Returns:
        ``(program, warnings)``, the warnings in line order.

    Raises:
        ProgramError: With every problem found, each naming ``file:line``.
    """
    return _Loader(text, filename, stored=stored).load()


class _Loader:
    """Compiles one program file, collecting every problem with its line.

    The section compilers (placement, recognition) see it as a
    :class:`~levelwise.app.programs._checker.Checker`.
    """

    def __init__(self, text: str, filename: str, *, stored: bool = False) -> None:
        self.text = text
        self.file = filename
        self.stored = stored
        self.lines: dict[Path, int] = {}
        self.issues: list[Issue] = []
        self.warnings: list[Issue] = []
        self.names = Names(self, ())

    def issue(self, path: Path, message: str, hint: str = "") -> None:
        self.issues.append(Issue(self.file, self.line(path), message, hint))

    def warn(self, path: Path, message: str, hint: str = "") -> None:
        self.warnings.append(Issue(self.file, self.line(path), message, hint))

    def newer_rule(self, path: Path, message: str, hint: str = "") -> bool:
        """Report a problem that a check added later finds; whether it fails.

        An error for a new upload; a warning for a stored version, which must
        keep compiling as it did when it was accepted.
        """
        if self.stored:
            self.warn(path, message, hint)
            return False
        self.issue(path, message, hint)
        return True

    def name(
        self, path: Path, value: str | dict[str, str], key: str, default: str
    ) -> str:
        """A title's text in the first language, keeping its translations."""
        return self.names.text(path, value, key, default)

    def line(self, path: Path) -> int:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def fail(self) -> ProgramError:
        self.issues.sort(key=lambda i: i.line)
        return ProgramError(self.issues)

    def load(self) -> tuple[Program, tuple[Issue, ...]]:
        data = self._parse()
        try:
            spec = ProgramIn.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(p for p in err["loc"] if not is_union_tag(p))
                where = ".".join(shorten(str(p), 40) for p in loc) or "the file"
                msg = err["msg"]  # lower its first letter only: a pattern keeps case
                self.issue(loc, f"{where}: {msg[:1].lower()}{msg[1:]}", hint_for(err))
            raise self.fail() from exc
        program = self._build(spec)
        if self.issues:
            raise self.fail()
        self._warn_unmeasured(program)
        return program, tuple(sorted(self.warnings, key=lambda i: i.line))

    def _warn_unmeasured(self, program: Program) -> None:
        """Warn of knowledge points whose mastery no plan can raise.

        A plan through such a point never completes and its forecast says 0 %.
        """
        measured = {kp for unit in program.units for kp in _scored_points(unit)}
        for i, kp in enumerate(program.knowledge_points):
            if kp.id not in measured:
                self.warn(
                    ("knowledge_points", i, "id"),
                    f"no scored unit measures knowledge point '{kp.id}', "
                    "so plans cannot raise its mastery",
                    "add it to the knowledge_points of an exercise, quiz, "
                    "practice, homework or live_class unit",
                )

    def _parse(self) -> Any:
        data, self.lines, problems = read_yaml(self.text, self.file)
        self.issues.extend(problems)
        if data is None:
            raise self.fail()
        return data

    # -- semantic checks -------------------------------------------------------

    def _unique(self, section: str, ids: list[str], *, newer: bool = False) -> None:
        report = self.newer_rule if newer else self.issue
        first: dict[str, int] = {}
        for i, ident in enumerate(ids):
            if ident in first:
                report(
                    (section, i, "id"),
                    f"duplicate {section} id '{ident}'",
                    "ids must be unique; first used at line "
                    f"{self.line((section, first[ident], 'id'))}",
                )
            first.setdefault(ident, i)

    def known(self, path: Path, kind: str, ident: str, known: dict[str, Any]) -> bool:
        """Whether ``ident`` is known, reporting it (with a suggestion) when not."""
        if ident in known:
            return True
        close = difflib.get_close_matches(ident, list(known), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"declare it under {kind}s"
        self.issue(path, f"unknown {kind} '{shorten(ident)}'", hint)
        return False

    def _build(self, spec: ProgramIn) -> Program:
        self.names = Names(self, check_languages(self, spec.languages))
        title = self.name(("title",), spec.title, "program", spec.program)
        dims = {
            d.id: Dimension(
                d.id,
                self.name(
                    ("dimensions", i, "title"), d.title, f"dimension:{d.id}", d.id
                ),
            )
            for i, d in enumerate(spec.dimensions)
        }
        self._unique("dimensions", [d.id for d in spec.dimensions])
        self._unique("knowledge_points", [k.id for k in spec.knowledge_points])
        self._unique("units", [u.id for u in spec.units])
        self._unique("levels", [lvl.id for lvl in spec.levels])
        self._unique("xp_rules", [r.id for r in spec.xp_rules])
        self._unique("badges", [b.id for b in spec.badges], newer=True)
        self._unique("titles", [t.id for t in spec.titles], newer=True)
        self._unique("team_tasks", [t.id for t in spec.team_tasks])
        ladder = {lvl.id: i for i, lvl in enumerate(spec.levels)}
        kps_in = {k.id: k for k in spec.knowledge_points}
        kps: list[KnowledgePoint] = []
        for i, kp in enumerate(spec.knowledge_points):
            weights = (
                kp.dimensions
                if isinstance(kp.dimensions, dict)
                else dict.fromkeys(kp.dimensions, 1.0)
            )
            if not weights:
                self.issue(
                    ("knowledge_points", i, "dimensions"),
                    f"knowledge point '{kp.id}' feeds no dimension",
                    "list at least one dimension",
                )
            for d in weights:
                self.known(("knowledge_points", i, "dimensions"), "dimension", d, dims)
            for p in kp.prerequisites:
                self.known(
                    ("knowledge_points", i, "prerequisites"),
                    "knowledge_point",
                    p,
                    kps_in,
                )
            if kp.available_from is not None:
                path: Path = ("knowledge_points", i, "available_from")
                self.known(path, "level", kp.available_from, ladder)
            kps.append(
                KnowledgePoint(
                    kp.id,
                    self.name(
                        ("knowledge_points", i, "title"), kp.title, f"kp:{kp.id}", kp.id
                    ),
                    tuple(sorted(weights.items())),
                    tuple(kp.prerequisites),
                    kp.available_from,
                )
            )
        self._check_dag(spec)
        units: list[Unit] = []
        for i, u in enumerate(spec.units):
            for k in u.knowledge_points:
                self.known(
                    ("units", i, "knowledge_points"), "knowledge_point", k, kps_in
                )
            for d in u.dimensions:
                self.known(("units", i, "dimensions"), "dimension", d, dims)
            unit_dims = u.dimensions or sorted(
                {d for k in u.knowledge_points if k in kps_in for d in _dims(kps_in[k])}
            )
            if u.available_from is not None:
                path = ("units", i, "available_from")
                self.known(path, "level", u.available_from, ladder)
            if len(set(u.tags)) < len(u.tags):
                self.issue(("units", i, "tags"), f"unit '{u.id}' repeats a tag", "")
            units.append(
                Unit(
                    u.id,
                    u.kind,
                    self.name(("units", i, "title"), u.title, f"unit:{u.id}", u.id),
                    u.minutes,
                    tuple(u.knowledge_points),
                    tuple(unit_dims),
                    u.questions,
                    tags=tuple(u.tags),
                    available_from=u.available_from,
                    pass_mark=u.pass_mark,
                    repeats=u.repeats,
                )
            )
        program = Program(
            id=spec.program,
            label=str(spec.version),
            title=title,
            dimensions=tuple(dims.values()),
            knowledge_points=tuple(kps),
            units=tuple(units),
            levels=(),
            xp_rules=(),
            can_go_down=spec.level_policy.can_go_down,
            mastery=self._mastery(spec, kps_in),
            attributes=compile_attributes(self, spec),
            languages=self.names.languages,
        )
        levels = self._levels(spec, program)
        rules = self._rules(spec, program)
        compiled = Program(
            id=program.id,
            label=program.label,
            title=program.title,
            dimensions=program.dimensions,
            knowledge_points=program.knowledge_points,
            units=program.units,
            levels=levels,
            xp_rules=rules,
            can_go_down=program.can_go_down,
            mastery=program.mastery,
            placement=compile_placement(self, spec, program, levels),
            planning=Planning(**spec.planning.model_dump()),
            practice=compile_practice(self, spec, program, levels),
            live_quality=LiveQualityPolicy(**spec.live_quality.model_dump()),
            attributes=program.attributes,
            languages=program.languages,
        )
        if spec.badges or spec.titles or spec.recognition != RecognitionIn():
            badges, titles, recognition = compile_recognition(self, spec, compiled)
            compiled = replace(
                compiled, badges=badges, titles=titles, recognition=recognition
            )
        if spec.team_tasks:
            compiled = replace(
                compiled, team_tasks=compile_team_tasks(self, spec, compiled)
            )
        if spec.xapi is not None:
            compiled = replace(compiled, xapi=compile_xapi(self, spec, compiled))
        return replace(compiled, names=tuple(self.names.pairs))

    def _mastery(
        self, spec: ProgramIn, kps: dict[str, KnowledgePointIn]
    ) -> MasterySettings:
        m = spec.mastery
        for kp in m.bkt:
            self.known(("mastery", "bkt", kp), "knowledge_point", kp, kps)
        if m.model == "bkt" and not m.bkt:
            self.issue(
                ("mastery", "model"),
                "mastery model 'bkt' has no fitted parameters",
                "run 'levelwise fit --model bkt' to fit them, or use model: running",
            )
        logistic = self._logistic(m.logistic, kps)
        if m.model == "logistic" and logistic is None:
            self.issue(
                ("mastery", "model"),
                "mastery model 'logistic' has no fitted weights",
                "run 'levelwise fit' to fit them, or use model: running",
            )
        params = tuple(
            (kp, BktParams(p.prior, p.learn, p.guess, p.slip, p.forget))
            for kp, p in sorted(m.bkt.items())
        )
        return MasterySettings(
            m.model, m.prior, m.strength, m.memory, params, m.fitted, logistic
        )

    def _logistic(
        self, spec: LogisticIn | None, kps: dict[str, KnowledgePointIn]
    ) -> LogisticParams | None:
        if spec is None:
            return None
        for kp in spec.points:
            self.known(
                ("mastery", "logistic", "points", kp), "knowledge_point", kp, kps
            )
        w = spec.weights
        points = tuple(
            (kp, LogisticPoint(p.rate, p.intercept, p.successes, p.failures, p.ability))
            for kp, p in sorted(spec.points.items())
        )
        return LogisticParams(
            shrink=spec.shrink,
            decay=spec.decay,
            successes=w.successes,
            failures=w.failures,
            ability=w.ability,
            point_ability=w.point_ability,
            recent_successes=w.recent_successes,
            recent_failures=w.recent_failures,
            point_recent_successes=w.point_recent_successes,
            point_recent_failures=w.point_recent_failures,
            recent_residual=w.recent_residual,
            point_recent_residual=w.point_recent_residual,
            bias=w.bias,
            points=points,
        )

    def _check_dag(self, spec: ProgramIn) -> None:
        graph = {k.id: list(k.prerequisites) for k in spec.knowledge_points}
        index = {k.id: i for i, k in enumerate(spec.knowledge_points)}
        state: dict[str, int] = {}
        reported: set[frozenset[str]] = set()
        for start in graph:
            for cycle in _cycles_from(start, graph, state):
                key = frozenset(cycle)
                if key in reported:
                    continue
                reported.add(key)
                shown = " -> ".join([*cycle, cycle[0]])
                self.issue(
                    ("knowledge_points", index[cycle[0]], "prerequisites"),
                    f"prerequisite cycle: {shown}",
                    "knowledge point prerequisites must form a DAG; "
                    "remove one of these links",
                )

    def compile(
        self, path: Path, source: str | float, schema: Schema, expect: str
    ) -> Expr | None:
        """Compile an expression, reporting a problem at ``path`` (then None)."""
        try:
            return compile_expr(str(source), schema, expect=expect)
        except ExprError as exc:
            self.issue(
                path,
                f"bad expression '{shorten(str(source))}': {exc.message} "
                f"at column {exc.column}",
                exc.hint,
            )
            return None

    def _levels(self, spec: ProgramIn, program: Program) -> tuple[Level, ...]:
        schema = gate_schema(program)
        units = program.unit_by_id
        levels: list[Level] = []
        previous: dict[str, tuple[float, str]] = {}
        for i, lvl in enumerate(spec.levels):
            if i == 0 and lvl.gates:
                self.issue(
                    ("levels", 0, "gates"),
                    f"the first level '{lvl.id}' has gates",
                    "the first level is where every learner starts; "
                    "move its gates to the next level",
                )
            gates: list[Gate] = []
            current: dict[str, tuple[float, str]] = {}
            where: dict[str, int] = {}
            for j, source in enumerate(lvl.gates):
                path: Path = ("levels", i, "gates", j)
                expr = self.compile(path, source, schema, "bool")
                if expr is None:
                    continue
                gates.append(Gate(str(source).strip(), expr))
                self._check_gate(path, lvl.id, expr, units, current)
                where.update((key, j) for key in current if key not in where)
            for key, (target, src) in current.items():
                before = previous.get(key)
                if before is not None and target < before[0]:
                    self.issue(
                        ("levels", i, "gates", where[key]),
                        f"level '{lvl.id}' asks '{src}', less than the level "
                        f"below it ('{before[1]}')",
                        "levels must not get easier as they go up; raise the target",
                    )
            if i > 0 and lvl.gates and gates and _not_harder(current, previous):
                self.issue(
                    ("levels", i),
                    f"level '{lvl.id}' asks nothing more than the level below it",
                    "each level must raise at least one target",
                )
            if i > 0 and not lvl.gates:
                self.issue(
                    ("levels", i),
                    f"level '{lvl.id}' has no gates",
                    "add at least one gate such as 'xp >= 500'",
                )
            previous = {**previous, **current}
            name = self.name(
                ("levels", i, "title"), lvl.title, f"level:{lvl.id}", lvl.id
            )
            levels.append(Level(lvl.id, name, tuple(gates)))
        self._check_reachable(spec, program, levels)
        return tuple(levels)

    def _check_reachable(
        self, spec: ProgramIn, program: Program, levels: list[Level]
    ) -> None:
        """Check the units each level's gates ask for can be done in time.

        ``passed`` never holds a unit without a pass mark (an error: the gate
        can never hold); a gate's ``unit_score`` of such a unit, or a unit
        that opens only at the level (or above) whose gates ask for it, is
        likely a mistake (a warning).
        """
        ladder = {lvl.id: i for i, lvl in enumerate(spec.levels)}
        units = program.unit_by_id
        for i, lvl in enumerate(levels):
            for j, gate in enumerate(lvl.gates):
                path: Path = ("levels", i, "gates", j)
                for unit_id, how in _units_asked(gate.expr):
                    unit = units.get(unit_id)
                    if unit is None:
                        continue
                    if how == "passed" and unit.pass_mark is None:
                        self.issue(
                            path,
                            f"gate '{gate.source}' can never hold: unit "
                            f"'{unit_id}' has no pass_mark",
                            f"give unit '{unit_id}' a pass_mark such as 0.6",
                        )
                    elif how == "unit_score" and unit.pass_mark is None:
                        self.warn(
                            path,
                            f"gate '{gate.source}' reads the score of unit "
                            f"'{unit_id}', which has no pass_mark",
                            "give the unit a pass_mark so learners see what "
                            "passing it means",
                        )
                    opens = ladder.get(unit.available_from or "", 0)
                    if opens >= i:
                        self.warn(
                            path,
                            f"level '{lvl.id}' asks for unit '{unit_id}', which "
                            f"opens only at level '{unit.available_from}'",
                            "open the unit at a level below, or ask for it at a "
                            "higher level",
                        )

    def _check_gate(
        self,
        path: Path,
        level: str,
        expr: Expr,
        units: dict[str, Unit],
        current: dict[str, tuple[float, str]],
    ) -> None:
        if not expr.names and not expr.evaluate({}):
            self.issue(
                path,
                f"gate '{expr.source}' of level '{level}' can never hold",
                "unreachable level: remove the gate or fix it",
            )
        for part in expr.conjuncts():
            if not isinstance(part, Comparison):
                continue
            key = part.left.source.strip()
            if part.op == "includes" and isinstance(part.target, frozenset):
                for unit in sorted(part.target):
                    self.known(path, "unit", unit, units)
                # One key per unit: a higher level may ask for other units,
                # and is harder only when it asks for one not asked below.
                for unit in part.target:
                    current[f"{key} includes {unit}"] = (1.0, part.source)
                continue
            if not isinstance(part.target, float | int):
                continue
            target = float(part.target)
            bounded = key.startswith(BOUNDED_PREFIXES) or key in BOUNDED
            if bounded and (target > 1 or (target == 1 and part.op == ">")):
                self.issue(
                    path,
                    f"gate '{part.source}' can never hold: {key} is between 0 and 1",
                    "unreachable level: use a target of at most 1",
                )
            if key == "units_completed_count" and target > len(units):
                self.issue(
                    path,
                    f"gate '{part.source}' can never hold: "
                    f"the program has {len(units)} units",
                    "unreachable level: lower the target",
                )
            current[key] = (target, part.source)

    def _rules(self, spec: ProgramIn, program: Program) -> tuple[XpRule, ...]:
        rules: list[XpRule] = []
        for i, r in enumerate(spec.xp_rules):
            if r.on not in EVENT_TYPES:
                close = difflib.get_close_matches(r.on, list(EVENT_TYPES), n=1)
                hint = (
                    f"did you mean '{close[0]}'?"
                    if close
                    else "known: " + ", ".join(EVENT_TYPES)
                )
                message = f"unknown event type '{shorten(r.on)}'"
                self.issue(("xp_rules", i, "on"), message, hint)
                continue
            if refuse_indirect(self, ("xp_rules", i, "on"), r.on):
                continue
            schema = event_schema(program, r.on)
            xp = self.compile(("xp_rules", i, "xp"), r.xp, schema, "number")
            when = (
                self.compile(("xp_rules", i, "when"), r.when, schema, "bool")
                if r.when is not None
                else None
            )
            if r.repeat_floor > r.repeat_decay:
                self.issue(
                    ("xp_rules", i, "repeat_floor"),
                    "repeat_floor is above repeat_decay",
                    "the floor is the lowest factor; keep it below the decay",
                )
            title = self.name(("xp_rules", i, "title"), r.title, f"rule:{r.id}", "")
            if xp is not None and (r.when is None or when is not None):
                rules.append(
                    XpRule(
                        r.id,
                        r.on,
                        xp,
                        when,
                        r.daily_cap,
                        r.repeat_decay,
                        r.repeat_floor,
                        title,
                    )
                )
        return tuple(rules)


def _units_asked(expr: Expr) -> list[tuple[str, str]]:
    """The units a gate asks for in its parts joined by ``and``, with how.

    ``(unit, how)`` with how ``passed``, ``units_completed`` (from
    ``... includes [units]``) or ``unit_score`` (a comparison of
    ``unit_score.ID``).
    """
    found: list[tuple[str, str]] = []
    for part in expr.conjuncts():
        if not isinstance(part, Comparison):
            continue
        key = part.left.source.strip()
        if part.op == "includes" and isinstance(part.target, frozenset):
            if key in ("passed", "units_completed"):
                found += [(str(u), key) for u in sorted(part.target)]
        elif key.startswith("unit_score."):
            found.append((key.removeprefix("unit_score."), "unit_score"))
    return found


def _scored_points(unit: Unit) -> tuple[str, ...]:
    """The knowledge points one study of ``unit`` gives scored answers on.

    As plans see a study (``guidance/study.py``, ``yield_of``): a homework, a
    test or a live class scores all its points; the answers of an exercise,
    quiz or practice go round its points in turn, so they reach the first
    ``answers``.
    """
    if unit.kind in ("homework", "test", "live_class"):
        return unit.knowledge_points
    return unit.knowledge_points[: unit.answers]


def _dims(kp: KnowledgePointIn) -> list[str]:
    return list(kp.dimensions)


def _not_harder(
    current: dict[str, tuple[float, str]], previous: dict[str, tuple[float, str]]
) -> bool:
    if not current:
        return False
    return all(
        key in previous and target <= previous[key][0]
        for key, (target, _) in current.items()
    )


def _cycles_from(
    start: str, graph: dict[str, list[str]], state: dict[str, int]
) -> Iterator[list[str]]:
    """Depth-first search from ``start``, yielding each cycle it closes.

    ``state`` marks nodes 1 while on the current path and 2 once finished.
    """
    if state.get(start):
        return
    stack: list[tuple[str, Iterator[str]]] = [(start, iter(graph.get(start, ())))]
    path = [start]
    state[start] = 1
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            state[node] = 2
            stack.pop()
            path.pop()
        elif child not in graph:
            continue
        elif state.get(child) == 1:
            yield path[path.index(child) :]
        elif not state.get(child):
            state[child] = 1
            path.append(child)
            stack.append((child, iter(graph[child])))
