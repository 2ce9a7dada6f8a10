"""One export makes a number of storage calls linear in the backups it handles, never quadratic.

Every storage call on an SMB share is at least one round trip, so the calls an
export makes are its share traffic. The location here is a real local
directory behind a wrapper that counts every call made on it.
"""

from __future__ import annotations

import collections
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from azsbackup import storage
from azsbackup.events import EventSink
from azsbackup.service.backup import export_and_retain
from azsbackup.service.catalog import list_backups
from azsbackup.service.controller import Controller
from azsbackup.storage.base import Location
from azsbackup.storage.paths import Credentials, LocationSpec
from tests.engine import Engine
from tests.reliability.test_scale import clone_catalogue

BACKUPS = 200
CALLS_PER_BACKUP = 12
"""A generous linear bound: copying one backup of one small archive takes about eight calls."""


class CountingLocation:
    """Delegates to a real location and counts each call by method name."""

    def __init__(self, inner: Location, calls: collections.Counter[str]) -> None:
        self._inner = inner
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls[name] += 1
            return attribute(*args, **kwargs)

        return counted


def test_an_export_of_200_backups_makes_linearly_many_storage_calls(
    configured: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, share = tmp_path / "small", tmp_path / "share"
    source.mkdir()
    share.mkdir()
    (source / "app.conf").write_text("x = 1\n")
    configured.run("component", "add", "small", "--type", "directory", "--path", str(source))
    template_id = configured.run("backup", "start").json["id"]
    configured.run("config", "set", "--path", str(share), "--retention-days", "14")
    controller = Controller(configured.home)
    clone_catalogue(controller, template_id, BACKUPS)
    records = list_backups(controller)
    assert len(records) == BACKUPS

    calls: collections.Counter[str] = collections.Counter()
    opener = storage.open_location

    def counting_open(spec: LocationSpec, credentials: Credentials, **kwargs: Any) -> Location:
        return CountingLocation(opener(spec, credentials, **kwargs), calls)  # type: ignore[return-value]

    monkeypatch.setattr(storage, "open_location", counting_open)
    export = export_and_retain(controller, records[-1], "job", EventSink(), [], now=dt.datetime.now(dt.UTC))

    assert export["status"] == "Succeeded", export
    exported = len(list((share / "MASBackup").iterdir()))
    assert exported >= BACKUPS // 2, exported
    total = sum(calls.values())
    assert total <= CALLS_PER_BACKUP * BACKUPS, (
        f"{total} storage calls for an export of {BACKUPS} backups ({exported} copied), more than "
        f"{CALLS_PER_BACKUP} per backup; by method: {dict(calls.most_common())}"
    )
