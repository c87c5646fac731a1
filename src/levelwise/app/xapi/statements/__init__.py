"""xAPI statements: strict validation and index fields, and output formats.

Validation (:func:`validate_statement`, :func:`validate_agent`) follows the
specification as an LRS must enforce it; the formats (:func:`ids_format`,
:func:`canonical`) are how stored statements are served.
"""

from levelwise.app.xapi.ports import VOIDED
from levelwise.app.xapi.statements._formats import canonical, ids_format
from levelwise.app.xapi.statements._validate import (
    IFIS,
    VERSIONS,
    Statement,
    validate_agent,
    validate_statement,
)

__all__ = [
    "IFIS",
    "VERSIONS",
    "VOIDED",
    "Statement",
    "canonical",
    "ids_format",
    "validate_agent",
    "validate_statement",
]
