"""Errors the HTTP layer raises itself: request size, media type, batch outcomes.

They extend the ``LevelwiseError`` tree (see ``levelwise.errors``)::

    LevelwiseError
    ├── DetailedError             carries problem extensions (mixin)
    ├── BodyTooLargeError         the request body is over the route's limit
    ├── UnsupportedMediaTypeError the body's content type is not accepted
    ├── EventRejectedError
    │   ├── BatchTooLargeError    more events than one batch may carry
    │   └── BatchRejectedError    some events were rejected (+ report)
    └── EventConflictError
        └── BatchConflictError    some ids came back with other bodies (+ report)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from levelwise.errors import EventConflictError, EventRejectedError, LevelwiseError


class DetailedError(LevelwiseError):
    """Raised only through subclasses that carry extra problem members.

    Args:
        detail: The human-readable explanation.
        extensions: Members added to the problem body (e.g. a batch report).
    """

    def __init__(self, detail: str, extensions: Mapping[str, Any]) -> None:
        """Keep the detail as the message and the extensions as given."""
        super().__init__(detail)
        self.extensions = dict(extensions)


class BatchRejectedError(DetailedError, EventRejectedError):
    """Raised when some events of a batch were rejected; the others were stored."""


class BatchConflictError(DetailedError, EventConflictError):
    """Raised when a batch reused stored event ids with different bodies."""


class BatchTooLargeError(EventRejectedError):
    """Raised when a batch carries more events than one request may."""


class BodyTooLargeError(LevelwiseError):
    """Raised when a request body is larger than the route accepts."""


class UnsupportedMediaTypeError(LevelwiseError):
    """Raised when a request body has a content type the route does not read."""
