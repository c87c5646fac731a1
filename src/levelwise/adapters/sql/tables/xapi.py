"""xAPI record store tables: statements, keys, attachments, documents, clients, feed.

Migration ``0014_xapi`` creates the first four tables, ``0015_xapi_clients`` the
clients' and ``0016_xapi_feed`` the feed's cursors.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, LargeBinary, String, Table, Text

from levelwise.adapters.sql.tables.core import ID_LENGTH, UTC_LENGTH, metadata, sortable

IRI_LENGTH = 500
"""Longest activity id, verb id, agent IFI key or document id."""
UUID_LENGTH = 64
"""Room for a statement id or registration (36 characters)."""
KIND_LENGTH = 16
"""Longest key or document kind (``activity+``, ``state``)."""
HASH_LENGTH = 128
"""Room for a SHA-2 (up to 512 bits) in hex."""
TYPE_LENGTH = 255
"""Longest content type."""

xapi_statements = Table(
    "xapi_statements",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("id", sortable(UUID_LENGTH), primary_key=True),
    Column("stored", sortable(UTC_LENGTH), nullable=False),
    Column("timestamp", sortable(UUID_LENGTH), nullable=False),
    Column("verb", sortable(IRI_LENGTH), nullable=False),
    Column("registration", sortable(UUID_LENGTH), nullable=True),
    Column("target", sortable(UUID_LENGTH), nullable=True),
    Column("voided", Boolean, nullable=False),
    Column("body", Text, nullable=False),
    Column("fields", Text, nullable=False),
    Index("ix_xapi_statements_stored", "tenant", "stored", unique=True),
    Index("ix_xapi_statements_target", "tenant", "target"),
)
"""Statements as received, with the store's ``stored`` key; ``fields`` is JSON."""

xapi_statement_keys = Table(
    "xapi_statement_keys",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("kind", sortable(KIND_LENGTH), primary_key=True),
    Column("value", sortable(IRI_LENGTH), primary_key=True),
    Column("statement", sortable(UUID_LENGTH), primary_key=True),
    Index("ix_xapi_statement_keys_statement", "tenant", "statement"),
)
"""What each statement matches in queries, its referenced statements' included."""

xapi_attachments = Table(
    "xapi_attachments",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("sha2", sortable(HASH_LENGTH), primary_key=True),
    Column("content_type", String(TYPE_LENGTH), nullable=False),
    Column("content", LargeBinary, nullable=False),
)
"""Attachment contents, once per school and SHA-2."""

xapi_documents = Table(
    "xapi_documents",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("kind", sortable(KIND_LENGTH), primary_key=True),
    Column("activity", sortable(IRI_LENGTH), primary_key=True),
    Column("agent", sortable(IRI_LENGTH), primary_key=True),
    Column("registration", sortable(UUID_LENGTH), primary_key=True),
    Column("doc_id", sortable(IRI_LENGTH), primary_key=True),
    Column("content", LargeBinary, nullable=False),
    Column("content_type", String(TYPE_LENGTH), nullable=False),
    Column("etag", String(HASH_LENGTH), nullable=False),
    Column("updated", sortable(UTC_LENGTH), nullable=False),
)
"""State, Activity Profile and Agent Profile documents (unused key parts ``''``)."""

xapi_clients = Table(
    "xapi_clients",
    metadata,
    Column("key", sortable(ID_LENGTH), primary_key=True),
    Column("tenant", sortable(ID_LENGTH), nullable=False),
    Column("secret_hash", String(HASH_LENGTH), nullable=False),
    Column("label", String(TYPE_LENGTH), nullable=False),
    Column("created", sortable(UTC_LENGTH), nullable=False),
    Index("ix_xapi_clients_tenant", "tenant", "created"),
)
"""LRS clients' HTTP Basic credentials (the secret's SHA-256, never the secret).

Migration ``0015_xapi_clients`` creates it."""

xapi_feed = Table(
    "xapi_feed",
    metadata,
    Column("tenant", sortable(ID_LENGTH), primary_key=True),
    Column("stored", sortable(UTC_LENGTH), nullable=False),
)
"""How far each school's statements were fed into the event log."""
