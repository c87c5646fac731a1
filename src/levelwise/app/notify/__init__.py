"""Notifications: the outbox filled at ingest, webhooks and streams."""
