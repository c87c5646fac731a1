"""The one place that picks concrete adapters from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from levelwise.adapters.clock import SystemClock
from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.credentials.ports import CredentialStore
from levelwise.app.credentials.service import Credentials
from levelwise.app.engine import Levelwise
from levelwise.app.metrics.ports import MetricStore
from levelwise.app.notify.webhooks import WebhookWorker
from levelwise.app.ports import EventLog
from levelwise.app.recognition.boards import BoardStore
from levelwise.app.recognition.pk import Pk
from levelwise.app.recognition.service import Boards
from levelwise.config import Settings
from levelwise.config_credentials import CredentialSettings

if TYPE_CHECKING:
    from fastapi import FastAPI


def open_log(db: str) -> EventLog:
    """Open the event log at ``db`` (a SQLAlchemy URL or ``memory``), migrated."""
    if db == "memory":
        return InMemoryEventLog()
    from levelwise.adapters.sql.engine import create_engine_for
    from levelwise.adapters.sql.event_log import SqlEventLog
    from levelwise.adapters.sql.migrate import migrate

    engine = create_engine_for(db)
    migrate(engine)
    return SqlEventLog(engine)


def build(db: str | None = None) -> Levelwise:
    """The engine over the store named by ``db`` (default: from settings)."""
    engine = Levelwise(open_log(db or Settings().db), SystemClock())
    engine = with_boards(engine, Settings().redis_url)
    engine = with_metrics(engine)
    return with_credentials(engine, CredentialSettings().public_url)


def with_boards(engine: Levelwise, redis_url: str | None = None) -> Levelwise:
    """Give ``engine`` leaderboards: in Redis if ``redis_url``, else beside the log."""
    from levelwise.adapters.memory.boards import InMemoryBoardStore
    from levelwise.adapters.redis.boards import RedisBoardStore
    from levelwise.adapters.sql.boards import SqlBoardStore
    from levelwise.adapters.sql.event_log import SqlEventLog

    log = engine.log
    store: BoardStore = InMemoryBoardStore()
    if redis_url:
        store = RedisBoardStore.from_url(redis_url)
    elif isinstance(log, SqlEventLog):
        store = SqlBoardStore(log._engine)  # the log's database and transactions
    engine.boards = Boards(log, store, engine.clock)
    return engine


def with_metrics(engine: Levelwise) -> Levelwise:
    """Give ``engine`` a metrics projection beside its log (same database)."""
    from levelwise.adapters.memory.metrics import InMemoryMetricStore
    from levelwise.adapters.sql.event_log import SqlEventLog
    from levelwise.adapters.sql.metrics import SqlMetricStore

    log = engine.log
    store: MetricStore
    if isinstance(log, SqlEventLog):
        store = SqlMetricStore(log._engine)  # the log's database
    elif isinstance(log, InMemoryEventLog):
        store = InMemoryMetricStore(log)
    else:
        return engine  # another log: metrics stay unavailable
    engine.metrics = engine.metrics.with_store(store)
    return engine


def with_credentials(engine: Levelwise, public_url: str) -> Levelwise:
    """Give ``engine`` a credential store in the same database as its log."""
    from levelwise.adapters.memory.credentials import InMemoryCredentialStore
    from levelwise.adapters.sql.credentials import SqlCredentialStore
    from levelwise.adapters.sql.event_log import SqlEventLog

    log = engine.log
    store: CredentialStore = InMemoryCredentialStore()
    if isinstance(log, SqlEventLog):
        store = SqlCredentialStore(log._engine)  # the log's database
    engine.credentials = Credentials(store, log, engine.clock, public_url)
    return engine


def create_api(engine: Levelwise | None = None) -> FastAPI:
    """The HTTP app over ``engine`` (default: built from settings)."""
    from levelwise.api.app import create_app
    from levelwise.web import mount_pages

    engine = engine or build()
    app = create_app(engine)
    app.state.pk = pk_service(engine)
    mount_pages(app, engine)
    return app


def pk_service(engine: Levelwise) -> Pk:
    """Group PK over ``engine``, its definitions in the same database as its log."""
    from levelwise.adapters.memory.pk import InMemoryPkStore
    from levelwise.adapters.sql.event_log import SqlEventLog
    from levelwise.adapters.sql.pk import SqlPkStore

    log = engine.log
    if isinstance(log, SqlEventLog):
        return Pk(engine, SqlPkStore(log._engine))  # the log's database
    return Pk(engine, InMemoryPkStore())


def webhook_worker(engine: Levelwise) -> WebhookWorker:
    """The webhook delivery worker over ``engine``'s store, sending with httpx."""
    from levelwise.adapters.http.webhooks import HttpxWebhookSender

    return WebhookWorker(engine.log.outbox, HttpxWebhookSender(), engine.clock)
