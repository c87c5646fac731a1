"""The packaged Alembic migrations build exactly the schema of ``tables.metadata``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from levelwise.adapters.sql.engine import create_engine_for
from levelwise.adapters.sql.migrate import MIGRATIONS, alembic_config, migrate
from levelwise.adapters.sql.schema import metadata

HEAD = "0016"


def _diffs(connection: Connection) -> list[object]:
    ours = set(metadata.tables)

    def include_name(name: str | None, type_: str, _parents: object) -> bool:
        # The PostgreSQL database is shared with other suites; judge our tables.
        return type_ != "table" or name in ours

    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_name": include_name,
        },
    )
    return list(compare_metadata(context, metadata))


def test_migrated_schema_matches_the_tables(sql_engine):
    with sql_engine.connect() as connection:
        assert _diffs(connection) == []


def test_migrated_columns_have_the_tables_collations(sql_engine):
    # compare_metadata ignores collations; ordering depends on them.
    inspector = inspect(sql_engine)
    for table in metadata.tables.values():
        reflected = {c["name"]: c["type"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            wanted = getattr(
                column.type.dialect_impl(sql_engine.dialect), "collation", None
            )
            got = getattr(reflected[column.name], "collation", None)
            assert (table.name, column.name, got) == (table.name, column.name, wanted)


def test_migrate_again_changes_nothing(sql_engine):
    migrate(sql_engine)

    with sql_engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
        assert current == (HEAD,)
        assert _diffs(connection) == []


def test_an_in_memory_database_can_be_migrated():
    engine = create_engine_for("sqlite://")
    try:
        migrate(engine)
        with engine.connect() as connection:
            assert _diffs(connection) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_drops_every_table(sqlite_engine):
    config = alembic_config()
    with sqlite_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")

    assert inspect(sqlite_engine).get_table_names() == ["alembic_version"]


def test_checkpoints_revision_upgrades_a_database_at_0001(sqlite_engine):
    config = alembic_config()
    with sqlite_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert "checkpoints" not in inspect(sqlite_engine).get_table_names()

    migrate(sqlite_engine)

    assert "checkpoints" in inspect(sqlite_engine).get_table_names()
    with sqlite_engine.connect() as connection:
        assert _diffs(connection) == []


def test_migrations_ship_inside_the_package():
    package = Path(__file__).parents[2] / "src" / "levelwise"
    assert MIGRATIONS.is_relative_to(package.resolve())
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "script.py.mako").is_file()
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [HEAD]  # feature branches meet again
    assert script.get_bases() == ["0001"]
