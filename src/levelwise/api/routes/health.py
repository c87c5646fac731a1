"""Liveness: ``GET /health`` (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter

from levelwise.api.schemas.programs import HealthPublic

router = APIRouter(tags=["health"])


@router.get("/health")
def get_health() -> HealthPublic:
    """Answer that the process is up (it does not touch the store)."""
    return HealthPublic(status="ok")
