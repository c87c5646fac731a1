"""Shared wire models: the output base and problem bodies (RFC 9457)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
"""Free text a client writes (a reason, a name): no control characters but
tab and line breaks. A NUL would not even fit a PostgreSQL text column."""
Text = Annotated[str, Field(pattern=TEXT_PATTERN)]

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: object) -> object:
    # Lax parsing reads "0" or "1700000000" as Unix time: a day is YYYY-MM-DD.
    if isinstance(value, str) and not _DAY.fullmatch(value):
        msg = "must be a date as YYYY-MM-DD"
        raise ValueError(msg)
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]
"""A calendar day in a query: ``2026-09-01``, nothing else."""


class PublicModel(BaseModel):
    """Base of output models: frozen."""

    model_config = ConfigDict(frozen=True)


class Problem(BaseModel):
    """A problem details body (RFC 9457); extensions are extra members."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="URI of the problem type, urn:levelwise:problem:*")
    title: str = Field(description="Short summary of the problem type")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong with this request")
    instance: str = Field(description="The request path")


class ProgramIssuePublic(PublicModel):
    """One problem in a program file, at a line."""

    file: str
    line: int = Field(description="1-based line; 0 when unknown")
    message: str
    hint: str


class InvalidProgramProblem(Problem):
    """``invalid-program``: the program file has problems, listed by line."""

    errors: list[ProgramIssuePublic]


class RequestErrorPublic(PublicModel):
    """One invalid part of a request."""

    loc: list[str | int] = Field(description="Where, e.g. ['query', 'limit']")
    msg: str
    type: str


class InvalidRequestProblem(Problem):
    """``invalid-request``: the request's shape is wrong (body, query, path)."""

    errors: list[RequestErrorPublic]
