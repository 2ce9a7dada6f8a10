"""``location test --path``: a candidate share or folder is tested before it is configured, and nothing is saved."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from azsbackup.state.config_view import SETTINGS_KEY
from azsbackup.storage.probe import CHECK_NAMES
from tests.cli.test_export import configure_share
from tests.engine import Engine, Run
from tests.fixtures.samba import SambaServer

ALL_CHECKS = list(CHECK_NAMES)


def saved_state(engine: Engine) -> tuple[bytes, bytes, str]:
    """The stored configuration row, the secrets file and `config get`, to compare byte for byte."""
    with sqlite3.connect(engine.home / "state.db") as db:
        row = db.execute("SELECT value FROM settings WHERE key = ?", (SETTINGS_KEY,)).fetchone()
    db.close()
    secrets = engine.home / "secrets.json"
    return (
        (row[0] if row else "").encode(),
        secrets.read_bytes() if secrets.exists() else b"",
        engine.run("config", "get").stdout,
    )


def test_candidate_share_with_each_password_route(configured: Engine, smb_server: SambaServer, tmp_path: Path) -> None:
    configure_share(configured, smb_server, "share", "configured")
    smb_server.share_dir("encshare").joinpath("candidate").mkdir(exist_ok=True)
    candidate = ["location", "test", "--path", smb_server.path("encshare", "candidate"), "--username", smb_server.user]
    before = saved_state(configured)
    assert json.loads(before[0])["path"] == smb_server.path("share", "configured")

    runs: list[Run] = [
        configured.run(*candidate, "--password-stdin", input=smb_server.password + "\n"),
        configured.run("--secrets-stdin", *candidate, input=json.dumps({"password": smb_server.password})),
        configured.run(*candidate, env={"AZSBACKUP_PASSWORD": smb_server.password}),
    ]
    for run in runs:
        doc = run.json
        assert doc["status"] == "Succeeded" and doc["error"] is None, str(run)
        assert doc["path"] == smb_server.path("encshare", "candidate")
        assert [c["name"] for c in doc["checks"]] == ALL_CHECKS and all(c["ok"] for c in doc["checks"])
        assert "encrypted" in doc["checks"][2]["detail"]
        assert smb_server.password not in run.stdout + run.stderr
    assert list(smb_server.share_dir("encshare").joinpath("candidate").iterdir()) == [], "the probe file is gone"
    assert saved_state(configured) == before, "testing a candidate changes nothing stored"

    configured_test = configured.run("location", "test").json
    assert configured_test["path"] == smb_server.path("share", "configured")


@pytest.mark.parametrize(
    ("share", "password", "code", "exit_code", "failed_check"),
    [
        ("share", "not-the-password", "authentication-failed", 12, "logged on"),
        ("no-such-share", None, "invalid-path", 18, "folder"),
    ],
)
def test_candidate_share_failures(
    configured: Engine,
    smb_server: SambaServer,
    share: str,
    password: str | None,
    code: str,
    exit_code: int,
    failed_check: str,
) -> None:
    before = saved_state(configured)
    run = configured.run(
        "location",
        "test",
        "--path",
        smb_server.path(share, "candidate"),
        "--username",
        smb_server.user,
        "--password-stdin",
        input=(password or smb_server.password) + "\n",
        expect=exit_code,
    )
    doc = run.json
    assert doc["status"] == "Failed" and doc["error"]["code"] == code, str(run)
    assert doc["checks"][-1] == {**doc["checks"][-1], "name": failed_check, "ok": False}
    assert smb_server.password not in run.stdout + run.stderr
    assert saved_state(configured) == before


def test_candidate_local_folder_on_an_unconfigured_controller(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    engine.run("config", "get")
    before = saved_state(engine)
    doc = engine.run("location", "test", "--path", str(folder)).json
    assert doc["status"] == "Succeeded" and doc["path"] == str(folder)
    assert [c["name"] for c in doc["checks"]] == ALL_CHECKS[3:], "no SMB session to check"
    assert list(folder.iterdir()) == []
    missing = engine.run("location", "test", "--path", str(tmp_path / "missing"), expect=18).json
    assert missing["error"]["code"] == "invalid-path"
    assert saved_state(engine) == before
    engine.error("location", "test", code="not-configured", exit_code=10)


def test_candidate_options_need_a_path(engine: Engine) -> None:
    engine.error("location", "test", "--username", "backup", code="invalid-value", exit_code=10)
    engine.error("location", "test", "--path", "not a path", code="invalid-value", exit_code=10)
