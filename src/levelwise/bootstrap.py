"""The one place that picks concrete adapters and builds complete objects.

``build`` reads the settings once, opens every store of the engine on one
database (SQLite or PostgreSQL; leaderboards in Redis when asked), and builds
the engine with all of them: no object is made half-wired and patched later.
Entry points (the CLI, the server, tests) call these functions and nothing else
picks an adapter.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from levelwise.app.engine import Levelwise
from levelwise.config import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from levelwise.adapters.memory.event_log import InMemoryEventLog
    from levelwise.app.credentials.ports import CredentialStore
    from levelwise.app.metrics.ports import MetricStore
    from levelwise.app.notify.webhooks import WebhookWorker
    from levelwise.app.ports import Clock, EventLog
    from levelwise.app.practice.ports import PracticeStore
    from levelwise.app.practice.service import Backends
    from levelwise.app.quality.ports import QualityStore
    from levelwise.app.quality.service import QualitySettings
    from levelwise.app.recognition.ports import BoardStore, PkStore
    from levelwise.app.teams.ports import TeamStore
    from levelwise.app.xapi.ports import XapiStore


@dataclass(frozen=True)
class Stores:
    """Every store an engine works over, on one database.

    Attributes:
        log: Events, projections, programs, keys and the outbox.
        boards: Leaderboards.
        metrics: The metrics projection.
        credentials: Signing keys and issued credentials.
        pk: Group PK definitions.
        practice: Practice sessions of the speaking partner.
        quality: Live-class call quality.
        teams: Team-task progress.
        xapi: The xAPI record store.
    """

    log: EventLog
    boards: BoardStore
    metrics: MetricStore
    credentials: CredentialStore
    pk: PkStore
    practice: PracticeStore
    quality: QualityStore
    teams: TeamStore
    xapi: XapiStore


def store_url(db: str) -> str:
    """``db`` as a store URL: a plain path, with no ``scheme://``, is a SQLite file.

    Args:
        db: ``memory``, a SQLAlchemy URL, or the path of a SQLite file.

    Returns:
        ``memory`` and URLs unchanged; a path as ``sqlite:///path`` (with
        ``~`` expanded).

    Examples:
        >>> store_url("school.db")
        'sqlite:///school.db'
        >>> store_url("/srv/levelwise/school.db")
        'sqlite:////srv/levelwise/school.db'
        >>> store_url("postgresql+psycopg://lw@db/lw")
        'postgresql+psycopg://lw@db/lw'
    """
    if db == "memory" or "://" in db:
        return db
    return f"sqlite:///{os.path.expanduser(db)}"


def open_stores(
    db: str, redis_url: str | None = None, *, create: bool = True
) -> Stores:
    """The stores at ``db``: a SQLAlchemy URL or a SQLite file (migrated), or memory.

    Args:
        db: Where the stores live (see :func:`store_url`).
        redis_url: Keep leaderboards in this Redis instead of beside the log.
        create: Whether a missing SQLite file may be made. Commands that only
            read pass False, so that a misspelt path is an error instead of a
            new empty database.

    Raises:
        StoreError: The database cannot be opened: a missing folder, a missing
            file (unless ``create``), an unknown driver, a server that does not
            answer, a file that is not a database.
    """
    url = store_url(db)
    if url == "memory":
        return memory_stores(redis_url=redis_url)
    from levelwise.adapters.redis.boards import RedisBoardStore
    from levelwise.adapters.sql.boards import SqlBoardStore
    from levelwise.adapters.sql.credentials import SqlCredentialStore
    from levelwise.adapters.sql.engine import (
        check_sqlite_file,
        create_engine_for,
        opening,
    )
    from levelwise.adapters.sql.event_log import SqlEventLog
    from levelwise.adapters.sql.metrics import SqlMetricStore
    from levelwise.adapters.sql.migrate import migrate
    from levelwise.adapters.sql.pk import SqlPkStore
    from levelwise.adapters.sql.practice import SqlPracticeStore
    from levelwise.adapters.sql.quality import SqlQualityStore
    from levelwise.adapters.sql.teams import SqlTeamStore
    from levelwise.adapters.sql.xapi import SqlXapiStore

    check_sqlite_file(url, create=create)
    with opening(url):
        engine = create_engine_for(url)
        try:
            migrate(engine)
        except BaseException:
            engine.dispose()  # stops a SQLite file's checkpoint thread
            raise
    boards: BoardStore = (
        RedisBoardStore.from_url(redis_url) if redis_url else SqlBoardStore(engine)
    )
    return Stores(
        log=SqlEventLog(engine),
        boards=boards,
        metrics=SqlMetricStore(engine),
        credentials=SqlCredentialStore(engine),
        pk=SqlPkStore(engine),
        practice=SqlPracticeStore(engine),
        quality=SqlQualityStore(engine),
        teams=SqlTeamStore(engine),
        xapi=SqlXapiStore(engine),
    )


def memory_stores(
    log: InMemoryEventLog | None = None, redis_url: str | None = None
) -> Stores:
    """In-memory stores (over ``log`` when given): the demo's and the tests'."""
    from levelwise.adapters.memory.boards import InMemoryBoardStore
    from levelwise.adapters.memory.credentials import InMemoryCredentialStore
    from levelwise.adapters.memory.event_log import InMemoryEventLog
    from levelwise.adapters.memory.metrics import InMemoryMetricStore
    from levelwise.adapters.memory.pk import InMemoryPkStore
    from levelwise.adapters.memory.practice import InMemoryPracticeStore
    from levelwise.adapters.memory.quality import InMemoryQualityStore
    from levelwise.adapters.memory.teams import InMemoryTeamStore
    from levelwise.adapters.memory.xapi import InMemoryXapiStore
    from levelwise.adapters.redis.boards import RedisBoardStore

    log = log if log is not None else InMemoryEventLog()
    boards: BoardStore = (
        RedisBoardStore.from_url(redis_url) if redis_url else InMemoryBoardStore()
    )
    return Stores(
        log=log,
        boards=boards,
        metrics=InMemoryMetricStore(log),
        credentials=InMemoryCredentialStore(),
        pk=InMemoryPkStore(),
        practice=InMemoryPracticeStore(),
        quality=InMemoryQualityStore(),
        teams=InMemoryTeamStore(),
        xapi=InMemoryXapiStore(),
    )


def engine_over(
    stores: Stores, clock: Clock | None = None, settings: Settings | None = None
) -> Levelwise:
    """The engine over ``stores``, complete (wall time unless ``clock``)."""
    from levelwise.adapters.clock import SystemClock
    from levelwise.app.links import PageLinks
    from levelwise.app.notify.guard import UrlGuard

    settings = settings if settings is not None else Settings()
    secret = settings.page_secret  # None: links die with the process
    page_secret = None if secret is None else secret.get_secret_value()
    return Levelwise(
        stores.log,
        clock if clock is not None else SystemClock(),
        stores.boards,
        metrics=stores.metrics,
        credentials=stores.credentials,
        pk=stores.pk,
        practice=stores.practice,
        partner=partner_backends(settings),
        quality=stores.quality,
        quality_settings=quality_settings(settings),
        teams=stores.teams,
        xapi=stores.xapi,
        xapi_default_version=settings.xapi_default_version,
        xapi_feed_inline=settings.xapi_feed == "inline",
        public_url=settings.public_url,
        links=PageLinks.from_secret(page_secret),
        webhook_guard=UrlGuard(settings.webhook_allow_hosts.split(",")),
        event_max_skew=timedelta(seconds=settings.event_max_skew_seconds),
        event_earliest=settings.event_earliest,
    )


def quality_settings(settings: Settings) -> QualitySettings:
    """Call-quality grading and retention as the settings say."""
    from levelwise.app.quality.ports import Thresholds
    from levelwise.app.quality.service import QualitySettings

    return QualitySettings(
        thresholds=Thresholds(
            good_ms=settings.quality_good_ms,
            acceptable_ms=settings.quality_acceptable_ms,
            degraded_ms=settings.quality_degraded_ms,
            video_acceptable_ms=settings.quality_video_acceptable_ms,
            send_ms=settings.quality_send_ms,
            alert_after_s=settings.quality_alert_after_s,
            drop_after_s=settings.quality_drop_after_s,
        ),
        max_skew=timedelta(seconds=settings.event_max_skew_seconds),
        retention=timedelta(hours=settings.quality_retention_hours),
    )


def partner_backends(settings: Settings) -> Backends:
    """The speaking partner's back ends the settings ask for.

    The language model is the endpoint at ``practice_model_url`` (else the
    scripted partner); speech runs offline with pocketsphinx, espeak-ng and
    WebRTC's VAD unless ``practice_speech`` is off or espeak-ng is missing.
    Nothing is loaded until a session needs it.
    """
    import shutil

    from levelwise.app.practice.live import LiveSettings
    from levelwise.app.practice.ports import (
        LanguageModel,
        SpeechToText,
        TextToSpeech,
        VoiceActivity,
    )
    from levelwise.app.practice.service import Backends

    def model() -> LanguageModel:
        from levelwise.adapters.http.llm import OpenAiChatModel

        key = settings.practice_model_key
        return OpenAiChatModel(
            settings.practice_model_url or "",
            settings.practice_model,
            api_key=key.get_secret_value() if key is not None else "none",
        )

    live = LiveSettings(
        end_silence_ms=settings.practice_end_silence_ms,
        speculate_ms=settings.practice_speculate_ms,
        stream_speech=settings.practice_stream_speech,
        first_token_timeout=settings.practice_model_timeout,
    )
    agora = {k: v.get_secret_value() for k, v in settings.agora_secrets.items()}
    backends = Backends(
        model=model if settings.practice_model_url else None,
        live=live,
        pause_threshold=settings.practice_pause_threshold,
        agora_secrets=agora,
    )
    if not settings.practice_speech or shutil.which("espeak-ng") is None:
        return backends

    def stt() -> SpeechToText:
        from levelwise.adapters.speech.sphinx import SphinxSpeechToText

        return SphinxSpeechToText()

    def tts() -> TextToSpeech:
        from levelwise.adapters.speech.espeak import EspeakTextToSpeech

        return EspeakTextToSpeech(voice=settings.practice_voice)

    def vad() -> VoiceActivity:
        from levelwise.adapters.speech.webrtc import WebRtcVoiceActivity

        return WebRtcVoiceActivity()

    return Backends(
        model=backends.model,
        stt=stt,
        tts=tts,
        vad=vad,
        live=live,
        pause_threshold=settings.practice_pause_threshold,
        agora_secrets=agora,
    )


def build(
    db: str | None = None,
    *,
    settings: Settings | None = None,
    clock: Clock | None = None,
    create: bool = True,
) -> Levelwise:
    """The engine over the store named by ``db`` (default: ``settings.db``).

    Args:
        db: A SQLAlchemy URL, a SQLite file's path or ``memory``; overrides
            ``settings.db``.
        settings: The settings (default: read from the environment, once).
        clock: Wall time (default: the system clock).
        create: Whether a missing SQLite file may be made (see
            :func:`open_stores`).

    Raises:
        StoreError: The database cannot be opened.
    """
    settings = settings if settings is not None else Settings()
    stores = open_stores(db or settings.db, settings.redis_url, create=create)
    return engine_over(stores, clock, settings)


def schools(engine: Levelwise) -> tuple[str, ...]:
    """The schools (tenants with a program) in ``engine``'s database, sorted.

    An in-memory log answers none: it is made empty for each process, so
    nothing outlives the command that filled it.

    Raises:
        StoreError: The database failed.
    """
    from levelwise.adapters.sql.engine import schools as sql_schools
    from levelwise.adapters.sql.event_log import SqlEventLog

    if isinstance(engine.log, SqlEventLog):
        return sql_schools(engine.log.engine)
    return ()


def create_api(
    engine: Levelwise | None = None, settings: Settings | None = None
) -> FastAPI:
    """The HTTP app over ``engine`` (default: built from ``settings``), with pages."""
    from levelwise.api.app import create_app
    from levelwise.web import mount_pages

    settings = settings if settings is not None else Settings()
    engine = engine if engine is not None else build(settings=settings)
    app = create_app(engine)
    mount_pages(app, engine, settings.page_frame_ancestors)
    return app


def webhook_worker(engine: Levelwise) -> WebhookWorker:
    """The webhook delivery worker over ``engine``'s store, sending with httpx.

    It checks targets with the guard that checked them at registration (the
    same operator allow-list).
    """
    from levelwise.adapters.http.webhooks import HttpxWebhookSender
    from levelwise.app.notify.webhooks import WebhookWorker

    return WebhookWorker(
        engine.log.outbox,
        HttpxWebhookSender(),
        engine.clock,
        guard=engine.webhooks.guard,
    )
