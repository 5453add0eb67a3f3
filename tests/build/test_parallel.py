"""A one-off job in a process of its own (``in_child``): its answer and its errors come
back as if it had run here, and the memory it took does not stay here."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from pledge_graph.build.parallel import in_child
from pledge_graph.errors import BuildError, RecordError


def _answer(a: int, b: int) -> tuple[int, int]:
    return a + b, os.getpid()


def _fails(path: Path) -> None:
    raise RecordError("invalid YAML", file=path, line=3, expected="a mapping")


def _grows() -> tuple[int, float]:
    held = [bytes(1024) for _ in range(300_000)]  # about 300 MiB of small objects
    return len(held), _status_mib("VmHWM")


def _killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field}")


def test_the_answer_comes_back_from_another_process():
    total, pid = in_child(_answer, 2, 3)
    assert total == 5 and pid != os.getpid()


def test_an_error_comes_back_with_its_file_and_line(tmp_path):
    with pytest.raises(RecordError) as raised:
        in_child(_fails, tmp_path / "japan-2023.yaml")
    assert raised.value.location() == f"{tmp_path / 'japan-2023.yaml'}:3"
    assert raised.value.expected == "a mapping"


def test_the_memory_the_job_took_is_not_kept_here():
    before = _status_mib("VmRSS")
    count, peak_there = in_child(_grows)
    assert count == 300_000
    assert peak_there - before > 250  # the job did take it, in its own process
    assert _status_mib("VmRSS") - before < 50


def test_a_job_killed_outright_is_an_error_not_a_hang():
    with pytest.raises(BuildError, match="ended unexpectedly"):
        in_child(_killed)
