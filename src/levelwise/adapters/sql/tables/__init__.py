"""SQLAlchemy Core tables, one module per feature on one ``metadata``."""
