"""SQL adapters: the event log on SQLAlchemy Core, for SQLite and PostgreSQL."""
