"""Languages of the pages: catalogues, the reader's locale, numbers and dates.

The gettext catalogues are the ``.po`` files under ``web/locales``; they are
read and compiled in memory with Babel when a language is first used, so no
binary ``.mo`` file is kept and nothing needs building. Python strings shown
on pages are marked with :func:`N_` (extracted like ``_``) and translated at
render time with :meth:`Lang.gettext`.

A new message goes into ``locales/levelwise.pot`` and every ``.po`` file
(Babel's extractors: ``templates/**.html`` with ``jinja2`` and the
``jinja2.ext.i18n`` extension, ``**.py`` with ``python`` and the extra keyword
``N_``; then ``pybabel update``). ``tests/web/test_i18n.py`` fails while any
message lacks a Chinese translation.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from babel.core import negotiate_locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

DOMAIN = "levelwise"
LANGUAGES = {"en": "en", "zh-CN": "zh_CN"}
"""Languages offered: the ``lang`` parameter's value to the catalogue's locale."""
DEFAULT = "en"
LANGUAGE_NAMES = {"en": "English", "zh-CN": "简体中文"}
"""Each language's name in itself, for the language switch."""
_ALIASES = {"zh": "zh_CN", "en": "en"}
"""A plain language tag to the catalogue that serves it."""


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now."""
    return message


@cache
def translations(locale: str) -> Translations:
    """The catalogue of ``locale`` (``en`` or ``zh_CN``), compiled in memory."""
    source = files("levelwise.web") / "locales" / locale / "LC_MESSAGES"
    with (source / f"{DOMAIN}.po").open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def _accepted(header: str) -> list[str]:
    """The header's language tags by preference (q-value), as ``ll_CC``."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag.replace("-", "_")))
    tags: list[str] = []
    for _, _, tag in sorted(ranked):
        # Each tag's language alone comes next, so zh-TW can still find zh_CN
        # through the alias of plain "zh".
        tags.extend((tag, tag.split("_")[0]))
    return tags


def choose_language(param: str | None, accept_language: str | None) -> str:
    """The page's language: ``?lang=`` first, then ``Accept-Language``, else en.

    Args:
        param: The ``lang`` query parameter (``en`` or ``zh-CN``; case-blind).
        accept_language: The request's ``Accept-Language`` header.

    Returns:
        A key of :data:`LANGUAGES`.
    """
    by_lower = {key.lower(): key for key in LANGUAGES}
    if param and param.lower().replace("_", "-") in by_lower:
        return by_lower[param.lower().replace("_", "-")]
    if accept_language:
        found = negotiate_locale(
            _accepted(accept_language), list(LANGUAGES.values()), aliases=_ALIASES
        )
        for key, locale in LANGUAGES.items():
            if found is not None and found.lower() == locale.lower():
                return key
    return DEFAULT


@dataclass(frozen=True)
class Lang:
    """One language of the pages: its translations and formats.

    Attributes:
        code: The ``lang`` value and ``<html lang>`` (``en`` or ``zh-CN``).
    """

    code: str

    @property
    def locale(self) -> str:
        """The Babel locale id (``en`` or ``zh_CN``)."""
        return LANGUAGES[self.code]

    @property
    def translations(self) -> Translations:
        """This language's compiled catalogue."""
        return translations(self.locale)

    def gettext(self, message: str) -> str:
        """``message`` in this language."""
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The singular or plural form for ``n``, in this language."""
        return self.translations.ngettext(singular, plural, n)

    def number(self, value: float, digits: int = 0) -> str:
        """``value`` with this language's separators, up to ``digits`` decimals."""
        pattern = "#,##0" + ("." + "#" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def percent(self, value: float) -> str:
        """A share (0..1) as a whole percent, e.g. ``85%``."""
        return format_percent(value, format="#,##0%", locale=self.locale)

    def date(self, day: dt.date) -> str:
        """A date in this language's medium format (``Jan 20, 2026``)."""
        return format_date(day, format="medium", locale=self.locale)

    def short_date(self, day: dt.date) -> str:
        """A date without the year (``Jan 20``), for chart axes and lists."""
        return format_skeleton("MMMd", day, locale=self.locale)
