"""The readers of hostile inputs on their own: the examples in their docstrings, paths kept
inside the data directory, and YAML read as PyYAML reads it wherever nothing is refused."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
import yaml

from pledge_graph.errors import InputError
from pledge_graph.extract import text
from pledge_graph.ingest import inputs, safe_yaml
from pledge_graph.paths import DATA_DIR


@pytest.mark.parametrize("module", [inputs, safe_yaml, text])
def test_docstring_examples_hold(module: object) -> None:
    failed, attempted = doctest.testmod(module)  # type: ignore[arg-type]
    assert attempted and not failed


def test_paths_inside_the_data_directory_are_kept_and_others_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    (data / "sources").mkdir(parents=True)
    (data / "sources" / "a.txt").write_text("a", encoding="utf-8")
    (data / "sources" / "inside").symlink_to(data / "sources" / "a.txt")
    (data / "sources" / "outside").symlink_to(tmp_path)
    (data / "sources" / "loop").symlink_to(data / "sources" / "loop")
    assert inputs.confined(data, "sources/a.txt") == data / "sources" / "a.txt"
    assert inputs.confined(data, "sources/../sources/inside") == data / "sources" / "a.txt"
    for escaping in ("sources/outside", "sources/outside/x", "..", ".", "",
                     "sources/loop", "/etc/passwd", "sources/\0"):
        assert inputs.confined(data, escaping) is None, escaping
    monkeypatch.chdir(data)  # a relative data directory is resolved too
    assert inputs.confined(Path("."), "sources/a.txt") == data / "sources" / "a.txt"


def test_files_of_the_project_read_as_pyyaml_reads_them() -> None:
    paths = [*sorted((DATA_DIR / "records").glob("*.yaml")),
             *sorted((DATA_DIR / "authorities").glob("*.yaml"))]
    for path in paths:
        content = path.read_text(encoding="utf-8")
        _, data = safe_yaml.load(content, file=path, error=InputError, expected="YAML")
        assert data == yaml.safe_load(content), path


@pytest.mark.parametrize("content", ["a: 1\n", "a: '1'\n", "a: [1, x, null, true, 1.5]\n",
                                     "a: 0x1A\nb: 012\nc: 1:30\nd: 2024-01-31\ne: ~\n",
                                     "a: {<<: [{x: 1}, {x: 2, y: 3}], y: 4}\n",
                                     "a: |-\n  line\n  line\n", "- x\n- y\n", ""])
def test_what_is_not_refused_reads_as_pyyaml_reads_it(content: str) -> None:
    _, data = safe_yaml.load(content, file="f.yaml", error=InputError, expected="YAML")
    assert data == yaml.safe_load(content)


@pytest.mark.parametrize(("content", "line"), [
    ("a: 1\nb: x\x80y\n", 2),  # a C1 control, refused by the YAML reader itself
    ("a: " + "\u00e9" * 10 + "\nb: x\nc: \x80\n", 3),  # counted in bytes by LibYAML
    ("a: 1\n\nb: \"\\t\\x1b\"\n", 3),  # an escape that makes a forbidden character
])
def test_unreadable_characters_name_their_line(content: str, line: int) -> None:
    with pytest.raises(InputError) as caught:
        safe_yaml.load(content, file="f.yaml", error=InputError, expected="YAML")
    assert caught.value.line == line
