"""The page routes: ``/pages/learner/{id}`` and ``/pages/dashboard`` (+ CSV).

Each page is opened with a signed link (``?t=``); a missing, tampered,
expired or misused token gets a 403 page. Errors are HTML pages for people,
never problem+json.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from levelwise.api.problems import problem_type
from levelwise.app.engine import Levelwise
from levelwise.app.links import PageGrant, PageKind
from levelwise.app.metrics.service import TABLES, MetricFilter
from levelwise.errors import (
    LevelwiseError,
)
from levelwise.web import dashboard_page
from levelwise.web.i18n import N_, Lang, choose_language
from levelwise.web.learner_page import learner_page
from levelwise.web.render import render, security_headers

router = APIRouter(prefix="/pages", include_in_schema=False)

# No max_length: a query error would be a JSON 422; ``PageLinks.verify`` refuses
# a token over MAX_TOKEN_LENGTH, so it gets the 403 page like any bad link.
Token = Annotated[str, Query(alias="t")]
LangParam = Annotated[str | None, Query(alias="lang", max_length=20)]
Filter = Annotated[str | None, Query(max_length=200)]
_MESSAGES = {
    "invalid-request": N_("These filters do not fit together: check the dates."),
    "invalid-link": N_("This link is not valid or has expired. Ask for a new link."),
    "learner-not-found": N_("There is nothing to show for this learner yet."),
    "program-required": N_("This school has no program yet."),
    "store-unavailable": N_(
        "The figures are not available right now. Try again later."
    ),
}
"""What a page says for each problem type a page expects (the status and type
come from the API's one table, ``levelwise.api.problems``)."""


def _engine(request: Request) -> Levelwise:
    engine: Levelwise = request.app.state.engine
    return engine


def _lang(request: Request, param: str | None) -> Lang:
    return Lang(choose_language(param, request.headers.get("accept-language")))


def _error(request: Request, lang: Lang, exc: LevelwiseError) -> HTMLResponse:
    """The error page for ``exc``; an error no page expects is raised again."""
    kind = problem_type(type(exc))
    text = _MESSAGES.get(kind.slug)
    if text is None:
        raise exc
    context = {"status": kind.status, "message": lang.gettext(text), "embed": False}
    return render(request, lang, "error.html", context, status=kind.status)


def _grant(
    request: Request, token: str, page: PageKind, learner: str = ""
) -> PageGrant:
    engine = _engine(request)
    now = datetime.fromisoformat(engine.clock.now_iso())
    return engine.links.check(token, now, page, learner)


@router.get("/learner/{learner_id}", response_class=HTMLResponse)
def learner(
    request: Request,
    learner_id: Annotated[str, Path(min_length=1, max_length=200)],
    t: Token = "",
    lang: LangParam = None,
    embed: bool = False,
) -> HTMLResponse:
    """A learner's page: tree, level, gates, forecast, badges, rank, receipts."""
    language = _lang(request, lang)
    try:
        grant = _grant(request, t, "learner", learner_id)
        page = learner_page(_engine(request), grant.tenant, learner_id, language)
    except LevelwiseError as exc:
        return _error(request, language, exc)
    ancestors: str = request.app.state.page_frame_ancestors
    frame = ancestors if embed else "'none'"
    context = {"page": page, "embed": embed, "token": t}
    return render(request, language, "learner.html", context, frame_ancestors=frame)


@dataclass(frozen=True)
class _DashboardQuery:
    """What a dashboard request asks: its token, language and filters."""

    request: Request
    t: Token = ""
    lang: LangParam = None
    cohort: Filter = None
    klass: Annotated[str | None, Query(alias="class", max_length=200)] = None
    start: Filter = None
    end: Filter = None

    def language(self) -> Lang:
        """The page's language."""
        return _lang(self.request, self.lang)

    def tenant_and_filter(self) -> tuple[str, MetricFilter]:
        """The school the token opens and the filter asked for.

        Raises:
            InvalidLinkError: The token does not open the dashboard.
            MetricError: The filters do not fit together.
        """
        grant = _grant(self.request, self.t, "dashboard")
        filters = dashboard_page.parse_filter(
            self.cohort, self.klass, self.start, self.end
        )
        return grant.tenant, filters


DashboardQueryDep = Annotated[_DashboardQuery, Depends()]


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(query: DashboardQueryDep) -> HTMLResponse:
    """The operator dashboard: headline figures, charts, levels, experiments."""
    request, language = query.request, query.language()
    try:
        tenant, filters = query.tenant_and_filter()
        engine = _engine(request)
        page = dashboard_page.build(engine, tenant, filters, language, query.t)
    except LevelwiseError as exc:
        return _error(request, language, exc)
    context = {"page": page, "embed": False, "token": query.t}
    context |= dashboard_page.helpers(language)
    return render(request, language, "dashboard.html", context)


@router.get("/dashboard/{table}.csv", response_model=None)
def dashboard_csv(
    query: DashboardQueryDep,
    table: Annotated[str, Path(pattern=f"^({'|'.join(TABLES)})$")],
) -> Response:
    """One table of the dashboard as CSV, with the page's filters."""
    request, language = query.request, query.language()
    try:
        tenant, filters = query.tenant_and_filter()
        text = dashboard_page.csv(_engine(request), tenant, filters, table)
    except LevelwiseError as exc:
        return _error(request, language, exc)
    headers = security_headers("'none'", language.code)
    headers["Content-Disposition"] = f'attachment; filename="{table}.csv"'
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
