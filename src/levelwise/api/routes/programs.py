"""``/v1/programs``: read the current program, upload a new version (and replay)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError

from levelwise.api.deps import YAML_TYPES, EngineDep, ProgramSourceDep, TenantDep
from levelwise.api.problems import problem_responses
from levelwise.api.schemas.programs import (
    ProgramCreate,
    ProgramPublic,
    ProgramUpdatePublic,
)
from levelwise.errors import (
    AuthenticationError,
    BodyTooLargeError,
    ConcurrencyError,
    ProgramError,
    ProgramNotFoundError,
    StoreError,
    UnsupportedMediaTypeError,
)

router = APIRouter(prefix="/v1/programs", tags=["programs"])

_TEXT = {"schema": {"type": "string", "description": "The program's YAML text"}}
_BODY = {
    "required": True,
    "content": {
        **dict.fromkeys(sorted(YAML_TYPES), _TEXT),
        "application/json": {"schema": ProgramCreate.model_json_schema()},
    },
}


@router.get(
    "/current",
    responses=problem_responses(AuthenticationError, ProgramNotFoundError, StoreError),
)
def get_current_program(engine: EngineDep, tenant: TenantDep) -> ProgramPublic:
    """The current program version: its summary and source text."""
    summary, source = engine.current_program(tenant)
    return ProgramPublic(**ProgramPublic.fields_of(summary), source=source)


@router.put(
    "",
    openapi_extra={"requestBody": _BODY},
    responses=problem_responses(
        AuthenticationError,
        ProgramError,
        RequestValidationError,
        BodyTooLargeError,
        UnsupportedMediaTypeError,
        ConcurrencyError,
        StoreError,
    ),
)
def put_program(
    engine: EngineDep, tenant: TenantDep, program: ProgramSourceDep
) -> ProgramUpdatePublic:
    """Validate a program, store it as a new version and replay every learner.

    The body is the YAML text (``application/yaml``, ``text/yaml``,
    ``text/plain``) or JSON ``{"source": ..., "filename": ...}``. An invalid
    program is answered 422 with each problem's file and line; nothing is
    stored. Uploading the current source again changes nothing: ``changed``
    is false and ``replay`` null (still 200, as for a new version). Problems
    that do not stop the program come back as ``warnings``, each with its file
    and line.
    """
    summary = engine.put_program(tenant, program.source, program.filename)
    return ProgramUpdatePublic.from_summary(summary)
