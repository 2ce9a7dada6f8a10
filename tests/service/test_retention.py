"""Retention on both places with a controllable clock: older backups go, the newest complete one stays."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from azsbackup.events import EventSink
from azsbackup.service.backup import export_and_retain, run_backup
from azsbackup.service.catalog import list_backups
from azsbackup.service.controller import Controller
from tests.engine import Engine
from tests.fixtures.samba import SambaServer


def test_retention_deletes_old_backups_from_store_and_share(
    configured: Engine, smb_server: SambaServer, tmp_path: Path
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f").write_text("x")
    configured.run("component", "add", "src", "--type", "directory", "--path", str(tmp_path / "src"))
    smb_server.share_dir("share").joinpath("ret").mkdir()
    configured.run(
        "--secrets-stdin",
        "config",
        "set",
        "--path",
        smb_server.path("share", "ret"),
        "--username",
        smb_server.user,
        "--retention-days",
        "3",
        input=json.dumps({"password": smb_server.password}),
    )
    controller = Controller(configured.home)
    events = EventSink()
    ids = [run_backup(controller, events).id for _ in range(3)]
    share = smb_server.share_dir("share") / "ret" / "MASBackup"
    assert sorted(p.name for p in share.iterdir()) == ids

    newest = list_backups(controller)[-1]
    export_and_retain(controller, newest, "job", events, [], now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    assert [r.id for r in list_backups(controller)] == ids  # within 3 days: all kept

    export_and_retain(controller, newest, "job", events, [], now=dt.datetime.now(dt.UTC) + dt.timedelta(days=10))
    assert [r.id for r in list_backups(controller)] == [ids[-1]]  # all too old, but the newest complete one stays
    assert sorted(p.name for p in share.iterdir()) == [ids[-1]]

    configured.run("config", "set", "--retention-days", "2")  # lowering retention applies at the next run
    assert configured.run("backup", "start").json["status"] == "Succeeded"
