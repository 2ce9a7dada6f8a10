"""Every alert in the catalogue, raised by its real condition, with its rendered remediation; auto-close;
notifications through a real SMTP server and a real webhook listener."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import CertificateBuilder, Name, NameAttribute, random_serial_number
from cryptography.x509.oid import NameOID

from azsbackup.events import EventSink
from azsbackup.service.backup import export_and_retain, run_backup
from azsbackup.service.catalog import list_backups
from azsbackup.service.controller import Controller
from tests.engine import Engine
from tests.fixtures.clock import fake_clock_scheduler
from tests.fixtures.listeners import (
    SMTP_PASSWORD,
    SMTP_USER,
    LoopbackCA,
    SecureSmtpSink,
    SmtpSink,
    WebhookSink,
    free_port,
)
from tests.fixtures.samba import SambaServer
from tests.service.test_jobs_and_lock import slow_component, start_backup, wait_for


def alerts(engine: Engine) -> dict[str, dict[str, Any]]:
    return {a["code"]: a for a in engine.run("alert", "list").json["alerts"]}


def failing_component(engine: Engine, name: str = "broken") -> None:
    engine.run(
        "component",
        "add",
        name,
        "--type",
        "command",
        "--dump-command",
        f"{sys.executable} -c \"import sys; sys.stderr.write('etcd unavailable'); sys.exit(4)\"",
    )


def good_component(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "good").mkdir(exist_ok=True)
    (tmp_path / "good" / "f.txt").write_text("ok")
    engine.run("component", "add", "good", "--type", "directory", "--path", str(tmp_path / "good"))


def test_backup_failed_and_partial_then_auto_close(configured: Engine, tmp_path: Path) -> None:
    failing_component(configured)
    configured.run("backup", "start", expect=2)
    failed = alerts(configured)["backup-failed"]
    assert failed["severity"] == "Critical" and "etcd unavailable" in failed["description"]
    assert "azsbackup job show" in failed["remediation"]

    configured.run("backup", "start", expect=2)
    assert alerts(configured)["backup-failed"]["count"] == 2  # a repeat updates, not duplicates

    good_component(configured, tmp_path)
    configured.run("backup", "start", expect=3)
    partial = alerts(configured)["partial-backup"]
    assert "failed: broken" in partial["description"] and "1 of 2" in partial["description"]

    configured.run("component", "remove", "broken")
    configured.run("backup", "start")
    assert alerts(configured) == {}
    closed = configured.run("alert", "list", "--all").json["alerts"]
    assert {a["code"] for a in closed if a["state"] == "Closed"} == {"backup-failed", "partial-backup"}


def test_closing_an_alert_by_hand(configured: Engine) -> None:
    failing_component(configured)
    configured.run("backup", "start", expect=2)
    failed = alerts(configured)["backup-failed"]
    configured.run("alert", "close", str(failed["id"]))
    assert alerts(configured) == {}
    # Closed, absent and out-of-range ids are refused with the documented codes, never a traceback.
    configured.run("alert", "close", str(failed["id"]), expect=14)
    configured.run("alert", "close", "999999", expect=14)
    for beyond_sqlite in (str(2**63), str(2**70), "0"):
        run = configured.run("alert", "close", beyond_sqlite, expect=10)
        assert "ALERT_ID" in run.stderr and "Traceback" not in run.stderr


def test_unknown_error_when_the_store_cannot_be_written(configured: Engine, tmp_path: Path) -> None:
    good_component(configured, tmp_path)
    configured.run("config", "get")  # creates the controller directory
    store = configured.home / "store"
    if store.is_dir():
        store.rmdir()
    store.write_text("not a directory")
    configured.run("backup", "start", expect=18)
    alert = alerts(configured)["unknown-error"]
    assert "azsbackup backup start" in alert["remediation"] and alert["severity"] == "Critical"


def test_share_conditions_render_their_facts(configured: Engine, smb_server: SambaServer, tmp_path: Path) -> None:
    good_component(configured, tmp_path)
    configured.run(
        "--secrets-stdin",
        "config",
        "set",
        "--path",
        smb_server.path("roshare", ""),
        "--username",
        smb_server.user,
        input=json.dumps({"password": smb_server.password}),
    )
    configured.run("backup", "start", expect=18)
    alert = alerts(configured)["cannot-write"]
    assert smb_server.path("roshare", "") in alert["description"] and smb_server.user in alert["description"]
    assert "read and write permission" in alert["remediation"]

    configured.run(
        "--secrets-stdin",
        "config",
        "set",
        "--path",
        smb_server.path("share", "nofolder"),
        input=json.dumps({"password": "Not-The-Password-1"}),
    )
    configured.run("backup", "start", expect=12)
    assert "--password-stdin" in alerts(configured)["authentication-failed"]["remediation"]

    configured.run("--secrets-stdin", "config", "set", input=json.dumps({"password": smb_server.password}))
    configured.run("backup", "start", expect=18)
    assert "Map the share" in alerts(configured)["invalid-path"]["remediation"]

    configured.run("config", "set", "--path", "smb://127.0.0.1:9/share/x")
    configured.run("backup", "start", expect=11)
    assert "TCP port 9" in alerts(configured)["share-unreachable"]["remediation"]


def test_share_full_and_almost_full(configured: Engine, fresh_smb_server: SambaServer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "noise.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    configured.run("component", "add", "data", "--type", "directory", "--path", str(data))
    configured.run(
        "--secrets-stdin",
        "config",
        "set",
        "--path",
        fresh_smb_server.path("tinyshare", ""),
        "--username",
        fresh_smb_server.user,
        input=json.dumps({"password": fresh_smb_server.password}),
    )
    configured.run("backup", "start")
    almost = alerts(configured)["share-almost-full"]
    assert almost["severity"] == "Warning" and "15 backups" in almost["description"]

    (data / "more.bin").write_bytes(os.urandom(20 * 1024 * 1024))
    configured.run("backup", "start", expect=18)
    full = alerts(configured)["share-full"]
    assert "Add capacity" in full["remediation"]


def test_export_failed_for_a_generic_transfer_fault(
    configured: Engine, fresh_smb_server: SambaServer, tmp_path: Path
) -> None:
    big = tmp_path / "big"
    big.mkdir()
    (big / "noise.bin").write_bytes(os.urandom(160 * 1024 * 1024))
    configured.run("component", "add", "big", "--type", "directory", "--path", str(big))
    fresh_smb_server.share_dir("share").joinpath("x").mkdir()
    configured.run(
        "--secrets-stdin",
        "config",
        "set",
        "--path",
        fresh_smb_server.path("share", "x"),
        "--username",
        fresh_smb_server.user,
        input=json.dumps({"password": fresh_smb_server.password}),
    )
    process = start_backup(configured)
    exported = fresh_smb_server.share_dir("share") / "x"
    wait_for(lambda: any(".partial-" in p.name for p in exported.rglob("*")), timeout=60)
    fresh_smb_server.stop()
    process.communicate(timeout=120)
    found = alerts(configured)
    assert "export-failed" in found and "share-unreachable" not in found  # one condition, one alert
    fresh_smb_server.start()


@contextlib.contextmanager
def running_scheduler(engine: Engine, log: Path, clock: str) -> Iterator[None]:
    """``scheduler run`` on the 4-hour schedule under ``clock`` (libfaketime), stopped by its PID afterwards."""
    engine.run("config", "set", "--scheduler", "--frequency-hours", "4")
    with fake_clock_scheduler(engine, log, clock):
        yield


def test_backup_skipped_when_the_scheduler_finds_a_backup_running(configured: Engine, tmp_path: Path) -> None:
    slow_component(configured, 12)  # outlasts the scheduler's start under a loaded machine
    configured.run("config", "set", "--scheduler", "--frequency-hours", "4")
    configured.run("scheduler", "status")  # the first slot is four hours from now; the scheduler starts at it
    manual = start_backup(configured)
    try:
        wait_for(lambda: (configured.home / "controller.lock.json").exists())
        with running_scheduler(configured, tmp_path / "scheduler.log", "+4h x1"):
            wait_for(lambda: "backup-skipped" in alerts(configured), timeout=20)
    finally:
        manual.communicate(timeout=60)
    skipped = alerts(configured)["backup-skipped"]
    assert "already running" in skipped["description"]
    jobs = configured.run("job", "list", "--status", "Skipped").json["jobs"]
    assert jobs and jobs[0]["trigger"] == "scheduled"


def test_backup_overdue_when_no_backup_succeeds(configured: Engine, tmp_path: Path) -> None:
    failing_component(configured)
    configured.run("component", "add", "also-broken", "--type", "command", "--dump-command", "false")
    configured.run("config", "set", "--scheduler", "--frequency-hours", "4")
    configured.run("scheduler", "status")  # the schedule starts now
    # Seven hours later no backup has succeeded: more than 1.5 periods of four hours.
    with running_scheduler(configured, tmp_path / "scheduler.log", "+7h x1"):
        wait_for(lambda: "backup-overdue" in alerts(configured), timeout=30)
    assert "scheduler status" in alerts(configured)["backup-overdue"]["remediation"]


def write_cert(path: Path, days_from_now: float) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = Name([NameAttribute(NameOID.COMMON_NAME, "expiry-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(random_serial_number())
        .not_valid_before(now - dt.timedelta(days=400))
        .not_valid_after(now + dt.timedelta(days=days_from_now))
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def test_certificate_expiring_and_expired(engine: Engine, tmp_path: Path) -> None:
    good_component(engine, tmp_path)
    write_cert(tmp_path / "soon.cer", 10)
    engine.run("config", "set", "--encryption-cert", str(tmp_path / "soon.cer"))
    engine.run("backup", "start")
    expiring = alerts(engine)["certificate-expiring"]
    assert "expiry-test" in expiring["description"] and "azsbackup cert new" in expiring["remediation"]

    write_cert(tmp_path / "old.cer", -1)
    engine.run("config", "set", "--encryption-cert", str(tmp_path / "old.cer"))
    engine.run("backup", "start")
    assert alerts(engine)["certificate-expired"]["severity"] == "Critical"

    write_cert(tmp_path / "new.cer", 365)
    engine.run("config", "set", "--encryption-cert", str(tmp_path / "new.cer"))
    engine.run("backup", "start")
    assert not {"certificate-expiring", "certificate-expired"} & set(alerts(engine))


def test_retention_failed_when_a_backup_cannot_be_deleted(configured: Engine, tmp_path: Path) -> None:
    """A file pinned by a bind mount cannot be unlinked: retention reports it and carries on."""
    good_component(configured, tmp_path)
    controller = Controller(configured.home)
    events = EventSink()
    first = run_backup(controller, events).id
    run_backup(controller, events)
    pinned = configured.home / "store" / first / "good.azsb"
    decoy = tmp_path / "decoy"
    decoy.write_bytes(b"")
    subprocess.run(["mount", "--bind", str(decoy), str(pinned)], check=True, capture_output=True)
    try:
        newest = list_backups(controller)[-1]
        export_and_retain(controller, newest, "job", events, [], now=dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    finally:
        subprocess.run(["umount", str(pinned)], check=True, capture_output=True)
    alert = alerts(configured)["retention-failed"]
    assert first in alert["description"] and "internal store" in alert["description"]
    assert "azsbackup prune" in alert["remediation"]
    configured.run("prune")
    assert not (configured.home / "store" / first).exists()


def test_notifications_reach_smtp_and_webhook_and_never_fail_a_backup(
    configured: Engine, tmp_path: Path, smtp_server: SmtpSink, webhook_server: WebhookSink
) -> None:
    configured.run(
        "config",
        "set",
        "--smtp-server",
        f"127.0.0.1:{smtp_server.port}",
        "--smtp-from",
        "azsbackup@contoso.com",
        "--smtp-to",
        "ops@contoso.com",
        "--webhook-url",
        webhook_server.url,
    )
    failing_component(configured)
    configured.run("backup", "start", expect=2)
    assert smtp_server.received.wait(10) and webhook_server.received.wait(10)
    assert smtp_server.messages[0]["Subject"] == "[azsbackup CRITICAL] Backup failed"
    assert webhook_server.bodies[0]["event"] == "alert.raised"
    assert webhook_server.bodies[0]["alert"]["code"] == "backup-failed"

    configured.run("component", "remove", "broken")
    configured.run("backup", "start")
    deadline = time.monotonic() + 10
    while len(webhook_server.bodies) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert webhook_server.bodies[-1]["event"] == "alert.closed"
    assert smtp_server.messages[-1]["Subject"].startswith("[azsbackup RESOLVED]")

    configured.run(
        "config",
        "set",
        "--smtp-server",
        f"127.0.0.1:{free_port()}",
        "--webhook-url",
        f"http://127.0.0.1:{free_port()}/nobody",
    )
    failing_component(configured, "broken-again")
    result = configured.run("backup", "start", expect=2)
    warnings = [e for e in result.events() if e["type"] == "warning" and e["code"] == "notification-failed"]
    assert len(warnings) == 2
    assert result.json["status"] == "Failed" and result.json["id"]  # recorded and stored despite the notifiers


def test_notifications_over_starttls_with_a_login_and_an_https_webhook(
    configured: Engine, secure_smtp_server: SecureSmtpSink, https_webhook_server: WebhookSink, loopback_ca: LoopbackCA
) -> None:
    """The configured path end to end: STARTTLS required, AUTH only over TLS, the password from the secrets file."""
    configured.env["SSL_CERT_FILE"] = str(loopback_ca.ca_file)  # the machine's trust store, as an operator sets it
    configured.run(
        "config",
        "set",
        "--smtp-server",
        f"127.0.0.1:{secure_smtp_server.port}",
        "--smtp-from",
        "azsbackup@contoso.com",
        "--smtp-to",
        "ops@contoso.com",
        "--smtp-starttls",
        "--smtp-username",
        SMTP_USER,
        "--webhook-url",
        https_webhook_server.url,
        env={"AZSBACKUP_SMTP_PASSWORD": SMTP_PASSWORD},
    )
    failing_component(configured)
    result = configured.run("backup", "start", expect=2)
    assert not [e for e in result.events() if e.get("code") == "notification-failed"], result.stderr
    assert secure_smtp_server.received.wait(10) and https_webhook_server.received.wait(10)
    assert secure_smtp_server.logins == [(SMTP_USER, True)]
    assert secure_smtp_server.messages[0]["Subject"] == "[azsbackup CRITICAL] Backup failed"
    assert https_webhook_server.bodies[0]["alert"]["code"] == "backup-failed"
    assert SMTP_PASSWORD not in (configured.home / "state.db").read_bytes().decode("latin-1")
