"""Domain errors.

Every error the pipeline raises on bad input derives from :class:`PledgeGraphError`, names
the file (and line, where there is one) and what was expected, and formats its own message,
so the command line can print it as it is and exit non-zero without a traceback::

    PledgeGraphError
    ├── InputError            a source document or record is not in the expected form
    │   ├── DocumentFormatError   a pledge document breaks the Secretariat's format
    │   └── RecordError           a curated YAML record is malformed
    ├── ShapesError           the SHACL shapes use a feature the compiled validator lacks
    ├── ValidationFailed      the graph violates the SHACL shapes
    ├── BuildError            a release could not be written
    └── StoreError            a SPARQL store could not be loaded or queried
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "BuildError",
    "DocumentFormatError",
    "InputError",
    "Overloaded",
    "PledgeGraphError",
    "QueryOutOfMemory",
    "QueryRefused",
    "QuerySyntaxError",
    "QueryTimeout",
    "RecordError",
    "ShapesError",
    "StoreError",
    "ValidationFailed",
]


class PledgeGraphError(Exception):
    """Base class: an error a user can act on, located in a file and line when known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        expected: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.expected = expected

    def location(self) -> str:
        """Return ``file:line`` (or just the file), or an empty string when unknown."""
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def __str__(self) -> str:
        text = self.message
        if self.expected:
            text = f"{text} (expected {self.expected})"
        where = self.location()
        return f"{where}: {text}" if where else text


class InputError(PledgeGraphError):
    """Input is not in the form the pipeline reads."""


class DocumentFormatError(InputError):
    """A pledge document does not follow the Secretariat's format."""


class RecordError(InputError):
    """A curated pledge record (YAML) is malformed."""


class ShapesError(PledgeGraphError):
    """The shapes graph uses a SHACL feature the compiled validator does not implement."""


class ValidationFailed(PledgeGraphError):
    """The graph violates one or more SHACL shapes; ``report`` holds the readable report."""

    def __init__(self, message: str, *, report: str = "", **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.report = report


class BuildError(PledgeGraphError):
    """A release could not be written; the previous release is left as it was."""


class StoreError(PledgeGraphError):
    """A SPARQL store refused a load or a query, or could not be reached."""


class QuerySyntaxError(StoreError):
    """The query is not valid SPARQL 1.1."""


class QueryRefused(StoreError):
    """The query asks for something the service does not do (an update, a SERVICE call)."""


class QueryTimeout(StoreError):
    """The query ran past its time limit and was stopped; nothing was answered."""


class QueryCancelled(StoreError):
    """The query's client closed its connection before the answer: the query was stopped,
    so that its place goes to queries someone still waits for."""


class QueryOutOfMemory(StoreError):
    """The query needed more memory than the service allows and was stopped."""


class Overloaded(StoreError):
    """The service is too busy to run the query now; ``retry_after`` is how many seconds
    to wait before asking again, ``hold`` how many to wait before answering (a query
    stopped for its client's share is answered when its time limit would have ended it)."""

    def __init__(self, message: str, *, retry_after: int, hold: float = 0.0,
                 expected: str | None = None) -> None:
        super().__init__(message, expected=expected)
        self.retry_after = retry_after
        self.hold = hold
