"""Apache's negotiation for the static site: a ``RewriteMap prg:`` program running the
server's own :func:`pledge_graph.web.negotiation.negotiate`.

Reads one lookup a line, ``KINDS QUERY ACCEPT`` (KINDS joined by ``+``, as a comma cannot be in a rewrite flag, QUERY the raw query
string, possibly empty, ACCEPT the rest of the line), and answers the key of the format to
serve, or ``unacceptable`` when nothing fits (Apache then answers 406).
"""

from __future__ import annotations

import sys
from typing import TextIO
from urllib.parse import parse_qsl

from pledge_graph.web.negotiation import Unacceptable, negotiate

__all__ = ["answer", "main"]


def answer(line: str) -> str:
    """Given one lookup, return the format's key or ``unacceptable``.

    >>> answer("page+graph  text/html;q=0.5, text/turtle")
    'ttl'
    >>> answer("graph format=jsonld text/html")
    'jsonld'
    >>> answer("graph  image/png")
    'unacceptable'
    """
    kinds, _, rest = line.rstrip("\r\n").partition(" ")
    query, _, accept = rest.partition(" ")
    fmt = dict(parse_qsl(query, keep_blank_values=True)).get("format")
    try:
        return negotiate(accept or None, kinds.split("+"), fmt).key
    except Unacceptable:
        return "unacceptable"


def main(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Answer lookups until Apache closes the pipe (unbuffered, one line each)."""
    for line in stdin:
        stdout.write(answer(line) + "\n")
        stdout.flush()


if __name__ == "__main__":
    main()
