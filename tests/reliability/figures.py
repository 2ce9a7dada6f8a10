"""The figures the reliability suite reports: trials run, faults injected, cases fuzzed, detected and lost.

A test calls :func:`record` with what it measured. The session prints every figure at the end of the
run (``pytest_terminal_summary`` in ``tests/conftest.py``), and when ``AZSBACKUP_FIGURES`` names a
file at start-up the figures are appended to it as JSON lines, which ``scripts/reliability-report.py``
turns into the table of ``docs/reliability.md``.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

FIGURES_ENV = "AZSBACKUP_FIGURES"
_OUTPUT = os.environ.get(FIGURES_ENV)  # read at import: the per-test fixture clears AZSBACKUP_* variables
_RECORDED: list[dict[str, object]] = []


def floor_in_ci(name: str, documented: int) -> int:
    """A trial or case count: ``name`` from the environment raises it for a soak run; under CI it never lowers it.

    The figures in docs/reliability.md are what CI proves, so an environment left with a small count (a quick
    local run) must not make CI prove less.
    """
    value = int(os.environ.get(name, documented))
    return max(value, documented) if os.environ.get("CI") else value


def record(test: str, summary: str, **figures: object) -> None:
    """Report ``figures`` of ``test`` (a short id such as ``crash/backup``) with a one-line ``summary``."""
    entry: dict[str, object] = {"test": test, "summary": summary, **figures}
    _RECORDED.append(entry)
    if _OUTPUT:
        with open(_OUTPUT, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry, sort_keys=True) + "\n")


def recorded() -> list[dict[str, object]]:
    return list(_RECORDED)


class CaseCounter(Counter[str]):
    """Counts the examples hypothesis ran per test, so fuzzing reports cases, not just a pass."""

    def report(self, test: str, **more: object) -> None:
        total = sum(self.values())
        parts = ", ".join(f"{name} {count}" for name, count in sorted(self.items()))
        extra = "".join(f"; {name.replace('_', ' ')}: {value}" for name, value in more.items())
        record(test, f"{total} cases ({parts}), only engine errors{extra}", cases=total, per_target=dict(self), **more)


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as elapsed:`` … ``elapsed[0]`` is the wall time in seconds afterwards."""
    elapsed = [0.0]
    started = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - started
