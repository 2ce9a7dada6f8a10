"""A provider that fails with an unexpected exception: the backup goes on, and the job's events hold where it
was raised (the traceback), never what the exception said (which may hold a secret)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from azsbackup import providers
from azsbackup.events import EventSink
from azsbackup.items import ItemSink, ItemSource
from azsbackup.providers.base import ProviderContext, RestoreDestination
from azsbackup.service.backup import run_backup
from azsbackup.service.components import add_component
from azsbackup.service.controller import Controller
from azsbackup.service.jobs import recorded_job, show_job
from tests.engine import Engine

SECRET = "Sup3r-s3cret-share-passw0rd"


class BuggyProvider:
    """Fails the way a provider with a bug fails: an exception that is no AzsBackupError, carrying a secret."""

    type_name: ClassVar[str] = "buggy"

    def __init__(self, component: str) -> None:
        self.component = component

    @classmethod
    def from_settings(cls, component: str, settings: Mapping[str, object]) -> BuggyProvider:
        return cls(component)

    def settings(self) -> dict[str, object]:
        return {}

    def describe(self) -> str:
        return "fails"

    def backup(self, sink: ItemSink, ctx: ProviderContext) -> None:
        self._log_on({"user": "admin"})

    def _log_on(self, account: dict[str, str]) -> None:
        try:
            account["password"]
        except KeyError as exc:
            raise RuntimeError(f"log-on of {account['user']} with {SECRET} failed") from exc

    def _parse(self, text: str) -> int:
        return int(text)

    def restore(self, source: ItemSource, dest: RestoreDestination, ctx: ProviderContext) -> Path:
        raise NotImplementedError


def test_an_unexpected_provider_exception_is_recorded_with_its_traceback_and_without_secrets(
    configured: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(providers.PROVIDER_TYPES, "buggy", f"{__name__}:BuggyProvider")
    controller = Controller(configured.home)
    add_component(controller, "buggy", "buggy", {})
    shown: list[dict[str, object]] = []
    record = run_backup(controller, EventSink(shown.append))

    assert record.status == "Failed"  # the controller's own component still succeeded
    job_id = controller.db.execute("SELECT id FROM jobs WHERE kind = 'backup'").fetchone()["id"]
    job = show_job(controller, job_id)
    errors = [e for e in job["events"] if e.get("type") == "error" and e.get("component") == "buggy"]
    assert len(errors) == 1, job["events"]
    trace = errors[0].get("traceback")
    assert trace, f"the job's error event has no traceback: {errors[0]}"
    text = "\n".join(trace)
    assert "RuntimeError" in text and "KeyError" in text, text  # the exception and its cause
    assert f"{Path(__file__).name}" in text and "in _log_on" in text, text  # where it was raised
    everything = json.dumps(job) + json.dumps(shown, default=str) + json.dumps(record.to_dict())
    assert SECRET not in everything, "the exception's secret-bearing message was recorded"


def test_an_unexpected_exception_ending_a_job_is_recorded_with_its_traceback_and_without_secrets(
    configured: Engine,
) -> None:
    controller = Controller(configured.home)
    with pytest.raises(ValueError), recorded_job(controller, "verify", EventSink()) as job:
        BuggyProvider("x")._parse(SECRET)

    shown = show_job(controller, job.id)
    assert shown["status"] == "Failed"
    errors = [e for e in shown["events"] if e.get("type") == "error"]
    assert len(errors) == 1 and "in _parse" in "\n".join(errors[0]["traceback"]), shown["events"]
    assert SECRET not in json.dumps(shown)
