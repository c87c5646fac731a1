"""In-memory PK definitions: same contract as the SQL store."""

from __future__ import annotations

import threading
from dataclasses import replace

from levelwise.app.recognition.ports import PkSpec
from levelwise.errors import PkNotFoundError


class InMemoryPkStore:
    """Every tenant's PK definitions in a dictionary."""

    def __init__(self) -> None:
        """Start empty."""
        self._specs: dict[tuple[str, str], PkSpec] = {}
        self._lock = threading.Lock()

    def create(self, tenant: str, spec: PkSpec) -> PkSpec:
        """Store ``spec`` unless its id exists; return the stored definition."""
        with self._lock:
            return self._specs.setdefault((tenant, spec.pk), spec)

    def get(self, tenant: str, pk: str) -> PkSpec | None:
        """The PK, or None."""
        with self._lock:
            return self._specs.get((tenant, pk))

    def finish(self, tenant: str, pk: str, finished_at: str, position: int) -> PkSpec:
        """Mark the PK finished unless it is; return the stored definition.

        Raises:
            PkNotFoundError: The PK does not exist.
        """
        with self._lock:
            spec = self._specs.get((tenant, pk))
            if spec is None:
                msg = f"PK {pk!r} does not exist in this school"
                raise PkNotFoundError(msg)
            if spec.finished_at is None:
                spec = replace(spec, finished_at=finished_at, final_position=position)
                self._specs[(tenant, pk)] = spec
            return spec
