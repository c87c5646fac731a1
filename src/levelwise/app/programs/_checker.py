"""What the compilers of the program file's sections need from the loader."""

from __future__ import annotations

from typing import Any, Protocol

from levelwise.app.programs.yaml_lines import Path
from levelwise.domain.expr import Expr, Schema


class Checker(Protocol):
    """The loader as a section sees it: it reports problems with their line."""

    def issue(self, path: Path, message: str, hint: str = "") -> None:
        """Report a problem at ``path``."""

    def warn(self, path: Path, message: str, hint: str = "") -> None:
        """Report something that works but is likely a mistake, at ``path``."""

    def line(self, path: Path) -> int:
        """The line of ``path`` (or of its nearest parent that has one)."""

    def newer_rule(self, path: Path, message: str, hint: str = "") -> bool:
        """Report what a later check finds; whether it fails (else it warns)."""

    def known(self, path: Path, kind: str, ident: str, known: dict[str, Any]) -> bool:
        """Whether ``ident`` is known, reporting it (with a suggestion) when not."""

    def compile(
        self, path: Path, source: str | float, schema: Schema, expect: str
    ) -> Expr | None:
        """Compile an expression, reporting a problem at ``path`` (then None)."""

    def name(
        self, path: Path, value: str | dict[str, str], key: str, default: str
    ) -> str:
        """A title's text in the first language, keeping its translations.

        Args:
            path: Where the title is.
            value: A text, or a map of language tags to texts.
            key: What it names (``unit:u1``), as ``Program.text`` reads it.
            default: The text when the title is empty (the object's id).
        """
