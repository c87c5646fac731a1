"""The ``levelwise`` command."""

from levelwise.cli.main import main

__all__ = ["main"]
