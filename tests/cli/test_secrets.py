"""The share password never leaves the secrets file: not in output, logs, JSON, state, reports, metrics or backups."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.cli.test_roundtrip import key_args
from tests.engine import Engine, Run
from tests.fixtures.controllers import CertPair

SENTINEL = "S3ntinel-Pa55word-7f3a9c"


def assert_clean(run: Run) -> None:
    assert SENTINEL not in run.stdout and SENTINEL not in run.stderr, str(run)


def files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and needle in p.read_bytes()]


def test_password_appears_nowhere(engine: Engine, cert_pair: CertPair, tmp_path: Path) -> None:
    (tmp_path / "share").mkdir()
    runs = [
        engine.run(
            "config",
            "set",
            "--path",
            str(tmp_path / "share"),
            "--username",
            r"CONTOSO\backup",
            "--password-stdin",
            "--encryption-cert",
            str(cert_pair.cer),
            input=SENTINEL + "\n",
        ),
        engine.run(
            "--secrets-stdin",
            "config",
            "set",
            "--username",
            "backup@contoso.com",
            input=json.dumps({"password": SENTINEL}),
        ),
        engine.run("config", "get"),
        engine.run("config", "get", json_mode=False),
        engine.run("config", "set", "--frequency-hours", "99", expect=10),
        engine.run("config", "set", "--path", "bad", "--password-stdin", input=SENTINEL + "\n", expect=10),
        engine.run(
            "--secrets-stdin",
            "config",
            "set",
            input=json.dumps({"password": SENTINEL, "x": SENTINEL}),
            expect=10,
        ),
        engine.run("--secrets-stdin", "config", "set", input="{not json " + SENTINEL, expect=10),
    ]
    source = tmp_path / "tree"
    source.mkdir()
    (source / "f.txt").write_text("data")
    runs.append(engine.run("component", "add", "tree", "--type", "directory", "--path", str(source)))
    backup = engine.run("backup", "start")
    runs += [backup, engine.run("backup", "list"), engine.run("backup", "show", backup.json["id"])]
    restored = tmp_path / "restored"
    runs.append(
        engine.run(
            "restore",
            backup.json["id"],
            *key_args(cert_pair),
            "--component",
            "controller",
            "--to",
            str(restored),
            input=cert_pair.password + "\n",
        )
    )
    backup_id = backup.json["id"]
    engine.run("config", "set", "--path", str(tmp_path / "gone"))  # the next export fails and raises an alert
    runs.append(engine.run("backup", "start", expect=18))
    report = tmp_path / "report.html"
    runs += [
        engine.run("backup", "verify", backup_id),
        engine.run("backup", "verify", backup_id, "--deep", *key_args(cert_pair), input=cert_pair.password + "\n"),
        engine.run("location", "test", expect=18),
        engine.run("job", "list"),
        engine.run("alert", "list"),
        engine.run("metrics", json_mode=False),
        engine.run("report", "--html", str(report)),
        engine.run("--debug", "backup", "show", "no-such-id", expect=10),
    ]
    for run in runs:
        assert_clean(run)
    assert SENTINEL not in report.read_text(encoding="utf-8")

    secrets_file = engine.home / "secrets.json"
    assert SENTINEL in secrets_file.read_text(), "the password was stored"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((engine.home / "signing.key").stat().st_mode) == 0o600
    leaked = [p for p in files_containing(engine.home, SENTINEL.encode()) if p != secrets_file]
    assert leaked == []
    assert (restored / "controller" / "state.db").exists()
    assert files_containing(restored, SENTINEL.encode()) == []
    assert not (restored / "controller" / "secrets.json").exists()
