"""Liveness: ``GET /health`` and ``HEAD /health`` (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from levelwise.api.schemas.programs import HealthPublic

router = APIRouter(tags=["health"])


@router.get("/health")
def get_health() -> HealthPublic:
    """Answer that the process is up (it does not touch the store)."""
    return HealthPublic(status="ok")


@router.head("/health", response_class=Response)
def head_health() -> Response:
    """Answer 200 with no body: a load balancer's cheap liveness probe."""
    return Response(status_code=200)
