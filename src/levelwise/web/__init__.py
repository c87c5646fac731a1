"""Server-rendered pages for learners and operators, in English and Chinese.

``mount_pages`` adds them to the HTTP app: ``/pages/learner/{id}`` (a
learner's growth tree, level, gates, forecast, badges, streak, rank and
receipts; ``embed=1`` for an iframe widget), ``/pages/dashboard`` (the
operator's metrics with charts, filters and CSV exports) and
``/pages/static``. Pages open from signed links (see
:mod:`levelwise.app.links`) and read through the same use cases as the API.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from levelwise.app.engine import Levelwise
from levelwise.web.render import STATIC, asset_version
from levelwise.web.routes import router

__all__ = ["mount_pages"]


class _VersionedStatic(StaticFiles):
    """Static files; a URL carrying the file's current version is immutable.

    Pages link to ``file?v=<hash of its bytes>`` (``render.asset``), so the
    browser keeps ECharts' megabyte and its compiled code between pages and
    visits, and a new release changes the URL.
    """

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file, with ``Cache-Control: immutable`` when its version matches."""
        response = await super().get_response(path, scope)
        query = scope.get("query_string", b"").decode()
        if response.status_code == 200 and query == f"v={asset_version(path)}":
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def mount_pages(
    app: FastAPI, engine: Levelwise, frame_ancestors: str = "'self'"
) -> None:
    """Serve the pages and their static files from ``app``.

    Args:
        app: The HTTP app (its ``state.engine`` must be ``engine``).
        engine: The use cases the pages read.
        frame_ancestors: The CSP ``frame-ancestors`` of embedded learner widgets
            (``LEVELWISE_PAGE_FRAME_ANCESTORS``); other pages are never framed.
            Links are checked with ``engine.links``.
    """
    app.state.engine = engine
    app.state.page_frame_ancestors = frame_ancestors
    app.include_router(router)
    app.mount(
        STATIC,
        _VersionedStatic(packages=[("levelwise.web", "static")]),
        name="page-static",
    )
