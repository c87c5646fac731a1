"""Practice sessions with the AI speaking partner: open, talk, finish, score.

``start`` opens a session for a learner on a practice unit (by default the unit
of their level that trains their weakest points), from the learner's state:
level, dimension abilities, the unit's least-mastered knowledge points and the
vocabulary level, with the scenario the program declares for the unit. The
conversation itself runs in :class:`~levelwise.app.practice.live.Conversation`
(over a WebSocket, or the CLI's terminal); every turn is stored with the
session. ``finish`` scores the learner's turns (fluency from word timestamps,
vocabulary and lexis) and ingests one ``practice.completed`` event through the
normal ingest use case, with id ``practice-<session>``: finishing twice is a
no-op, and nothing but that event ever reaches the log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from levelwise.app.ingest.wire import from_body
from levelwise.app.ports import Clock, EventLog, LogSession
from levelwise.app.practice import scoring
from levelwise.app.practice._prompt import Brief, instructions, weakest
from levelwise.app.practice._script import ScriptedPartner
from levelwise.app.practice.live import Conversation, LiveSettings, Sender
from levelwise.app.practice.ports import (
    LanguageModel,
    PracticeStore,
    SessionRecord,
    SpeechToText,
    TextToSpeech,
    TurnRecord,
    VoiceActivity,
    Word,
)
from levelwise.app.practice.profile import SpeakingProfile, speaking_profile
from levelwise.app.views import IngestReport
from levelwise.domain.events import PracticeCompleted
from levelwise.domain.fold import initial_state, prior_for
from levelwise.domain.mastery import MasteryModel
from levelwise.domain.practice import PRACTICE_METRICS
from levelwise.domain.program import Program, Scenario
from levelwise.domain.state import LearnerState
from levelwise.errors import (
    PracticeClosedError,
    PracticeError,
    PracticeNotFoundError,
)

OPEN: Literal["open"] = "open"
FINISHED: Literal["finished"] = "finished"
MAX_SECONDS = 86_400
"""The longest session an event reports (the edge's limit)."""


@dataclass(frozen=True)
class Backends:
    """The partner's back ends, chosen by settings in ``bootstrap``.

    Attributes:
        model: Makes the session's language model; None: the scripted
            partner only.
        stt: Makes a speech-to-text decoder (one per session); None: text only.
        tts: Makes a text-to-speech synthesiser; None: text replies only.
        vad: Makes a voice-activity detector; None: text only.
        live: Listening and speaking settings.
        pause_threshold: Seconds of silence that count as a pause.
        agora_secrets: Each school's Agora notification secret (Agora's
            Conversational AI Engine signs its webhooks with it).
    """

    model: Callable[[], LanguageModel] | None = None
    stt: Callable[[], SpeechToText] | None = None
    tts: Callable[[], TextToSpeech] | None = None
    vad: Callable[[], VoiceActivity] | None = None
    live: LiveSettings = LiveSettings()
    pause_threshold: float = scoring.DEFAULT_PAUSE_THRESHOLD
    agora_secrets: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Opened:
    """A new session and the secret that opens its WebSocket.

    Attributes:
        record: The session as stored.
        token: Opens ``/v1/practice/{session}/ws`` (only its digest is kept).
    """

    record: SessionRecord
    token: str


@dataclass(frozen=True)
class Finished:
    """A finished session and what ingest did with its event.

    Attributes:
        record: The session as stored.
        event_status: ``accepted``, ``duplicate``, ``rejected`` ...
        event_reason: Why it was not accepted, if it was not.
        xp: XP the event earned.
        levels: Levels the event reached.
    """

    record: SessionRecord
    event_status: str
    event_reason: str
    xp: int
    levels: tuple[str, ...]


ProgramAndModel = Callable[[LogSession], tuple[Program, MasteryModel]]
Ingest = Callable[[str, Sequence[object]], IngestReport]


class Practice:
    """The practice use cases over the log (read) and the session store.

    Args:
        log: The event log (read for the learner's state; written only by
            ``ingest``).
        store: Where sessions live; None: practice is unavailable.
        clock: Wall time (session times, the event's ``occurred_at``).
        programs: The tenant's compiled program and mastery model.
        ingest: The ingest use case (the event goes through it).
        backends: The partner's back ends.
    """

    def __init__(
        self,
        log: EventLog,
        store: PracticeStore | None,
        clock: Clock,
        programs: ProgramAndModel,
        ingest: Ingest,
        backends: Backends | None = None,
    ) -> None:
        """Keep the collaborators; nothing is opened until a session starts."""
        self.log = log
        self.store = store
        self.clock = clock
        self.programs = programs
        self._ingest = ingest
        self.backends = backends or Backends()

    # -- sessions ---------------------------------------------------------------

    def start(self, tenant: str, learner: str, unit: str | None = None) -> Opened:
        """Open a session for ``learner`` on a practice ``unit``.

        Args:
            tenant: The school.
            learner: The learner (a new one starts from the program's priors).
            unit: A unit of kind ``practice``; default: the practice unit with
                a scenario whose points the learner masters least, among those
                of the learner's level when the program says which.

        Raises:
            PracticeError: The unit is unknown or not a practice unit, or the
                program has none.
        """
        store = self._store()
        chosen, brief, scenario = self._setting(tenant, learner, unit)
        token = _token(tenant)
        backends = [("model", "scripted")]
        if self.backends.model is not None:
            backends = [("model", self.backends.model().name)]
        record = SessionRecord(
            session=f"ps_{uuid.uuid4().hex}",
            learner=learner,
            unit=chosen,
            scenario=scenario.title if scenario else "",
            status=OPEN,
            started_at=self.clock.now_iso(),
            token_digest=_digest(token),
            brief=brief.pairs(),
            instructions=instructions(brief),
            backends=tuple(backends),
        )
        store.create(tenant, record)
        return Opened(record, token)

    def get(self, tenant: str, session: str) -> SessionRecord:
        """The session.

        Raises:
            PracticeNotFoundError: No such session in this school.
        """
        record = self._store().get(tenant, session)
        if record is None:
            msg = f"practice session {session!r} does not exist in this school"
            raise PracticeNotFoundError(msg)
        return record

    def check_token(self, tenant: str, session: str, token: str) -> SessionRecord:
        """The session, if ``token`` is its WebSocket token.

        Raises:
            PracticeNotFoundError: No such session, or not this token (the
                same answer: a wrong token reveals nothing).
        """
        record = self._store().get(tenant, session)
        if record is None or not hmac.compare_digest(
            record.token_digest, _digest(token)
        ):
            msg = f"practice session {session!r} does not exist in this school"
            raise PracticeNotFoundError(msg)
        return record

    def token_tenant(self, token: str) -> str | None:
        """The school a session token names (checked by :meth:`check_token`)."""
        head, dot, _ = token.partition(".")
        if not dot:
            return None
        try:
            padded = head + "=" * (-len(head) % 4)
            school = base64.b64decode(padded, altchars=b"-_", validate=True)
            return school.decode() or None
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            return None

    def connect(
        self,
        tenant: str,
        session: str,
        send: Sender,
        *,
        voice: bool = True,
        spoken: bool = False,
    ) -> Conversation:
        """The live conversation of an open session, resumed where it stood.

        Args:
            tenant: The school.
            session: The session.
            send: Where the conversation's messages go.
            voice: Whether speech back ends may be used (the CLI says no).
            spoken: The client talks by voice from the start: the partner
                speaks its opening too (a session turns to voice by itself
                with the learner's first audio).

        Raises:
            PracticeNotFoundError: No such session in this school.
            PracticeClosedError: The session has finished.
        """
        record = self.get(tenant, session)
        if record.status != OPEN:
            msg = f"practice session {session!r} has finished"
            raise PracticeClosedError(msg)
        with self.log.read(tenant) as s:
            program, _ = self.programs(s)
        scenario = program.practice.scenario_by_unit.get(record.unit)
        script = ScriptedPartner(scenario)
        model: LanguageModel = script
        if self.backends.model is not None:
            model = self.backends.model()
        b = self.backends
        store = self._store()

        async def keep(turn: TurnRecord) -> None:
            current = store.get(tenant, session) or record
            notices = tuple(dict.fromkeys((*current.notices, *live.notices)))
            store.save(
                tenant, replace(current, turns=(*current.turns, turn), notices=notices)
            )

        live = Conversation(
            system=record.instructions,
            model=model,
            script=script,
            send=send,
            tts=b.tts() if voice and b.tts is not None else None,
            listen=_listener(b) if voice else None,
            hints=_hints(scenario),
            settings=b.live,
            turns=record.turns,
            on_turn=keep,
        )
        live.voice = spoken and live.tts is not None
        return live

    def finish(self, tenant: str, session: str) -> Finished:
        """Score the session and ingest its ``practice.completed`` event.

        Finishing again returns the stored result (the event is a duplicate).

        Raises:
            PracticeNotFoundError: No such session in this school.
            PracticeError: The learner said nothing in the session.
        """
        store = self._store()
        record = self.get(tenant, session)
        if record.status == OPEN:
            learner_turns = [t for t in record.turns if t.role == "learner"]
            if not learner_turns:
                msg = "the learner has not said anything yet: nothing to score"
                raise PracticeError(msg)
            with self.log.read(tenant) as s:
                program, _ = self.programs(s)
            scenario = program.practice.scenario_by_unit.get(record.unit)
            record = replace(
                record,
                status=FINISHED,
                finished_at=self.clock.now_iso(),
                event_id=f"practice-{session}",
                metrics=self._scores(record.turns, scenario),
            )
            store.save(tenant, record)
        result = self._ingest(tenant, [_event_body(record)]).results[0]
        return Finished(record, result.status, result.reason, result.xp, result.levels)

    def profile(self, tenant: str, learner: str) -> SpeakingProfile:
        """The learner's speaking profile, from their practice events in the log."""
        with self.log.read(tenant) as s:
            events = [
                from_body(e.body, e.version)
                for e in s.history(learner)
                if e.type == "practice.completed"
            ]
        return speaking_profile(e for e in events if isinstance(e, PracticeCompleted))

    def _setting(
        self, tenant: str, learner: str, unit: str | None
    ) -> tuple[str, Brief, Scenario | None]:
        """The unit of a conversation, what the partner is told, the scenario."""
        with self.log.read(tenant) as s:
            program, model = self.programs(s)
            snap = s.snapshots([learner]).get(learner)
        state = (
            snap.learner_state()
            if snap is not None
            else initial_state(learner, program, model)
        )
        chosen = _unit(program, state, model, unit)
        brief = brief_for(program, state, model, chosen)
        return chosen, brief, program.practice.scenario_by_unit.get(chosen)

    def _scores(
        self, turns: Sequence[TurnRecord], scenario: Scenario | None
    ) -> tuple[tuple[str, float], ...]:
        """A conversation's practice metrics, in the metrics' order."""
        metrics = scoring.score_session(
            [_learner_turn(t) for t in turns if t.role == "learner"],
            target_words=scenario.target_words if scenario else (),
            pause_threshold=self.backends.pause_threshold,
            interrupted_turns=sum(
                1 for t in turns if t.role == "partner" and t.interrupted
            ),
        )
        return tuple((n, metrics[n]) for n in PRACTICE_METRICS if n in metrics)

    def _store(self) -> PracticeStore:
        if self.store is None:
            msg = "practice sessions are not set up on this server"
            raise PracticeError(msg)
        return self.store

    # -- conversations another engine runs (Agora's Conversational AI Engine) ----
    # Used by levelwise.api.routes.agora; nothing above depends on this section.

    def agora_secret(self, tenant: str) -> str | None:
        """The school's Agora notification secret, if one is set."""
        return self.backends.agora_secrets.get(tenant) or None

    def external_partner(
        self, tenant: str, learner: str, unit: str | None = None
    ) -> tuple[str, str, Scenario | None]:
        """The partner's instructions for a conversation another engine runs.

        The same instructions a session of :meth:`start` gets, from the
        learner's state now (a new learner starts from the program's priors).

        Args:
            tenant: The school.
            learner: The learner.
            unit: A practice unit; default: chosen as :meth:`start` does.

        Returns:
            ``(instructions, unit, scenario)``: the system prompt, the unit
            chosen and its scenario (None when it declares none).

        Raises:
            PracticeError: The unit is not a practice unit, or the program has
                none.
        """
        chosen, brief, scenario = self._setting(tenant, learner, unit)
        return instructions(brief), chosen, scenario

    def record_external(
        self,
        tenant: str,
        *,
        session: str,
        learner: str,
        unit: str | None,
        started_at: str,
        finished_at: str,
        turns: Sequence[TurnRecord],
        source: str,
    ) -> Finished:
        """Keep a conversation another engine held as a finished session; score it.

        The session is scored as :meth:`finish` scores one and its
        ``practice.completed`` event (id ``practice-<session>``, occurring at
        ``finished_at``) is ingested. Recording the same session again returns
        the stored result (the event is then a duplicate).

        Args:
            tenant: The school.
            session: The session's id, derived from the other engine's id.
            learner: The learner.
            unit: The practice unit; default: chosen as :meth:`start` does.
            started_at: When the conversation started (RFC 3339).
            finished_at: When it ended (RFC 3339).
            turns: The conversation.
            source: The engine that held it (``agora``).

        Raises:
            PracticeError: The learner said nothing, the unit is not a
                practice unit, or sessions are not set up.
        """
        store = self._store()
        if store.get(tenant, session) is None:
            learner_turns = [t for t in turns if t.role == "learner"]
            if not learner_turns:
                msg = "the learner said nothing in the conversation: nothing to score"
                raise PracticeError(msg)
            chosen, brief, scenario = self._setting(tenant, learner, unit)
            record = SessionRecord(
                session=session,
                learner=learner,
                unit=chosen,
                scenario=scenario.title if scenario else "",
                status=FINISHED,
                started_at=started_at,
                token_digest="",  # no socket: no token opens it
                brief=brief.pairs(),
                backends=(("engine", source),),
                turns=tuple(turns),
                finished_at=finished_at,
                event_id=f"practice-{session}",
                metrics=self._scores(turns, scenario),
            )
            # The event first: one the log refuses (a time outside the
            # school's window) leaves no session behind, so the engine can
            # send the conversation again, corrected, under the same id.
            result = self._ingest(tenant, [_event_body(record)]).results[0]
            if result.status == "rejected":
                msg = f"the conversation's event was refused: {result.reason}"
                raise PracticeError(msg)
            store.create(tenant, record)
            return Finished(
                record, result.status, result.reason, result.xp, result.levels
            )
        return self.finish(tenant, session)


def brief_for(
    program: Program, state: LearnerState, model: MasteryModel, unit: str
) -> Brief:
    """What the partner is told about ``state``'s learner for a session on ``unit``."""
    levels = program.levels
    level = levels[state.level]
    nxt = levels[state.level + 1].title if state.level + 1 < len(levels) else ""
    titles = {d.id: d.title for d in program.dimensions}
    abilities = tuple(
        (titles[d], round(state.abilities[d][0], 2))
        for d in titles
        if d in state.abilities
    )
    prior = prior_for(state, model)
    the_unit = program.unit_by_id[unit]
    points = [
        (
            program.kp_by_id[kp].title,
            state.mastery[kp].value if kp in state.mastery else prior(kp),
        )
        for kp in the_unit.knowledge_points
    ]
    vocabulary = level.title
    if "vocabulary" in state.abilities:
        vocabulary += f" (vocabulary estimate {state.abilities['vocabulary'][0]:.0%})"
    scenario = program.practice.scenario_by_unit.get(unit)
    return Brief(
        level=level.title,
        next_level=nxt,
        abilities=abilities,
        weak_points=weakest(points),
        vocabulary=vocabulary,
        unit=the_unit.title,
        scenario=scenario.title if scenario else "",
        setting=scenario.setting if scenario else "",
        partner=scenario.partner if scenario else "",
        target_words=scenario.target_words if scenario else (),
    )


def _unit(
    program: Program, state: LearnerState, model: MasteryModel, unit: str | None
) -> str:
    if unit is not None:
        found = program.unit_by_id.get(unit)
        if found is None or found.kind != "practice":
            msg = f"unit {unit!r} is not a practice unit of program {program.id}"
            raise PracticeError(msg)
        return unit
    units = [u for u in program.units if u.kind == "practice"]
    if not units:
        msg = f"program {program.id} has no practice unit"
        raise PracticeError(msg)
    scripted = [u for u in units if u.id in program.practice.scenario_by_unit]
    units = scripted or units
    prior = prior_for(state, model)
    ready = program.planning.ready_mastery
    # Units come in the program's teaching order: the first whose weakest
    # point is not yet ready is the learner's frontier.
    for candidate in units:
        kps = candidate.knowledge_points
        mastery = [
            state.mastery[k].value if k in state.mastery else prior(k) for k in kps
        ]
        if mastery and min(mastery) < ready:
            return candidate.id
    return units[-1].id


def _listener(
    backends: Backends,
) -> Callable[[], tuple[SpeechToText, VoiceActivity]] | None:
    """Makes a session's speech to text and VAD, when it has both."""
    stt, vad = backends.stt, backends.vad
    if stt is None or vad is None:
        return None
    return lambda: (stt(), vad())


def _hints(scenario: Scenario | None) -> tuple[str, ...]:
    """What the learner is likely to say in ``scenario``, likeliest first.

    The example answers come first: speech to text may bias recognition with
    whole phrases only (pocketsphinx's never trusts a single hinted word), so
    they are the hints that help; the target words and keywords follow.
    """
    if scenario is None:
        return ()
    examples: list[str] = []
    words = list(scenario.target_words)
    for line in scenario.lines:
        for branch in line.branches:
            examples.extend(branch.examples)
            words.extend(branch.keywords)
        examples.extend(line.examples)
    return tuple(dict.fromkeys([*examples, *words]))


def _learner_turn(turn: TurnRecord) -> scoring.LearnerTurn:
    return scoring.LearnerTurn(
        text=turn.text,
        words=tuple(Word(w, s, e) for w, s, e in turn.words),
        duration=turn.duration,
    )


def _token(tenant: str) -> str:
    """A new session token: the school (so a socket finds it) and a secret."""
    head = base64.urlsafe_b64encode(tenant.encode()).decode().rstrip("=")
    return f"{head}.{secrets.token_urlsafe(24)}"


def _event_body(record: SessionRecord) -> dict[str, object]:
    """The ``practice.completed`` event of a finished session."""
    assert record.finished_at is not None  # noqa: S101 - set when finished
    seconds = (_when(record.finished_at) - _when(record.started_at)).total_seconds()
    return {
        "id": record.event_id,
        "learner": record.learner,
        "type": "practice.completed",
        "occurred_at": record.finished_at,
        "unit": record.unit,
        "seconds": round(min(max(seconds, 0.0), MAX_SECONDS), 3),
        "turns": sum(1 for t in record.turns if t.role == "learner"),
        "metrics": dict(record.metrics),
        "session": record.session,
    }


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
