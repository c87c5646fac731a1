"""Levelwise: events in, exact levels with receipts out.

The curated public API. Names load on first use (PEP 562), so ``import
levelwise`` (and the ``levelwise`` command's start) stays light::

    from levelwise import build, load_program

    engine = build("sqlite:///school.db")
    engine.put_program("school", open("program.yaml").read())
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from levelwise.app.engine import Levelwise
    from levelwise.app.programs.loader import load_program
    from levelwise.bootstrap import build, create_api
    from levelwise.config import Settings
    from levelwise.errors import LevelwiseError

__version__ = "0.1.0"

_EXPORTS = {
    "Levelwise": "levelwise.app.engine",
    "LevelwiseError": "levelwise.errors",
    "Settings": "levelwise.config",
    "build": "levelwise.bootstrap",
    "create_api": "levelwise.bootstrap",
    "load_program": "levelwise.app.programs.loader",
}

__all__ = [
    "Levelwise",
    "LevelwiseError",
    "Settings",
    "__version__",
    "build",
    "create_api",
    "load_program",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    module = _EXPORTS.get(name)
    if module is None:
        msg = f"module 'levelwise' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, for ``dir(levelwise)`` and completion."""
    return sorted(__all__)
