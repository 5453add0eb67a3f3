"""A one-off job in a process of its own (``in_child``): its answer and its errors come
back as if it had run here, and the memory it took does not stay here; jobs shared between
forked workers (``in_workers``), listed as they are taken."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from pledge_graph.build.parallel import in_child, in_workers
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


def _times_ten(job: int) -> tuple[int, int]:
    return job * 10, os.getpid()


def test_jobs_listed_by_a_generator_all_run_in_the_workers():
    """The export lists most of its resources while the workers write the first ones."""
    def jobs():
        yield from (1, 2)
        yield from range(3, 40)

    done = list(in_workers(_times_ten, jobs(), 2, ordered=False))
    assert sorted(value for value, _ in done) == [i * 10 for i in range(1, 40)]
    assert os.getpid() not in {pid for _, pid in done}


def test_an_error_while_listing_the_jobs_reaches_the_caller():
    def jobs():
        yield from (1, 2)
        raise RecordError("cannot list the resources", expected="a readable store")

    with pytest.raises(RecordError, match="cannot list"):
        list(in_workers(_times_ten, jobs(), 2, ordered=False))
