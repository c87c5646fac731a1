"""Templates and responses of the pages: one Jinja environment per language."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from levelwise.web.i18n import LANGUAGE_NAMES, Lang


@cache
def environment(code: str) -> Environment:
    """The template environment of a language, with its gettext installed."""
    env = Environment(
        loader=PackageLoader("levelwise.web", "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(  # type: ignore[attr-defined]
        Lang(code).translations, newstyle=True
    )
    return env


STATIC = "/pages/static"
"""Where the pages' static files are served."""


@cache
def asset_version(path: str) -> str:
    """A short hash of a static file's bytes: its URL changes when it does."""
    data = files("levelwise.web").joinpath("static", *path.split("/")).read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


def asset(path: str) -> str:
    """The URL of a static file, versioned so browsers may cache it for good."""
    return f"{STATIC}/{path}?v={asset_version(path)}"


def security_headers(frame_ancestors: str, code: str) -> dict[str, str]:
    """Headers of every page: a strict CSP, no referrer (links carry tokens)."""
    csp = (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
        f"form-action 'self'; frame-ancestors {frame_ancestors}"
    )
    return {
        "Content-Security-Policy": csp,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Content-Language": code,
    }


def switch_links(request: Request) -> list[tuple[str, str, str]]:
    """``(code, name, href)`` of each language: this page in that language."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return [
        (code, name, request.url.path + "?" + urlencode([*params, ("lang", code)]))
        for code, name in LANGUAGE_NAMES.items()
    ]


def render(
    request: Request,
    lang: Lang,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    frame_ancestors: str = "'none'",
) -> HTMLResponse:
    """Render ``template`` in ``lang`` as an HTML response with page headers."""
    page = environment(lang.code).get_template(template)
    html = page.render(
        lang=lang, languages=switch_links(request), asset=asset, **context
    )
    return HTMLResponse(
        html, status_code=status, headers=security_headers(frame_ancestors, lang.code)
    )
