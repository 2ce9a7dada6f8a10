"""The lean start of ``--json config get``: the same document as the full command line, without its weight."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.engine import Engine

FULL_COMMAND_LINE = "import sys; from azsbackup.cli import run; sys.exit(run(sys.argv[1:]))"
HEAVY = ("click", "cryptography", "nacl", "zstandard", "jinja2", "smbprotocol", "pypsrp", "spnego", "filelock")


def test_the_lean_start_prints_what_the_full_command_line_prints(configured: Engine) -> None:
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(configured.home.parent))
    lean = subprocess.run(
        [sys.executable, "-m", "azsbackup", "--json", "config", "get"],
        env=configured.env,
        capture_output=True,
        text=True,
        check=True,
    )
    full = subprocess.run(
        [sys.executable, "-c", FULL_COMMAND_LINE, "--json", "config", "get"],
        env=configured.env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert lean.stdout == full.stdout
    document = json.loads(lean.stdout)
    assert document["encryption_cert"] and document["signing_key_fingerprint"].startswith("SHA256:")


def test_the_lean_start_loads_no_framework_and_no_cryptography(configured: Engine) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "azsbackup", "--json", "config", "get"],
        env=configured.env,
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "azsbackup.service.configure" in imported
    loaded = sorted(name for name in imported if name.split(".")[0] in HEAVY)
    assert loaded == [], loaded


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
