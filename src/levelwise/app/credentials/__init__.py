"""Verifiable credentials: ports, service, Open Badges documents, certificates."""
