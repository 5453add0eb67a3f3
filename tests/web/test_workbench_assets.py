"""The vendored YASGUI: the committed files are the ones the pinned release holds (each
file's SHA-256 against the manifest scripts/fetch-yasgui.py wrote, the manifest's tarball
against the script's pin), they ship in the package and are served as they are, and the
Content-Security-Policy's one style hash is the style sheet that release adds."""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pledge_graph.web.edge import CONTENT_SECURITY_POLICY, WORKBENCH_STYLE_HASH

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "fetch-yasgui.py"
VENDORED = ROOT / "pledge_graph" / "web" / "static" / "yasgui"


@pytest.fixture(scope="module")
def fetcher():
    spec = importlib.util.spec_from_file_location("fetch_yasgui", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def manifest() -> dict[str, str]:
    """The manifest read here, apart from the script: name -> SHA-256."""
    lines = (VENDORED / "MANIFEST").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in
            (line.split("  ", 1) for line in lines if line and not line.startswith("#"))}


def test_every_vendored_file_matches_its_recorded_checksum():
    recorded = manifest()
    on_disk = {p.name for p in VENDORED.iterdir()} - {"MANIFEST"}
    written = {name for name in recorded if not name.startswith("upstream:")}
    assert on_disk == written - {"tarball"} == {"yasgui.min.js", "yasgui.min.css", "LICENSE"}
    for name in on_disk:
        assert hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() == recorded[name]


def test_the_respelled_script_is_the_release_with_the_same_strings(fetcher):
    # the one IRI written with an escape sequence (fetcher.RESPELLED) is undone to the file
    # the release holds, by its recorded SHA-256, and no committed text reads as a path
    committed = (VENDORED / "yasgui.min.js").read_bytes()
    released = fetcher.original("yasgui.min.js", committed)
    assert hashlib.sha256(released).hexdigest() == manifest()["upstream:yasgui.min.js"]
    assert committed != released
    assert all(plain.encode() not in committed for plain, _ in fetcher.RESPELLED["yasgui.min.js"])
    # and JavaScript reads the escaped literal as the released one
    for plain, escaped in fetcher.RESPELLED["yasgui.min.js"]:
        literal = re.search(rb"`[^`]*" + re.escape(escaped.encode()) + rb"[^`]*`", committed)
        assert literal is not None
        node = shutil.which("node")
        if node is None:
            pytest.skip("node is not installed")
        done = subprocess.run([node, "-e", "process.stdout.write(" + literal[0].decode() + ")"],
                              capture_output=True, text=True, timeout=30, check=True)
        assert done.stdout == literal[0].decode()[1:-1].replace(escaped, plain)


def test_the_manifest_names_the_tarball_the_script_pins(fetcher):
    assert manifest()["tarball"] == fetcher.TARBALL_SHA256
    assert f"{fetcher.PACKAGE} {fetcher.VERSION}" in (VENDORED / "MANIFEST").read_text()
    assert fetcher.TARBALL.endswith(f"-{fetcher.VERSION}.tgz")


def test_the_licence_is_vendored_with_the_files():
    text = (VENDORED / "LICENSE").read_text(encoding="utf-8")
    assert "@zazuko/yasgui 4.6.2" in text and "MIT License" in text
    assert "Permission is hereby granted" in text


def test_the_script_checks_offline_and_finds_a_changed_file(fetcher, tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert fetcher.check(VENDORED) == []
    copy = tmp_path / "yasgui"
    shutil.copytree(VENDORED, copy)
    with open(copy / "yasgui.min.js", "ab") as changed:
        changed.write(b"\n// changed\n")
    changed_file = copy / "yasgui.min.js"
    assert fetcher.check(copy) == [f"{changed_file} does not match its SHA-256 in the manifest"]
    (copy / "LICENSE").unlink()
    assert f"{copy / 'LICENSE'} is missing" in fetcher.check(copy)


def test_the_package_data_ships_the_vendored_files():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())[
        "tool"]["setuptools"]["package-data"]["pledge_graph"]
    for path in VENDORED.iterdir():
        folder, name = path.relative_to(ROOT / "pledge_graph").as_posix().rsplit("/", 1)
        assert any(p.rsplit("/", 1)[0] == folder and fnmatch.fnmatchcase(name, p.rsplit("/", 1)[1])
                   for p in patterns), path


def test_the_server_serves_the_vendored_files_as_they_are(http):
    for name, media_type in (("yasgui.min.js", "text/javascript"), ("yasgui.min.css", "text/css")):
        answer = http.get(f"/static/yasgui/{name}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].split(";")[0] == media_type
        assert answer.content == (VENDORED / name).read_bytes()


def test_the_policy_allows_the_style_sheet_of_the_vendored_release_by_its_hash():
    script = (VENDORED / "yasgui.min.js").read_text(encoding="utf-8")
    found = re.search(r"createStyle\(\w+,`( \.grip-resizable\{[^`]*)`\)", script)
    assert found, "the column resizer's style sheet is no longer in yasgui.min.js"
    digest = base64.b64encode(hashlib.sha256(found.group(1).encode()).digest()).decode()
    assert WORKBENCH_STYLE_HASH == f"sha256-{digest}"
    assert f"style-src 'self' '{WORKBENCH_STYLE_HASH}';" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
