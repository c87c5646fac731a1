"""The page routes: ``/pages/learner/{id}`` and ``/pages/dashboard`` (+ CSV).

Each page is opened with a signed link (``?t=``); a missing, tampered,
expired or misused token gets a 403 page. Errors are HTML pages for people,
never problem+json.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from levelwise.app.metric_ports import MetricError
from levelwise.app.services import Levelwise
from levelwise.config_pages import (
    InvalidLinkError,
    PageGrant,
    PageKind,
    PageLinks,
    PageSettings,
)
from levelwise.errors import LearnerNotFoundError, ProgramNotFoundError, StoreError
from levelwise.web import dashboard_page
from levelwise.web.i18n import N_, Lang, choose_language
from levelwise.web.learner_page import learner_page
from levelwise.web.render import render, security_headers

router = APIRouter(prefix="/pages", include_in_schema=False)

Token = Annotated[str, Query(alias="t", max_length=2000)]
LangParam = Annotated[str | None, Query(alias="lang", max_length=20)]
Filter = Annotated[str | None, Query(max_length=200)]
_ERRORS = {
    400: N_("These filters do not fit together: check the dates."),
    403: N_("This link is not valid or has expired. Ask for a new link."),
    404: N_("There is nothing to show for this learner yet."),
    409: N_("This school has no program yet."),
    503: N_("The figures are not available right now. Try again later."),
}


def _engine(request: Request) -> Levelwise:
    engine: Levelwise = request.app.state.engine
    return engine


def _lang(request: Request, param: str | None) -> Lang:
    return Lang(choose_language(param, request.headers.get("accept-language")))


def _error(request: Request, lang: Lang, status: int) -> HTMLResponse:
    message = lang.gettext(_ERRORS[status])
    context = {"status": status, "message": message, "embed": False}
    return render(request, lang, "error.html", context, status=status)


def _grant(
    request: Request, token: str, page: PageKind, learner: str = ""
) -> PageGrant:
    links: PageLinks = request.app.state.page_links
    now = datetime.fromisoformat(_engine(request).clock.now_iso())
    return links.check(token, now, page, learner)


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
    except InvalidLinkError:
        return _error(request, language, 403)
    except LearnerNotFoundError:
        return _error(request, language, 404)
    except ProgramNotFoundError:
        return _error(request, language, 409)
    settings: PageSettings = request.app.state.page_settings
    frame = settings.page_frame_ancestors if embed else "'none'"
    context = {"page": page, "embed": embed, "token": t}
    return render(request, language, "learner.html", context, frame_ancestors=frame)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request,
    t: Token = "",
    lang: LangParam = None,
    cohort: Filter = None,
    klass: Annotated[str | None, Query(alias="class", max_length=200)] = None,
    start: Filter = None,
    end: Filter = None,
) -> HTMLResponse:
    """The operator dashboard: headline figures, charts, levels, experiments."""
    language = _lang(request, lang)
    try:
        grant = _grant(request, t, "dashboard")
        filters = dashboard_page.parse_filter(cohort, klass, start, end)
        page = dashboard_page.build(
            _engine(request), grant.tenant, filters, language, t
        )
    except InvalidLinkError:
        return _error(request, language, 403)
    except ProgramNotFoundError:
        return _error(request, language, 409)
    except MetricError:
        return _error(request, language, 400)
    except StoreError:
        return _error(request, language, 503)
    context = {"page": page, "embed": False, "token": t}
    context |= dashboard_page.helpers(language)
    return render(request, language, "dashboard.html", context)


@router.get("/dashboard/{table}.csv", response_model=None)
def dashboard_csv(
    request: Request,
    table: Annotated[
        str, Path(pattern=r"^(cohorts|classes|weeks|levels|experiments)$")
    ],
    t: Token = "",
    lang: LangParam = None,
    cohort: Filter = None,
    klass: Annotated[str | None, Query(alias="class", max_length=200)] = None,
    start: Filter = None,
    end: Filter = None,
) -> Response:
    """One table of the dashboard as CSV, with the page's filters."""
    language = _lang(request, lang)
    try:
        grant = _grant(request, t, "dashboard")
        filters = dashboard_page.parse_filter(cohort, klass, start, end)
        text = dashboard_page.csv(_engine(request), grant.tenant, filters, table)
    except InvalidLinkError:
        return _error(request, language, 403)
    except ProgramNotFoundError:
        return _error(request, language, 409)
    except MetricError:
        return _error(request, language, 400)
    except StoreError:
        return _error(request, language, 503)
    headers = security_headers("'none'", language.code)
    headers["Content-Disposition"] = f'attachment; filename="{table}.csv"'
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
