"""HTTP API: the FastAPI app factory, wire schemas and problem+json errors."""

from levelwise.api.app import create_app

__all__ = ["create_app"]
