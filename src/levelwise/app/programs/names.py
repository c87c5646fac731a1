"""Names per language: the program file's ``languages`` and its title maps.

Every title or name in the file is either one text or a map of language tags
to texts (``{en: Vocabulary, zh-CN: 词汇}``). A map needs the file's
``languages`` (the first is the fallback and must be in every map); the
object keeps the first language's text as its own title, and the program
keeps every map in :attr:`~levelwise.domain.program.Program.names` under the
key :meth:`~levelwise.domain.program.Program.text` reads.
"""

from __future__ import annotations

import re

from levelwise.app.programs._checker import Checker
from levelwise.app.programs.yaml_lines import Path, shorten
from levelwise.domain.program import LANGUAGE_TAG

TAG_HINT = "write a language tag such as en, zh-CN or pt-BR"


class Names:
    """The translations of one program file, collected as its parts compile.

    Attributes:
        languages: The file's languages, first the fallback.
        pairs: ``(key, ((language, text), ...))`` of every map, in file order.
    """

    def __init__(self, check: Checker, languages: tuple[str, ...]) -> None:
        """Collect names for a file declaring ``languages`` (checked already)."""
        self.check = check
        self.languages = languages
        self.pairs: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def text(
        self, path: Path, value: str | dict[str, str], key: str, default: str
    ) -> str:
        """The text of a title in the first language, keeping its translations.

        Args:
            path: Where the title is in the file.
            value: The title: a text, or a map of language tags to texts.
            key: What it names, as :meth:`Program.text` reads it (``unit:u1``).
            default: What to use when the title is empty (the object's id).

        Returns:
            The text in the file's first language (``default`` when empty or
            when the map has a problem, which is then reported).
        """
        if isinstance(value, str):
            return value or default
        if not self.languages:
            self.check.issue(
                path,
                "names per language need the file's 'languages'",
                "add 'languages: [en, zh-CN]' at the top; the first is the fallback",
            )
            return default
        ok = True
        for tag, text in value.items():
            if tag not in self.languages:
                known = ", ".join(self.languages)
                hint = f"languages: {known}; add it there or fix the tag"
                message = f"language '{shorten(tag)}' is not declared"
                self.check.issue((*path, tag), message, hint)
                ok = False
            elif not text.strip():
                self.check.issue(
                    (*path, tag), f"empty '{tag}' name", "write the name or drop it"
                )
                ok = False
        first = self.languages[0]
        if first not in value:
            self.check.issue(
                path,
                f"no '{first}' name, the file's first language",
                f"add '{first}: ...': it is the fallback of every name",
            )
            return default
        if ok:
            self.pairs.append(
                (key, tuple((t, value[t]) for t in self.languages if t in value))
            )
        return value[first] if ok else default


def check_languages(check: Checker, raw: list[str]) -> tuple[str, ...]:
    """The file's languages, each a valid tag given once (else reported).

    Args:
        check: The loader, which reports problems with their line.
        raw: The ``languages`` list as written.
    """
    found: list[str] = []
    for i, tag in enumerate(raw):
        if not re.match(LANGUAGE_TAG, tag):
            message = f"'{shorten(tag)}' is not a language tag"
            check.issue(("languages", i), message, TAG_HINT)
        elif tag in found:
            check.issue(("languages", i), f"language '{tag}' given twice", "keep one")
        else:
            found.append(tag)
    return tuple(found)
