"""Ingest: events on the wire, the projection of a batch, the ingest use case."""
