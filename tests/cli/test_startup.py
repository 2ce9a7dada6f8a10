"""The lean start of ``--json config get``: the same document as the full command line, without its weight."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from azsbackup.crypto.signing import fingerprint
from azsbackup.service.configure import configuration_document
from azsbackup.service.controller import Controller, public_key_fingerprint
from azsbackup.state import config as config_state
from azsbackup.state import config_view
from azsbackup.state.config_view import host_name
from azsbackup.state.db import transaction
from tests.engine import Engine
from tests.fixtures.controllers import CertPair

FULL_COMMAND_LINE = "import sys; from azsbackup.cli import run; sys.exit(run(sys.argv[1:]))"
NEVER_ON_THE_LEAN_PATH = (
    "click",
    "cryptography",
    "nacl",
    "zstandard",
    "jinja2",
    "smbprotocol",
    "smbclient",
    "pypsrp",
    "spnego",
    "filelock",
    "platformdirs",
    "azsbackup.archive",
    "azsbackup.storage",
    "azsbackup.providers",
    "azsbackup.crypto",
    # What the lean start avoids on purpose: each costs a large part of the interpreter's own start.
    "dataclasses",  # with inspect: the configuration is read as JSON values (azsbackup.state.config_view)
    "azsbackup.model",
    "azsbackup.state.config",
    "azsbackup.errors",  # imported where an error is raised; the query raises none
)


GLOBAL_OPTIONS = [
    pytest.param(["--json"], id="json"),
    pytest.param(["--json", "--log-json"], id="as-the-powershell-module-sends-it"),
    pytest.param(["--log-json", "--json"], id="any-order"),
    pytest.param(["--json", "--home", "{home}"], id="home"),
    pytest.param(["--home={home}", "--log-json", "--json"], id="home="),
]


def _options(words: list[str], engine: Engine) -> list[str]:
    return [word.format(home=engine.home) for word in words]


@pytest.mark.parametrize("options", GLOBAL_OPTIONS)
def test_the_lean_start_prints_what_the_full_command_line_prints(configured: Engine, options: list[str]) -> None:
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(configured.home.parent))
    options = _options(options, configured)
    lean = subprocess.run(
        [sys.executable, "-m", "azsbackup", *options, "config", "get"],
        env=configured.env,
        capture_output=True,
        text=True,
        check=True,
    )
    full = subprocess.run(
        [sys.executable, "-c", FULL_COMMAND_LINE, *options, "config", "get"],
        env=configured.env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert (lean.stdout, lean.stderr) == (full.stdout, full.stderr)
    document = json.loads(lean.stdout)
    assert document["encryption_cert"] and document["signing_key_fingerprint"].startswith("SHA256:")


@pytest.mark.parametrize("options", GLOBAL_OPTIONS)
def test_the_lean_start_loads_no_framework_and_no_cryptography(configured: Engine, options: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "azsbackup", *_options(options, configured), "config", "get"],
        env=configured.env,
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "azsbackup.service.configure" in imported
    loaded = sorted(m for m in imported if any(m == n or m.startswith(n + ".") for n in NEVER_ON_THE_LEAN_PATH))
    assert loaded == [], loaded


def _document_as_the_dataclasses_give_it(controller: Controller) -> dict[str, Any]:
    """``config get`` as it was built before the lean reading: from :meth:`Controller.config`."""
    config = controller.config()
    document = configuration_document(controller)
    return {
        **document,
        "path": config.path,
        "username": config.username,
        "encryption_cert": config.encryption_cert.public_view() if config.encryption_cert else None,
        "recipient_certs": [r.public_view() for r in config.recipient_certs],
        "frequency_hours": config.frequency_hours,
        "retention_days": config.retention_days,
        "scheduler_enabled": config.scheduler_enabled,
        "allow_unencrypted": config.allow_unencrypted,
        "allow_insecure_http": config.allow_insecure_http,
        "blob_api_version": config.blob_api_version,
        "notifications": {
            "smtp": dict(config.notifications.get("smtp") or {}) or None,
            "webhook": config.notifications.get("webhook"),
            "alertmanager": config.notifications.get("alertmanager") or [],
        },
        "controller_name": config.controller_name or host_name(),
        "read_back": config.read_back,
        "verify_max_bytes": config.verify_max_bytes,
    }


def test_the_lean_reading_gives_what_the_dataclasses_give(
    configured: Engine, other_cert_pair: CertPair, tmp_path: Path
) -> None:
    configured.run(
        "config",
        "set",
        "--path",
        str(tmp_path / "share"),
        "--username",
        "CONTOSO\\backup",
        "--add-recipient-cert",
        str(other_cert_pair.cer),
        "--frequency-hours",
        "6",
        "--retention-days",
        "3",
        "--allow-unencrypted",
        "--smtp-server",
        "mail.example.test:2525",
        "--smtp-to",
        "ops@example.test",
        "--webhook-url",
        "https://hooks.example.test/azs",
        "--alertmanager-url",
        "http://am.example.test:9093",
        "--controller-name",
        "azs-ctl01",
        "--read-back",
        "--verify-max-bytes",
        "512M",
    )
    controller = Controller(configured.home)
    lean = configuration_document(controller)
    assert lean == _document_as_the_dataclasses_give_it(controller)
    assert lean["recipient_certs"] and lean["notifications"]["smtp"]["port"] == 2525
    assert (lean["read_back"], lean["verify_max_bytes"]) == (True, 512 << 20)
    assert config_view.load_document(controller.db) == json.loads(controller.config().to_json())


def test_defaults_and_unknown_fields_read_the_same_both_ways(tmp_path: Path) -> None:
    controller = Controller(tmp_path / "controller")
    assert config_view.defaults() == json.loads(config_state.BackupConfiguration().to_json())
    assert config_view.load_document(controller.db) == json.loads(controller.config().to_json())  # no row yet
    # A document from another engine version: a field missing, one this version does not know.
    stored = {"path": "/srv/backups", "frequency_hours": 8, "from_the_future": True}
    with transaction(controller.db) as db:
        db.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (config_view.SETTINGS_KEY, json.dumps(stored)))
    assert config_view.load_document(controller.db) == json.loads(controller.config().to_json())
    assert configuration_document(controller) == _document_as_the_dataclasses_give_it(controller)


def test_the_lean_fingerprint_is_the_signing_fingerprint(tmp_path: Path) -> None:
    for key in (b"", bytes(32), os.urandom(32), os.urandom(33)):
        assert public_key_fingerprint(key) == fingerprint(key)
    controller = Controller(tmp_path / "controller")
    assert controller.signing_fingerprint == controller.signing_key.fingerprint


def test_anything_else_takes_the_full_command_line(configured: Engine) -> None:
    """Errors, human output and other commands are the full command line's: rendering never differs."""
    human = configured.run("config", "get", json_mode=False)
    assert "Signing key" in human.stdout
    not_a_directory = str(configured.home / "state.db")
    error = subprocess.run(
        [sys.executable, "-m", "azsbackup", "--json", "--home", not_a_directory, "config", "get"],
        env=configured.env,
        capture_output=True,
        text=True,
    )
    document = json.loads(error.stdout)  # one document: the lean start printed nothing before giving up
    assert error.returncode == document["exit_code"] != 0 and document["type"] == "error"
    assert "Traceback" not in error.stderr


# --- the Get- cmdlets' queries: backup list, backup show, job list, alert list -------------------------------


@dataclass(frozen=True)
class Busy:
    """A controller with a history: backups that succeeded with warnings, partly failed, failed and were
    exported; jobs of several kinds (one whose process died while it ran); alerts open and closed."""

    engine: Engine
    warned: str
    partial: str
    failed: str
    export_failed: str
    exported: str


def _tree(root: Path, name: str) -> Path:
    """A small tree; its FIFO and an undecodable name make the backup's warnings (subject_b64 included)."""
    tree = root / name
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "app.conf").write_text("answer = 42\n")
    odd = os.path.join(os.fsencode(tree), b"caf\xe9")
    os.makedirs(odd)
    os.mkfifo(os.path.join(odd, b"fifo"))
    return tree


def _backup(engine: Engine, expect: int) -> str:
    return str(engine.run("backup", "start", expect=expect).json["id"])


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory, cert_pair: CertPair) -> Busy:
    root = tmp_path_factory.mktemp("busy")
    engine = Engine(root / "controller")
    engine.run("config", "set", "--encryption-cert", str(cert_pair.cer))
    engine.run("component", "add", "tree", "--type", "directory", "--path", str(_tree(root, "tree")))
    warned = _backup(engine, expect=1)  # succeeded with warnings
    engine.run("component", "add", "gone", "--type", "directory", "--path", str(root / "missing"))
    partial = _backup(engine, expect=3)  # raises a backup-failure alert
    engine.run("component", "remove", "tree")
    failed = _backup(engine, expect=2)
    engine.run("component", "remove", "gone")
    engine.run("component", "add", "tree", "--type", "directory", "--path", str(_tree(root, "tree2")))
    (root / "share").mkdir()
    engine.run("config", "set", "--path", str(root / "share"))
    exported = _backup(engine, expect=1)  # exports every backup; closes the failure alerts
    engine.run("backup", "verify", exported)
    engine.run("prune", "--dry-run")
    engine.run("component", "add", "gone", "--type", "directory", "--path", str(root / "missing"))
    shutil.rmtree(root / "share")
    export_failed = _backup(engine, expect=3)  # partly failed, and its export too: alerts open again
    controller = Controller(engine.home)
    with transaction(controller.db) as db:  # a job whose process died: shown as Interrupted
        owner = json.dumps({"pid": 2**22 + 1, "host": socket.gethostname()})  # above Linux's pid_max
        db.execute(
            "INSERT INTO jobs (id, kind, trigger, status, started, result) VALUES (?, 'restore', 'manual', "
            "'Running', '2026-01-02T03:04:05Z', ?)",
            ("20260102T030405.000Z-00000001", owner),
        )
    controller.close()
    alerts = engine.run("alert", "list", "--all").json["alerts"]
    assert {a["state"] for a in alerts} == {"Active", "Closed"}, alerts
    return Busy(engine, warned, partial, failed, export_failed, exported)


QUERIES = [
    pytest.param(["backup", "list"], id="backup-list"),
    pytest.param(["backup", "show", "{partial}"], id="backup-show-partial"),
    pytest.param(["backup", "show", "{warned}"], id="backup-show-warnings"),
    pytest.param(["backup", "show", "{failed}"], id="backup-show-failed"),
    pytest.param(["backup", "show", "{exported}"], id="backup-show-exported"),
    pytest.param(["backup", "show", "{export_failed}"], id="backup-show-export-failed"),
    pytest.param(["job", "list"], id="job-list"),
    pytest.param(["job", "list", "--kind", "backup", "--status", "PartialSucceeded"], id="job-list-kind-status"),
    pytest.param(["job", "list", "--status", "Interrupted"], id="job-list-interrupted"),
    pytest.param(["job", "list", "--limit", "2", "--offset=1"], id="job-list-page"),
    pytest.param(["job", "list", "--since", "2026-01-02T03:04:05Z", "--kind", "restore"], id="job-list-since"),
    pytest.param(["alert", "list"], id="alert-list"),
    pytest.param(["alert", "list", "--all"], id="alert-list-all"),
]
QUERY_OPTIONS = [
    pytest.param(["--json"], id="json"),
    pytest.param(["--json", "--log-json"], id="as-the-powershell-module-sends-it"),
    pytest.param(["--log-json", "--home", "{home}", "--json"], id="home"),
]


def _words(words: list[str], busy: Busy) -> list[str]:
    ids = {name: getattr(busy, name) for name in ("warned", "partial", "failed", "export_failed", "exported")}
    return [word.format(home=busy.engine.home, **ids) for word in words]


def _both_ways(busy: Busy, argv: list[str]) -> tuple[subprocess.CompletedProcess[bytes], ...]:
    """``argv`` through the engine's entry point (the lean start when it serves it) and through the full CLI."""
    lean = subprocess.run([sys.executable, "-m", "azsbackup", *argv], env=busy.engine.env, capture_output=True)
    full = subprocess.run([sys.executable, "-c", FULL_COMMAND_LINE, *argv], env=busy.engine.env, capture_output=True)
    return lean, full


@pytest.mark.parametrize("options", QUERY_OPTIONS)
@pytest.mark.parametrize("query", QUERIES)
def test_the_lean_queries_print_what_the_full_command_line_prints(
    busy: Busy, query: list[str], options: list[str]
) -> None:
    lean, full = _both_ways(busy, _words([*options, *query], busy))
    assert (lean.returncode, lean.stdout, lean.stderr) == (full.returncode, full.stdout, full.stderr)
    assert lean.returncode == 0
    document = json.loads(lean.stdout.decode("utf-8"))  # strict UTF-8: the undecodable name is written by the rule
    assert document["schema"] == "azsbackup/1"


def test_the_busy_controller_has_what_the_queries_must_show(busy: Busy) -> None:
    """The comparison above covers every kind of record (else it would prove little)."""
    backups = {b["id"]: b for b in busy.engine.run("backup", "list").json["backups"]}
    assert [backups[i]["status"] for i in (busy.warned, busy.partial, busy.failed)] == [
        "Succeeded",
        "PartialSucceeded",
        "Failed",
    ]
    exports = [backups[i]["export"]["status"] for i in (busy.warned, busy.exported, busy.export_failed)]
    assert exports == ["Succeeded", "Succeeded", "Failed"]
    assert backups[busy.export_failed]["export"]["error"]
    warned = busy.engine.run("backup", "show", busy.warned).json
    assert any("subject_b64" in w for c in warned["components"] for w in c["warnings"])
    jobs = busy.engine.run("job", "list").json["jobs"]
    assert {"backup", "verify", "prune", "restore"} <= {j["kind"] for j in jobs}
    assert "Interrupted" in {j["status"] for j in jobs}


@pytest.mark.parametrize("query", [q for q in QUERIES if "--since" not in q.values[0]])  # --since loads the model
def test_the_lean_queries_load_no_framework_and_no_cryptography(busy: Busy, query: list[str]) -> None:
    argv = _words(["--json", "--log-json", *query], busy)
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "azsbackup", *argv],
        env=busy.engine.env,
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "azsbackup.service.queries" in imported
    loaded = sorted(m for m in imported if any(m == n or m.startswith(n + ".") for n in NEVER_ON_THE_LEAN_PATH))
    assert loaded == [], loaded


BAD_INPUT = [
    # argv, error code, exit code: the lean start gives up and the full command line reports it
    pytest.param(["backup", "show", "20200101T000000.000Z-0000abcd"], "not-found", 14, id="unknown-backup"),
    pytest.param(["backup", "show", "../etc"], "invalid-value", 10, id="malformed-backup-id"),
    pytest.param(["backup", "show"], "usage-error", 10, id="missing-backup-id"),
    pytest.param(["backup", "list", "--bogus"], "usage-error", 10, id="unknown-option"),
    pytest.param(["job", "list", "--kind", "nap"], "usage-error", 10, id="unknown-kind"),
    pytest.param(["job", "list", "--limit", "0"], "usage-error", 10, id="limit-out-of-range"),
    pytest.param(["job", "list", "--limit", "-5"], "usage-error", 10, id="negative-limit"),
    pytest.param(["job", "list", "--offset", "x"], "usage-error", 10, id="offset-not-a-number"),
    pytest.param(["job", "list", "--since", "yesterday"], "invalid-value", 10, id="since-not-a-time"),
    pytest.param(["job", "list", "--kind"], "usage-error", 10, id="kind-without-value"),
    pytest.param(["alert", "list", "--all", "--all", "extra"], "usage-error", 10, id="extra-argument"),
]


@pytest.mark.parametrize(("query", "code", "exit_code"), BAD_INPUT)
def test_bad_input_gets_the_full_command_lines_error(busy: Busy, query: list[str], code: str, exit_code: int) -> None:
    lean, full = _both_ways(busy, ["--json", "--log-json", *query])
    assert (lean.returncode, lean.stdout, lean.stderr) == (full.returncode, full.stdout, full.stderr)
    document = json.loads(lean.stdout)  # one document: the lean start printed nothing before giving up
    assert (lean.returncode, document["type"], document["code"]) == (exit_code, "error", code), document
    assert b"Traceback" not in lean.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["--json", "backup", "list", "--external"],  # the share: the full command line
        ["--json", "backup", "list", "--help"],
        ["--json", "job", "list", "--kind", "backup", "--kind", "prune"],  # repeated: click takes the last
        ["--json", "job", "list", "--limit", "+5"],
        ["--json", "job", "list", "--limit", "\uff15"],  # a digit int() reads, though not plain ASCII
        ["--json", "job", "list", "--status=running"],  # choices are case-sensitive
        ["--json", "backup", "show", "--", "20200101T000000.000Z-0000abcd"],
        ["--json", "alert", "list", "--all=yes"],
        ["backup", "list"],  # people's tables
    ],
)
def test_argv_the_lean_start_cannot_vouch_for_goes_to_the_full_command_line(
    busy: Busy, argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from azsbackup import fastpath

    monkeypatch.setenv("AZSBACKUP_HOME", str(busy.engine.home))
    assert fastpath.answer([word.encode().decode("unicode_escape") for word in argv]) is None
    assert capsys.readouterr() == ("", "")


def test_the_lean_start_serves_the_powershell_modules_argv(busy: Busy) -> None:
    """What Get-AzsBackup, Get-AzsBackupJob and Get-AzsBackupAlert send (azsbackup.pwsh.table) is served lean."""
    from azsbackup.pwsh.table import engine_call

    calls = [
        engine_call("Get-AzsBackup", "List", {}, {}),
        engine_call("Get-AzsBackup", "Get", {"BackupId": f"local/{busy.partial}"}, {}),
        engine_call("Get-AzsBackupJob", "List", {"Kind": "backup", "Status": "Failed", "First": 5, "Skip": 1}, {}),
        engine_call("Get-AzsBackupJob", "List", {"Since": "2026-01-01T00:00Z"}, {}),
        engine_call("Get-AzsBackupAlert", None, {"All": True}, {}),
        engine_call("Get-AzsBackupConfiguration", None, {}, {}),
    ]
    for call in calls:
        script = (
            "import sys; from azsbackup import fastpath; code = fastpath.answer(sys.argv[1:]); "
            "sys.exit(3 if code is None or 'click' in sys.modules or 'cryptography' in sys.modules else code)"
        )
        served = subprocess.run([sys.executable, "-c", script, *call.argv], env=busy.engine.env, capture_output=True)
        assert served.returncode == 0, (call.argv, served.stderr[-2000:])
        full = subprocess.run(
            [sys.executable, "-c", FULL_COMMAND_LINE, *call.argv], env=busy.engine.env, capture_output=True
        )
        assert served.stdout == full.stdout, call.argv


def test_a_catalogue_behind_the_store_is_reconciled_first(busy: Busy, tmp_path: Path) -> None:
    """A backup folder deleted by hand: the lean listing reconciles the catalogue as the full one does."""
    copy = tmp_path / "controller"
    shutil.copytree(busy.engine.home, copy, symlinks=True)
    engine = Engine(copy)
    shutil.rmtree(copy / "store" / busy.partial)
    lean = subprocess.run(
        [sys.executable, "-m", "azsbackup", "--json", "backup", "list"], env=engine.env, capture_output=True, check=True
    )
    listed = [b["id"] for b in json.loads(lean.stdout)["backups"]]
    assert busy.partial not in listed and busy.warned in listed
    full = subprocess.run(
        [sys.executable, "-c", FULL_COMMAND_LINE, "--json", "backup", "list"], env=engine.env, capture_output=True
    )
    assert lean.stdout == full.stdout
    shown = engine.run("backup", "show", busy.partial, expect=14).json
    assert shown["code"] == "not-found"


def test_the_listing_trusts_the_keys_verify_trusts(busy: Busy) -> None:
    from azsbackup.service.queries import listed_signers

    controller = Controller(busy.engine.home)
    try:
        assert listed_signers(controller) == controller.trusted_fingerprints()
    finally:
        controller.close()


@pytest.mark.parametrize(
    "text", [None, "", "2026-11-24T21:50:12Z", "2026-11-24T21:50:12+02:00", "2026-11-24T21:50", "2026-11-24"]
)
def test_job_times_are_read_as_the_model_reads_them(text: str | None) -> None:
    from azsbackup.model import parse_iso
    from azsbackup.service.queries import _moment

    assert _moment(text) == parse_iso(text)


def test_both_ways_of_reading_the_store_find_the_same_backups(
    busy: Busy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The descriptor-relative reading (POSIX) and the portable one (Windows) give what catalog.complete_ids gives."""
    from azsbackup.service.catalog import complete_ids
    from azsbackup.service.queries import _complete_folders
    from azsbackup.storage.local import LocalLocation

    store = tmp_path / "store"
    shutil.copytree(busy.engine.home / "store", store, symlinks=True)
    (store / "20200101T000000.000Z-0000abcd").mkdir()  # a backup being written: no manifest yet
    (store / "20200101T000000.000Z-0000abce").write_text("a file, not a folder")
    expected = complete_ids(LocalLocation(store))
    assert busy.warned in expected
    assert _complete_folders(str(store)) == expected
    monkeypatch.setattr(os, "supports_dir_fd", set())
    assert _complete_folders(str(store)) == expected
