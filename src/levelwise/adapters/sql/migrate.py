"""Upgrade a database to the newest schema with the packaged Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
"""The Alembic script folder (inside the package, so wheels carry it)."""

# Any constant works; it only has to be the same for every process migrating
# this database. (The ASCII of "levelwis".)
_MIGRATION_LOCK = 0x6C6576656C776973


def alembic_config() -> Config:
    """An Alembic configuration for the packaged migrations (no alembic.ini).

    Returns:
        A config whose ``script_location`` is the package's ``migrations`` folder.
    """
    config = Config()
    # The config is a ConfigParser: "%" would start an interpolation.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the database behind ``engine`` to the newest revision.

    Runs in one transaction. On PostgreSQL it first takes an advisory lock, so
    processes that start together migrate one after the other; on SQLite the
    ``BEGIN IMMEDIATE`` of the engine serialises them.

    Args:
        engine: An engine from ``create_engine_for``.
    """
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")  # features may add branches off one base
