"""Server-rendered pages for learners and operators, in English and Chinese.

``mount_pages`` adds them to the HTTP app: ``/pages/learner/{id}`` (a
learner's growth tree, level, gates, forecast, badges, streak, rank and
receipts; ``embed=1`` for an iframe widget), ``/pages/dashboard`` (the
operator's metrics with charts, filters and CSV exports) and
``/pages/static``. Pages open from signed links (see
:mod:`levelwise.config_pages`) and read through the same use cases as the API.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from levelwise.app.services import Levelwise
from levelwise.config_pages import PageLinks, PageSettings
from levelwise.web.routes import router

__all__ = ["mount_pages"]


def mount_pages(
    app: FastAPI, engine: Levelwise, settings: PageSettings | None = None
) -> None:
    """Serve the pages and their static files from ``app``.

    Args:
        app: The HTTP app (its ``state.engine`` must be ``engine``).
        engine: The use cases the pages read.
        settings: Link signing and framing (default: from the environment).
    """
    settings = settings or PageSettings()
    app.state.engine = engine
    app.state.page_settings = settings
    app.state.page_links = PageLinks.from_settings(settings)
    app.include_router(router)
    app.mount(
        "/pages/static",
        StaticFiles(packages=[("levelwise.web", "static")]),
        name="page-static",
    )
