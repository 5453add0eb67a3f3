"""What the server tells its operator, on stderr through uvicorn's logging configuration.

One line per event worth knowing (a 5xx answer, a query stopped at a limit, a refused
SERVICE call, a dropped slow client), with the request id the client also got in
``X-Request-Id``; events that an attack repeats by the thousand (connections timed out,
evicted or refused) are counted and logged at most once a second per reason, so an attack
cannot flood the log. Text that comes from a client is cleaned before it is logged: no
control characters (no forged lines), at most :data:`MAX_TEXT` characters.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections import Counter
from typing import Any

__all__ = ["LOGGER", "MAX_TEXT", "Tally", "clean", "log_config"]

LOGGER = logging.getLogger("pledge_graph.web")
MAX_TEXT = 200
"""Characters of client-supplied text (a path, a message) kept in one log line."""


def clean(text: str, limit: int = MAX_TEXT) -> str:
    r"""Return ``text`` fit for one log line: control characters escaped, at most ``limit``
    characters (a longer text ends with an ellipsis).

    >>> clean("/a\r\nINFO: forged")
    '/a\\r\\nINFO: forged'
    >>> clean("x" * 10, limit=4)
    'xxxx…'
    """
    if text.isprintable() and len(text) <= limit:
        return text
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:limit])
    return shown + ("…" if len(text) > limit else "")


def log_config() -> dict[str, Any]:
    """Return uvicorn's logging configuration with this package's logger on its stderr
    handler, so the server's own lines look like uvicorn's and go where they go."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["pledge_graph"] = {"handlers": ["default"], "level": "INFO",
                                         "propagate": False}
    return config


class Tally:
    """Counts repeated connection events by reason; logs each reason at most once a second
    with its count."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self.counts: Counter[str] = Counter()
        self._pending = False

    def add(self, reason: str) -> None:
        """Count one event; the count is logged within ``interval`` seconds."""
        self.counts[reason] += 1
        if not self._pending:
            self._pending = True
            asyncio.get_running_loop().call_later(self.interval, self.flush)

    def flush(self) -> None:
        """Log the counts gathered so far, one line per reason."""
        self._pending = False
        for reason, count in sorted(self.counts.items()):
            LOGGER.warning("%d connection%s %s", count, "" if count == 1 else "s", reason)
        self.counts.clear()
