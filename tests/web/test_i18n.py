"""Languages: choice, formats, and complete catalogues with no English left over."""

from __future__ import annotations

import re
from datetime import date
from importlib.resources import files
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from levelwise.web.i18n import Lang, choose_language
from tests.web.conftest import token
from tests.web.pagehtml import visible_text

pytestmark = pytest.mark.anyio
WEB = Path(str(files("levelwise.web")))
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


@pytest.mark.parametrize(
    ("param", "header", "chosen"),
    [
        # The parameter wins over the header.
        ("en", "zh-CN", "en"),
        ("zh-CN", "en", "zh-CN"),
        ("zh_cn", None, "zh-CN"),
        # Otherwise the header, by q-value.
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        (None, "en;q=0.5, zh;q=0.9", "zh-CN"),
        (None, "zh-TW", "zh-CN"),
        (None, "en-GB", "en"),
        (None, "fr, zh;q=0.1", "zh-CN"),
        (None, "zh;q=0, en", "en"),
        (None, "zh;q=bad, en", "en"),
        # Otherwise English.
        (None, "fr-FR, de", "en"),
        (None, "*", "en"),
        ("klingon", None, "en"),
        (None, None, "en"),
    ],
    ids=lambda x: str(x),
)
def test_the_language_is_chosen(param, header, chosen):
    assert choose_language(param, header) == chosen


async def test_the_lang_parameter_sets_html_lang(client):
    r = await client.get(
        "/pages/learner/ana",
        params={"t": token(), "lang": "zh-CN"},
        headers={"Accept-Language": "en"},
    )

    assert '<html lang="zh-CN">' in r.text
    assert r.headers["content-language"] == "zh-CN"
    assert "我的进度" in r.text


async def test_the_header_picks_the_language(client):
    r = await client.get(
        "/pages/learner/ana", params={"t": token()}, headers={"Accept-Language": "zh"}
    )

    assert '<html lang="zh-CN">' in r.text
    assert "2026年1月7日" in r.text


async def test_english_is_the_fallback(client):
    r = await client.get(
        "/pages/learner/ana", params={"t": token()}, headers={"Accept-Language": "fr"}
    )

    assert '<html lang="en">' in r.text
    assert "Your progress" in r.text


async def test_the_language_switch_keeps_the_token(client):
    t = token()
    r = await client.get("/pages/learner/ana", params={"t": t, "lang": "en"})

    assert f'href="/pages/learner/ana?t={t}&amp;lang=zh-CN"' in r.text


def test_numbers_dates_and_plurals_follow_the_language():
    en, zh = Lang("en"), Lang("zh-CN")

    assert en.number(12345.678, 1) == "12,345.7"
    assert en.percent(0.856) == "86%"
    assert en.date(date(2026, 1, 7)) == "Jan 7, 2026"
    assert zh.date(date(2026, 1, 7)) == "2026年1月7日"
    assert en.short_date(date(2026, 1, 7)) == "Jan 7"
    assert zh.short_date(date(2026, 1, 7)) == "1月7日"
    assert en.ngettext("%(num)d leaf", "%(num)d leaves", 1) == "%(num)d leaf"
    assert en.ngettext("%(num)d leaf", "%(num)d leaves", 2) == "%(num)d leaves"
    assert zh.ngettext("%(num)d leaf", "%(num)d leaves", 2) == "%(num)d 片叶子"


def extracted() -> dict[str | tuple[str, ...], list[str]]:
    """Every message of the templates and Python files of ``levelwise.web``."""
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found: dict[str | tuple[str, ...], list[str]] = {}
    for name, line, message, _, _ in extract_from_dir(
        str(WEB), method_map, options, keywords=KEYWORDS
    ):
        found.setdefault(message, []).append(f"{name}:{line}")
    return found


def catalogue(path: Path, locale: str | None = None):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def test_every_message_has_a_chinese_translation():
    messages = extracted()
    zh = catalogue(WEB / "locales/zh_CN/LC_MESSAGES/levelwise.po", "zh_CN")
    pot = catalogue(WEB / "locales/levelwise.pot")

    assert len(messages) > 100
    for message, where in messages.items():
        key = message[0] if isinstance(message, tuple) else message
        assert key in pot, f"{key!r} ({where}) is not in levelwise.pot"
        entry = zh.get(key)
        assert entry is not None, f"{key!r} ({where}) is not in zh_CN"
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(s.strip() for s in strings), f"{key!r} has no zh_CN translation"
        assert not entry.fuzzy


def test_the_english_catalogue_has_every_message():
    en = catalogue(WEB / "locales/en/LC_MESSAGES/levelwise.po", "en")

    for message in extracted():
        key = message[0] if isinstance(message, tuple) else message
        assert key in en


def test_translations_keep_their_placeholders():
    zh = catalogue(WEB / "locales/zh_CN/LC_MESSAGES/levelwise.po", "zh_CN")

    for entry in zh:
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = set(re.findall(r"%\(\w+\)[sd]", ids[-1]))
        for string in strings:
            assert set(re.findall(r"%\(\w+\)[sd]", string)) == wanted, entry.id


def english_ui_strings() -> list[str]:
    """The English UI messages that should never show on a Chinese page."""
    out: list[str] = []
    for message in extracted():
        for text in message if isinstance(message, tuple) else (message,):
            plain = re.sub(r"%\(\w+\)[sd]", "|", text)
            out.extend(p.strip() for p in plain.split("|") if len(p.strip()) > 3)
    return out


async def test_the_chinese_learner_page_has_no_english_ui_text(client):
    r = await client.get("/pages/learner/ana", params={"t": token(), "lang": "zh-CN"})
    text = visible_text(r.text)

    leftovers = [s for s in english_ui_strings() if s in text]
    assert leftovers == []
    for known in ("Your next step", "Recent activity", "Badges", "This week", "days"):
        assert known not in text
