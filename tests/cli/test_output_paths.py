"""Paths the operator names for output (report, certificate pair, restore target, quickstart directory):
one that cannot be written is refused as output-not-writable, naming the path, and nothing is left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine import Engine
from tests.fixtures.controllers import CertPair


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    """A regular file: nothing can be created below it."""
    path = tmp_path / "a-file"
    path.write_text("not a directory\n")
    return path


def refused(engine: Engine, *args: str, path: Path, input: str | None = None) -> None:
    doc = engine.error(*args, code="output-not-writable", exit_code=2, input=input)
    assert doc["message"].startswith(f"cannot write {path}: "), doc
    assert doc["hint"]


@pytest.mark.parametrize("where", ["below-a-file", "in-a-missing-directory"])
def test_report(configured: Engine, a_file: Path, tmp_path: Path, where: str) -> None:
    target = a_file / "status.html" if where == "below-a-file" else tmp_path / "missing" / "status.html"
    refused(configured, "report", "--html", str(target), path=target)
    assert not (tmp_path / "missing").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "controller"]  # no temporary file left
    configured.run("report", "--html", str(tmp_path / "status.html"))
    assert (tmp_path / "status.html").read_text().startswith("<!DOCTYPE html>")


def test_certificate_pair(engine: Engine, a_file: Path) -> None:
    out = a_file / "certs"
    args = ["cert", "new", "--name", "pair", "--out-dir", str(out), "--password-stdin"]
    refused(engine, *args, path=out, input="x" * 16 + "\n")
    assert a_file.read_text() == "not a directory\n"


def test_restore_target(configured: Engine, cert_pair: CertPair, a_file: Path, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "settings.json").write_text("{}")
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(tmp_path / "data"))
    backup = configured.run("backup", "start").json["id"]
    target = a_file / "restored"
    key = ["--key", str(cert_pair.pfx), "--key-password-stdin"]
    refused(configured, "restore", backup, *key, "--to", str(target), path=target, input=cert_pair.password + "\n")
    failed = configured.run("job", "list", "--kind", "restore").json["jobs"][0]
    assert failed["status"] == "Failed"


def test_quickstart_directory(engine: Engine, a_file: Path) -> None:
    root = a_file / "demo"
    refused(engine, "quickstart", "--dir", str(root), path=root)
