"""Levelwise errors: the whole tree, declared here and nowhere else.

Every error Levelwise raises derives from ``LevelwiseError``; the HTTP layer maps
each class to one problem type in one table (``levelwise.api.problems``)::

    LevelwiseError
    ├── FileLineError                 a data file is malformed (file:line)
    │   ├── InvalidJunyiError         the Junyi exercise table is malformed
    │   └── InvalidDatasetError       a dataset file is malformed (+ InvalidResponses)
    ├── ProgramError                  the program file is invalid (file:line issues)
    ├── ProgramNotFoundError          the tenant has no program yet
    │   └── ProgramVersionNotFoundError  no such program version
    ├── EventRejectedError            events were malformed or unknown (per event)
    │   ├── BatchTooLargeError        more events than one batch may carry
    │   └── BatchRejectedError        a batch was refused whole (+ report)
    ├── EventConflictError            an event id was reused with a different body
    │   └── BatchConflictError        nothing stored; ids reused (+ report)
    ├── DetailedError                 carries problem extensions (a mixin)
    ├── BodyTooLargeError             a request body is over its route's limit
    ├── UnsupportedMediaTypeError     a request body's content type is not accepted
    ├── LearnerNotFoundError          no events for this learner in this tenant
    ├── AuthenticationError           missing or unknown API key
    │   └── LrsAuthenticationError    missing or unknown LRS client credentials
    ├── ConcurrencyError              a concurrent writer changed the same learner
    ├── StoreError                    the store failed (wraps driver errors)
    ├── FitError                      nothing to fit a mastery model from
    ├── PlacementNotFoundError        no such placement session in this tenant
    ├── PlacementError                a placement step is out of order or impossible
    ├── PlanError                     no plan to that target (unknown or reached)
    ├── CredentialNotFoundError       no such credential, award or achievement
    ├── CredentialError               a credential request is impossible
    ├── CredentialsUnavailableError   the engine has no credential store
    ├── WebhookNotFoundError          no such webhook endpoint in this tenant
    ├── NotificationRequestError      a webhook or replay request is invalid
    ├── PkNotFoundError               no such PK in this tenant
    ├── PkRequestError                a PK definition is invalid
    ├── PkConflictError               a PK id is taken by another definition
    ├── PkUnavailableError            the engine has no PK store
    ├── MetricError (ValueError)      a metric filter, export or experiment is invalid
    ├── ExperimentNotFoundError       no such A/B experiment in this tenant
    ├── InvalidLinkError              a page link is malformed, tampered or expired
    ├── JunyiNotFoundError            no Junyi exercise table at that path
    ├── GraphCycleError               a graph that must be a DAG has a cycle
    ├── NotFittedError (ValueError)   a learner model was used before fit
    ├── InvalidResponsesError (ValueError)  response data are malformed
    ├── DatasetNotFoundError          no dataset at that path
    ├── CatError (ValueError)         a CAT bank, setting, answer or state is invalid
    ├── PracticeNotFoundError         no such practice session in this tenant
    ├── PracticeError                 a practice request or message is invalid
    │   └── PracticeClosedError       the practice session has finished
    ├── SpeechError                   speech to text, text to speech or VAD failed
    ├── ModelUnavailableError         the language model is down, refused or slow
    ├── QualityInputError (ValueError)  call-quality statistics cannot be read
    ├── QualityNotFoundError          no statistics of this live class in this tenant
    ├── StatementError                an xAPI statement breaks the specification
    ├── StatementConflictError        an xAPI statement id was reused with another body
    ├── PreconditionFailedError       an xAPI document's ETag fails the condition
    ├── DocumentMergeError            an xAPI document merge needs two JSON objects
    ├── DocumentConflictError         an xAPI document PUT without a condition
    ├── XapiRequestError              an xAPI request breaks the protocol
    ├── XapiNotFoundError             no such xAPI statement or document
    └── ModelNotAvailableError (LookupError)  no such learner model
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class LevelwiseError(Exception):
    """Raised when Levelwise cannot do what was asked; the base of every error."""


@dataclass(frozen=True)
class Issue:
    """One problem in a program file.

    Attributes:
        file: The file's name as given.
        line: 1-based line of the problem (0 when unknown).
        message: What is wrong.
        hint: How to fix it.
    """

    file: str
    line: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        """Render as ``file:line: message (hint)``."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}" + (f" ({self.hint})" if self.hint else "")


class FileLineError(LevelwiseError):
    """Raised when a data file is malformed; the message names file:line.

    Attributes:
        file: The file as given.
        line: 1-based line of the problem (0 when it concerns the whole file).
    """

    def __init__(self, file: str, line: int, message: str) -> None:
        """Keep the location and render ``file:line: message``."""
        self.file = file
        self.line = line
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")


class ProgramError(LevelwiseError):
    """Raised when a program file is invalid; ``issues`` lists every problem."""

    def __init__(self, issues: list[Issue]) -> None:
        """Keep the issues and summarise them as the message."""
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class ProgramNotFoundError(LevelwiseError):
    """Raised when a tenant has no program yet."""


class ProgramVersionNotFoundError(ProgramNotFoundError):
    """Raised when a requested program version does not exist."""


class EventRejectedError(LevelwiseError):
    """Raised when some events of a request were rejected (details per event)."""


class EventConflictError(LevelwiseError):
    """Raised when an event id was already stored with a different body."""


class LearnerNotFoundError(LevelwiseError):
    """Raised when a learner has no events in the tenant."""


class AuthenticationError(LevelwiseError):
    """Raised when an API key is missing or unknown."""


class ConcurrencyError(LevelwiseError):
    """Raised when a concurrent writer changed the same learner first."""


class FitError(LevelwiseError):
    """Raised when there are no answers to fit a mastery model from."""


class PlacementNotFoundError(LevelwiseError):
    """Raised when a placement session does not exist in the tenant."""


class PlacementError(LevelwiseError):
    """Raised when a placement step is out of order or the program has no test."""


class StoreError(LevelwiseError):
    """Raised when the store fails; the driver's error is chained."""


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
    """Raised when no event of a batch was stored: each was rejected or a conflict."""


class BatchConflictError(DetailedError, EventConflictError):
    """Raised when nothing of a batch was stored and some ids came with other bodies."""


class BatchTooLargeError(EventRejectedError):
    """Raised when a batch carries more events than one request may."""


class BodyTooLargeError(LevelwiseError):
    """Raised when a request body is larger than the route accepts."""


class UnsupportedMediaTypeError(LevelwiseError):
    """Raised when a request body has a content type the route does not read."""


class CredentialNotFoundError(LevelwiseError):
    """Raised when a credential, award or achievement does not exist here."""


class CredentialError(LevelwiseError):
    """Raised when a credential request is impossible (for example not an award)."""


class CredentialsUnavailableError(LevelwiseError):
    """Raised when the engine was built without a credential store."""


class WebhookNotFoundError(LevelwiseError):
    """Raised when a webhook endpoint does not exist in the tenant."""


class NotificationRequestError(LevelwiseError):
    """Raised when a webhook or replay request is invalid (nothing is changed)."""


class PkNotFoundError(LevelwiseError):
    """Raised when a PK does not exist in the tenant."""


class PkRequestError(LevelwiseError):
    """Raised when a PK definition is invalid (nothing is stored)."""


class PkConflictError(LevelwiseError):
    """Raised when a PK id is already taken by another definition."""


class PkUnavailableError(LevelwiseError):
    """Raised when the server was built without a PK store."""


class ExperimentNotFoundError(LevelwiseError):
    """Raised when an A/B experiment does not exist in the tenant."""


class MetricError(LevelwiseError, ValueError):
    """Raised when a metric filter, export table or experiment is invalid."""


class InvalidLinkError(LevelwiseError):
    """Raised when a page link is malformed, tampered with, expired or misused."""


class PlanError(LevelwiseError):
    """The plan asked for cannot be made (unknown or already reached target)."""


class JunyiNotFoundError(LevelwiseError):
    """Raised when the path is neither the exercise table nor a folder with it."""


class InvalidJunyiError(FileLineError):
    """Raised when the exercise table is malformed; the message names file:line."""


class GraphCycleError(LevelwiseError):
    """Raised when a graph that must be a DAG has a cycle.

    Attributes:
        nodes: The nodes that could not be ordered (sorted): each lies on a
            cycle or after one.
    """

    def __init__(self, nodes: tuple[str, ...]) -> None:
        """Keep the unordered nodes and name a few in the message."""
        self.nodes = nodes
        shown = ", ".join(nodes[:5]) + (", ..." if len(nodes) > 5 else "")
        super().__init__(
            f"the prerequisite graph has a cycle: {len(nodes)} nodes cannot be "
            f"ordered ({shown}); repair it with break_cycles first"
        )


class NotFittedError(LevelwiseError, ValueError):
    """Raised when a model is used for prediction before it was fitted."""


class InvalidResponsesError(LevelwiseError, ValueError):
    """Raised when response data are malformed (lengths, ranges, order)."""


class DatasetNotFoundError(LevelwiseError):
    """Raised when a dataset path does not exist or holds no known data file."""


class InvalidDatasetError(InvalidResponsesError, FileLineError):
    """Raised when the dataset file is malformed; the message names file:line."""


class CatError(LevelwiseError, ValueError):
    """Raised when a CAT bank, setting, answer or saved state is invalid."""


class ModelNotAvailableError(LevelwiseError, LookupError):
    """Raised when a model name is unknown or its module does not exist yet."""


class PracticeNotFoundError(LevelwiseError):
    """Raised when a practice session does not exist in the caller's school."""


class PracticeError(LevelwiseError):
    """Raised when a practice request or session message is invalid."""


class PracticeClosedError(PracticeError):
    """Raised when a message arrives for a practice session that has finished."""


class SpeechError(LevelwiseError):
    """Raised when speech to text, text to speech or voice detection fails."""


class ModelUnavailableError(LevelwiseError):
    """Raised when the language model endpoint is down, refuses or is too slow."""


class QualityInputError(LevelwiseError, ValueError):
    """Raised when call-quality statistics cannot be read (a malformed sample)."""


class QualityNotFoundError(LevelwiseError):
    """Raised when a live class has no call-quality statistics in this school."""


class StatementError(LevelwiseError):
    """Raised when a statement breaks the xAPI specification; names the JSON path.

    Attributes:
        status: The HTTP status the specification asks for (400).
    """

    def __init__(self, message: str, status: int = 400) -> None:
        """Keep the message and the HTTP status."""
        self.status = status
        super().__init__(message)


class StatementConflictError(LevelwiseError):
    """Raised when an xAPI statement id is stored (or sent) with another body."""


class PreconditionFailedError(LevelwiseError):
    """Raised when an xAPI document's ETag does not meet If-Match/If-None-Match."""


class DocumentMergeError(LevelwiseError):
    """Raised when an xAPI merge (POST) meets content that is not a JSON object."""


class DocumentConflictError(LevelwiseError):
    """Raised when an xAPI document PUT would overwrite one without a condition."""


class XapiRequestError(LevelwiseError):
    """Raised when an xAPI request breaks the protocol (parameters, headers)."""


class XapiNotFoundError(LevelwiseError):
    """Raised when an xAPI statement or document is not in this school's store."""


class LrsAuthenticationError(AuthenticationError):
    """Raised when an xAPI request has no LRS client credentials, or unknown ones."""
