"""Shared test fixtures. Component fixtures (Samba, Azurite, SMTP, WinRM endpoint) live in tests/fixtures/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.azurite",
    "tests.fixtures.controllers",
    "tests.fixtures.listeners",
    "tests.fixtures.samba",
    "tests.fixtures.winrm",
]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's controller or secrets from the environment."""
    for name in list(os.environ):
        if name.startswith("AZSBACKUP_"):
            monkeypatch.delenv(name)
    yield


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh controller state directory, selected through AZSBACKUP_HOME."""
    path = tmp_path / "controller"
    monkeypatch.setenv("AZSBACKUP_HOME", str(path))
    return path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures the reliability tests recorded (trials, faults, cases, detected / lost)."""
    from tests.reliability.figures import recorded

    figures = recorded()
    if not figures:
        return
    terminalreporter.section("azsbackup reliability figures")
    for entry in figures:
        terminalreporter.write_line(f"{entry['test']:<28} {entry['summary']}")
