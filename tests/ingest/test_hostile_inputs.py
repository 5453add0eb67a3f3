"""Hostile records, documents and paths, through the real command line: every attack found
on the pipeline's inputs stays here. Each must end in exit status 1 with the file and line
and no traceback, leave the data directory and the release as they were, and finish within
bounds: every child runs under an address-space and CPU limit, so that a regression fails
fast instead of taking the machine."""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pledge_graph.paths import DATA_DIR

MEMORY = 1 << 30  # a release of the bundled data is built within 600 MiB of address space
CPU_SECONDS = 60  # the slowest child here takes about 5 s of CPU; a quadratic one, minutes
RECORD = "records/japan-2023.yaml"
SOURCE = DATA_DIR / "sources" / "japan-2023.txt"


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def cli(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``pledge-graph`` in a child bounded in memory and CPU time."""
    return subprocess.run([sys.executable, "-m", "pledge_graph.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, check=False,
                          preexec_fn=_limits)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with the SHA-256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def refused(done: subprocess.CompletedProcess[str], where: str) -> None:
    """The command failed cleanly, naming ``where`` (file:line)."""
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.stderr.startswith("pledge-graph: error: "), done.stderr[-2000:]
    assert f"{where}:" in done.stderr, done.stderr[-2000:]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled data with its release, built once."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(DATA_DIR, root / "data")
    done = cli("build", "--data", root / "data", "--out", root / "dist")
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture()
def release(template: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A data directory and its release, copied for one test."""
    shutil.copytree(template / "data", tmp_path / "data", symlinks=True)
    shutil.copytree(template / "dist", tmp_path / "dist")
    return tmp_path / "data", tmp_path / "dist"


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


# ---------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------

BOMB = "\n".join(["bomb0: &b0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
                 + [f"bomb{i}: &b{i} [" + ", ".join([f"*b{i - 1}"] * 10) + "]"
                    for i in range(1, 10)])
NESTED = "deep:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 40)) + " " * 40 + "v"

# name -> (change of the record's text, text on the line the error must name)
RECORDS: dict[str, tuple[Callable[[str], str], str]] = {
    "alias bomb": (lambda t: t + BOMB + "\n", "bomb0:"),
    "anchor in a pledge": (lambda t: t.replace(
        "  rights_holders:\n  - Judges", "  rights_holders: &r\n  - Judges", 1),
        "rights_holders: &r"),
    "recursive alias": (lambda t: t + "loop: &loop [*loop]\n", "loop:"),
    "5,000-digit year": (lambda t: t.replace("year: 2023", "year: " + "9" * 5000), "year:"),
    "19-digit word count": (lambda t: t.replace("declared_words: 99",
                                                "declared_words: " + "1" * 19),
                            "declared_words: 111"),
    "huge hexadecimal": (lambda t: t.replace("start: 397", "start: 0x" + "f" * 5000),
                         "start: 0x"),
    "deep flow nesting": (lambda t: t + "deep: " + "[" * 900 + "]" * 900 + "\n", "deep:"),
    "deep block nesting": (lambda t: t + NESTED + "\n", "k16:"),
    "python tag": (lambda t: t.replace("title: Pledge", "title: !!python/object/apply:os.system"
                                       " [true]\n_: Pledge"), "title:"),
    "second document": (lambda t: t + "---\nslug: other\n", "---"),
    "raw control character": (lambda t: t.replace("title: Pledge", "title: Pl\x07edge"),
                              "title:"),
    "escaped NUL in a label": (lambda t: t.replace("  - Migrants", '  - "Mig\\0rants"'),
                               "Mig\\0rants"),
    "escaped DEL": (lambda t: t.replace("title: Pledge", 'title: "Pl\\x7Fedge'
                                        ' submitted by Japan"\n_: x'), "title:"),
    "escaped non-character": (lambda t: t.replace("title: Pledge", 'title: "\\uFFFE"\n_: x'),
                              "title:"),
    "date that does not exist": (lambda t: t.replace("recipient: ohchr",
                                                     "recipient: 2023-02-30"), "recipient:"),
    "field name that is a list": (lambda t: t + "[a, b]: c\n", "[a, b]"),
    "text where a list goes": (lambda t: t.replace(
        "  rights_holders:\n  - Judges, lawyers and prosecutors",
        "  rights_holders: Judges"), "rights_holders: Judges"),
}


@pytest.mark.parametrize("name", RECORDS)
def test_hostile_record_is_refused_with_its_line(release: tuple[Path, Path], name: str) -> None:
    data, dist = release
    change, needle = RECORDS[name]
    path = data / RECORD
    text = change(path.read_text(encoding="utf-8"))
    assert text != path.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    before = snapshot(data), snapshot(dist)

    done = cli("build", "--data", data, "--out", dist)

    refused(done, f"{path}:{line_of(text, needle)}")
    assert (snapshot(data), snapshot(dist)) == before
    assert sorted(p.name for p in dist.parent.iterdir()) == ["data", "dist"]


def test_record_that_is_not_utf8_names_the_line_of_the_bad_byte(
        release: tuple[Path, Path]) -> None:
    data, _ = release
    path = data / RECORD
    path.write_bytes(path.read_bytes().replace(b"title: Pledge", b"title: Pl\xe9dge"))
    line = line_of(path.read_text(encoding="latin-1"), "title:")
    refused(cli("validate", "--data", data), f"{path}:{line}")


@pytest.mark.parametrize("kind", ["fifo", "device", "huge"])
def test_record_that_is_no_readable_file_is_refused_without_waiting(
        release: tuple[Path, Path], kind: str) -> None:
    data, _ = release
    path = data / RECORD
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:
        with path.open("wb") as stream:
            stream.truncate(65 * 2**20)  # sparse: no disk used
    done = cli("validate", "--data", data, timeout=60)
    refused(done, str(path))
    assert "regular file" in done.stderr or "larger than" in done.stderr


@pytest.mark.parametrize("source", ["../../../../../etc/passwd", "/etc/passwd", "link",
                                    "device", "fifo", "sources"])
def test_source_outside_the_data_directory_is_refused(release: tuple[Path, Path],
                                                      source: str) -> None:
    data, dist = release
    if source in ("link", "device"):
        (data / "sources" / "evil.txt").symlink_to("/etc/hostname" if source == "link"
                                                   else "/dev/zero")
        source = "sources/evil.txt"
    elif source == "fifo":
        os.mkfifo(data / "sources" / "evil.txt")
        source = "sources/evil.txt"
    path = data / RECORD
    text = path.read_text(encoding="utf-8").replace("source: sources/japan-2023.txt",
                                                    f"source: {source}")
    path.write_text(text, encoding="utf-8")
    before = snapshot(dist)

    done = cli("build", "--data", data, "--out", dist, timeout=60)

    refused(done, f"{path}:{line_of(text, 'source:')}")
    assert "passwd" not in done.stdout and snapshot(dist) == before


# ---------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------

DOCUMENT = SOURCE.read_text(encoding="utf-8")
RIGHTS = "Sector and Rights-holders: Non-citizens, Migrants"

# name -> (the document's bytes, text on the line the error must name)
DOCUMENTS: dict[str, tuple[bytes, str]] = {
    "NUL in a rights-holder label": (DOCUMENT.replace(RIGHTS, RIGHTS + "\0").encode(),
                                     "Non-citizens, Migrants"),
    "DEL in a pledge": (DOCUMENT.replace("rule of law", "rule\x7f of law").encode(),
                        "rule"),
    "form feed": (DOCUMENT.replace("**PLEDGE NUMBER 2:**", "\f**PLEDGE NUMBER 2:**").encode(),
                  "PLEDGE NUMBER 2"),
    "non-character": (DOCUMENT.replace("Japan uses", "Japan\ufffe uses").encode(), "uses"),
    "encoded surrogate": (DOCUMENT.encode().replace(b"Japan uses", b"Japan\xed\xa0\x80 uses"),
                          "uses"),
    "5,000-digit pledge number": (DOCUMENT.replace("PLEDGE NUMBER 2:", "PLEDGE NUMBER "
                                                   + "2" * 5000 + ":").encode(), "2222"),
    "5,000-digit word count": (DOCUMENT.replace("(84 words)", f"({'8' * 5000} words)").encode(),
                               "PLEDGE NUMBER 2"),
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_hostile_document_is_refused_with_its_line(release: tuple[Path, Path], tmp_path: Path,
                                                   name: str) -> None:
    data, _ = release
    content, needle = DOCUMENTS[name]
    document = tmp_path / "incoming" / "japan-2023.txt"
    document.parent.mkdir()
    document.write_bytes(content)
    before = snapshot(data)

    done = cli("import", document, "--data", data)

    refused(done, f"{document}:{line_of(content.decode('utf-8', 'replace'), needle)}")
    assert snapshot(data) == before


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_document_that_is_no_regular_file_is_refused_without_waiting(
        release: tuple[Path, Path], tmp_path: Path, kind: str) -> None:
    data, _ = release
    document = tmp_path / "japan-2023.txt"
    if kind == "fifo":
        os.mkfifo(document)
    else:
        document.symlink_to("/dev/zero")
    done = cli("import", document, "--data", data, timeout=60)
    refused(done, str(document))
    assert "regular file" in done.stderr


# ---------------------------------------------------------------------------------------
# Time linear in the pledges of a document and in the length of a pledge
# ---------------------------------------------------------------------------------------

HEADER = ("Pledge submitted by Japan to the Human Rights 75 Secretariat\nDecember 2023\n\n"
          "Original language of submission: English\n\n"
          "Type of pledge: {kind}\n\nPledging entity: {entity}\n\n")
# One pledge's text of each shape the fact extractors once took quadratic time on.
TEXTS = [
    "USD 1 million to OHCHR and Kenya, ", "contribute 1,000,000 to ",
    "Kenya and OHCHR and UNICEF and Uganda, ", "the National Safety Commission of Jamaica, ",
    "the National Road Safety Programme (NRSP), ", 'its "Safe Roads For All" initiative, ',
    "ratify the CAT and the OPCAT, ", "the CRC and its Optional Protocol, ", "Aaa Bbb ",
    "1 000 ",
]


def pledge(number: int, text: str, labels: str = "Migrants") -> str:
    return f"PLEDGE NUMBER {number}: {text}\n\nSector and Rights-holders: {labels}\n\n"


def test_one_document_of_many_pledges_imports_and_validates_in_linear_time(
        tmp_path: Path) -> None:
    # 52 s for 1,000 pledges when a submission's pledges were joined with one another
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR / "authorities", data / "authorities")
    document = tmp_path / "many-2023.txt"
    body = "".join(pledge(n, f"Japan will train {n} judges and give USD {n} million to OHCHR.")
                   for n in range(1, 1501))
    document.write_text(HEADER.format(kind="Single", entity="Japan") + body, encoding="utf-8")
    done = cli("import", document, "--data", data)
    assert done.returncode == 0, done.stderr[-2000:]
    done = cli("validate", "--data", data)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "1500 pledge(s)" in done.stdout


def test_long_pledge_texts_of_every_hostile_shape_import_in_linear_time(
        tmp_path: Path) -> None:
    # hours at 800 kB a text before; 60 kB each here take a few seconds in all
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR / "authorities", data / "authorities")
    document = tmp_path / "long-2023.txt"
    body = "".join(pledge(n, (unit * (60_000 // len(unit)))[:60_000] + "x Agency Programme.")
                   for n, unit in enumerate(TEXTS, 1))
    document.write_text(HEADER.format(kind="Single", entity="Japan") + body, encoding="utf-8")
    done = cli("import", document, "--data", data)
    assert done.returncode == 0, done.stderr[-2000:]


def test_hostile_document_lines_import_in_linear_time(tmp_path: Path) -> None:
    # runs of spaces and long lists each took time in the square of their length
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR / "authorities", data / "authorities")
    document = tmp_path / "lines-2023.txt"
    spaces = " " * 200_000
    entities = ", ".join(["Korea", "Republic of", "Saint Kitts", "Nevis"] * 5000)
    body = (pledge(1, f"We will act.\n{spaces}x")
            + pledge(2, f"We will act.{spaces}(3 words)")
            + pledge(3, "We will act.", f"Migrants{spaces}x")
            + pledge(4, "We will act.", ", ".join(f"group {i}" for i in range(20_000))))
    document.write_text(HEADER.format(kind="Joint", entity=entities) + body, encoding="utf-8")
    done = cli("import", document, "--data", data)
    assert done.returncode == 0, done.stderr[-2000:]


# ---------------------------------------------------------------------------------------
# --jobs
# ---------------------------------------------------------------------------------------

def test_jobs_are_capped_at_the_cpus_this_process_may_use(tmp_path: Path,
                                                          release: tuple[Path, Path]) -> None:
    data, dist = release
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    for n in range(40):  # enough documents for the import to start workers
        shutil.copy(SOURCE, incoming / f"japan-{n:02d}.txt")
    cpus = len(os.sched_getaffinity(0))
    note = f"pledge-graph: note: --jobs 5000 capped at {cpus}"
    for args in (["import", incoming, "--data", tmp_path / "imported"],
                 ["validate", "--data", data], ["build", "--data", data, "--out", dist]):
        done = cli(*args, "--jobs", "5000")
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stderr.startswith(note), done.stderr[:300]
    done = cli("validate", "--data", data, "--jobs", "0")
    assert done.returncode == 2 and "at least 1" in done.stderr
