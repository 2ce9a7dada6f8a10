"""Commands run inside a longer-lived process release what they open when they finish."""

from __future__ import annotations

import contextlib
import gc
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from azsbackup.cli import run
from azsbackup.fastpath import answer


@pytest.fixture
def no_garbage_collector() -> Iterator[None]:
    """The CLI's per-command state sits in a reference cycle: only a deterministic close frees it
    while the collector is off, so a leaked connection shows up as a WAL file left behind."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.parametrize(
    "argv",
    [
        ["alert", "list"],
        ["job", "list"],
        ["trust", "list"],
        ["alert", "close", "1"],  # fails with not-found after opening the database
        ["config", "set", "--frequency-hours", "0"],  # refused before anything is written
    ],
)
def test_the_state_database_is_closed_when_a_command_ends(
    argv: list[str], tmp_path: Path, no_garbage_collector: None
) -> None:
    home = tmp_path / "home"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        run(["--home", str(home), "--json", *argv])
    assert not (home / "state.db-wal").exists(), f"azsbackup {' '.join(argv)} left the state database open"


def test_the_lean_query_closes_the_state_database(tmp_path: Path, no_garbage_collector: None) -> None:
    home = tmp_path / "home"
    with contextlib.redirect_stdout(io.StringIO()):
        assert answer(["--json", "--home", str(home), "config", "get"]) == 0
    assert not (home / "state.db-wal").exists()
