"""Apache's negotiation for the static site: a ``RewriteMap prg:`` program running the
server's own :func:`pledge_graph.web.negotiation.negotiate`.

Reads one lookup a line, ``KINDS QUERY ACCEPT`` (KINDS joined by ``+``, as a comma cannot
be in a rewrite flag, QUERY the raw query string, possibly empty, ACCEPT the rest of the
line), and answers the key of the format to serve, or ``unacceptable`` when nothing fits
(Apache then answers 406). A line ``moved ROOT PATH`` asks whether ``PATH``, a fact's part
minted with a slash (``/id/fact/F/quote``), is described in the fact's document under the
site's folder ``ROOT`` as its hash part (``#quote``): ``yes`` (Apache then redirects) or
``no``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO
from urllib.parse import parse_qsl, unquote

from pledge_graph.rdf.vocab import moved_part
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
    if kinds == "moved":
        return "yes" if _described_part(*rest.rpartition(" ")[::2]) else "no"
    query, _, accept = rest.partition(" ")
    fmt = dict(parse_qsl(query, keep_blank_values=True)).get("format")
    try:
        return negotiate(accept or None, kinds.split("+"), fmt).key
    except Unacceptable:
        return "unacceptable"


def _described_part(root: str, path: str) -> bool:
    """Whether the fact ``/id/fact/F`` of ``path`` (``/id/fact/F/PART``) has a description in
    ``root`` whose subjects include ``<...F#PART>``."""
    document, _, part = unquote(path).rpartition("/")
    if (not document.startswith("/id/fact/") or moved_part(document + "/" + part) is None
            or ".." in document.split("/") or "\0" in document):
        return False
    try:
        text = (Path(root) / ("resources" + document + ".nt")).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return False
    subject = f"{document}#{part}>"
    return any(line.partition(" ")[0].endswith(subject) for line in text.splitlines())


def main(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Answer lookups until Apache closes the pipe (unbuffered, one line each)."""
    for line in stdin:
        stdout.write(answer(line) + "\n")
        stdout.flush()


if __name__ == "__main__":
    main()
