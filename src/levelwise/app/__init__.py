"""Use cases and ports: what Levelwise does, independent of storage and transport."""
