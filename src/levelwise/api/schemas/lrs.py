"""Wire models of the record store's administration: clients, unmapped statements."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ClientCreate(BaseModel):
    """A new LRS client."""

    label: str = Field(default="", max_length=200, description="What the client is")


class ClientPublic(BaseModel):
    """An LRS client: its key is the HTTP Basic user name of ``/xapi/``."""

    key: str
    label: str
    created: str


class NewClientPublic(ClientPublic):
    """A client just created, with its secret (the Basic password), shown once."""

    secret: str


class ClientListPublic(BaseModel):
    """A school's LRS clients, oldest first."""

    clients: list[ClientPublic]


class UnmappedPublic(BaseModel):
    """Statements of one verb and activity type that map to no learning event."""

    verb: str
    activity_type: str = Field(
        description="The activity's definition.type ('' if none)"
    )
    reason: str = Field(description="Why the latest of them is unmapped")
    count: int
    example: str = Field(description="The latest one's statement id")


class UnmappedReportPublic(BaseModel):
    """What the school's latest statements bring that its mapping does not read."""

    read: int = Field(description="Statements read (the latest, up to 10,000)")
    unmapped: int = Field(description="Of them, how many map to no event")
    kinds: list[UnmappedPublic] = Field(description="Most frequent first")
