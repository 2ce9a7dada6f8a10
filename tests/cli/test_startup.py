"""The lean start of ``--json config get``: the same document as the full command line, without its weight."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
