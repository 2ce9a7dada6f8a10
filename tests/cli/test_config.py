"""Configuration: defaults, partial updates, validation with precise errors, state left unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine import Engine
from tests.fixtures.controllers import CertPair


def test_defaults_and_partial_update(engine: Engine, cert_pair: CertPair) -> None:
    doc = engine.run("config", "get").json
    assert doc["schema"] == "azsbackup/1"
    assert (doc["frequency_hours"], doc["retention_days"], doc["path"], doc["encryption_cert"]) == (
        12,
        7,
        None,
        None,
    )
    assert doc["signing_key_fingerprint"].startswith("SHA256:")

    engine.run(
        "config",
        "set",
        "--path",
        r"\\fileserver.contoso.com\AzSBackups\contoso\nyc",
        "--username",
        r"CONTOSO\backupadmin",
        "--encryption-cert",
        str(cert_pair.cer),
    )
    engine.run("config", "set", "--frequency-hours", "10", "--retention-days", "5")
    doc = engine.run("config", "get").json
    assert doc["path"] == r"\\fileserver.contoso.com\AzSBackups\contoso\nyc"
    assert doc["username"] == r"CONTOSO\backupadmin"
    assert (doc["frequency_hours"], doc["retention_days"]) == (10, 5)
    assert len(doc["encryption_cert"]["thumbprint"]) == 40 and "pem" not in doc["encryption_cert"]
    assert doc["scheduler_enabled"] is True  # configuring a location turns the scheduler on

    engine.run("config", "clear")
    doc = engine.run("config", "get").json
    assert (doc["frequency_hours"], doc["retention_days"], doc["path"]) == (12, 7, None)


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--frequency-hours", "3"], "usage-error", ["--frequency-hours", "3", "4<=x<=12"]),
        (["--frequency-hours", "13"], "usage-error", ["--frequency-hours", "13", "4<=x<=12"]),
        (["--retention-days", "1"], "usage-error", ["--retention-days", "1", "2<=x<=14"]),
        (["--retention-days", "15"], "usage-error", ["--retention-days", "15", "2<=x<=14"]),
        (["--path", r"\\server-only"], "invalid-value", ["path", "server-only", r"\\server\share"]),
        (["--path", "relative/dir"], "invalid-value", ["path", "relative/dir"]),
        (["--username", "a b@c"], "invalid-value", ["username", "DOMAIN\\user"]),
        (["--encryption-cert", "/nonexistent/cert.cer"], "certificate-invalid", ["/nonexistent/cert.cer"]),
    ],
)
def test_invalid_values_are_refused_and_nothing_changes(
    engine: Engine, cert_pair: CertPair, args: list[str], code: str, words: list[str]
) -> None:
    engine.run("config", "set", "--frequency-hours", "6", "--encryption-cert", str(cert_pair.cer))
    before = engine.run("config", "get").json

    doc = engine.error("config", "set", "--retention-days", "3", *args, code=code, exit_code=10)
    for word in words:
        assert word in doc["message"], (word, doc)
    assert doc["hint"]
    assert engine.run("config", "get").json == before


def test_non_certificate_file_is_refused(engine: Engine, tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-cert.cer"
    bogus.write_text("hello, I am not a certificate\n")
    doc = engine.error("config", "set", "--encryption-cert", str(bogus), code="certificate-invalid", exit_code=10)
    assert str(bogus) in doc["message"]


def test_unknown_component_type(engine: Engine, tmp_path: Path) -> None:
    doc = engine.error(
        "component", "add", "x", "--type", "ftp", "--path", str(tmp_path), code="usage-error", exit_code=10
    )
    assert "ftp" in doc["message"] and "directory" in doc["message"]
    assert engine.run("component", "list").json["components"] == []


def test_component_settings_are_validated(engine: Engine, tmp_path: Path) -> None:
    engine.error(
        "component",
        "add",
        "../evil",
        "--type",
        "directory",
        "--path",
        str(tmp_path),
        code="invalid-value",
        exit_code=10,
    )
    engine.error("component", "add", "tree", "--type", "directory", code="invalid-value", exit_code=10)
    engine.run("component", "add", "tree", "--type", "directory", "--path", str(tmp_path))
    engine.error(
        "component",
        "add",
        "tree",
        "--type",
        "directory",
        "--path",
        str(tmp_path),
        code="already-exists",
        exit_code=10,
    )
    engine.error("component", "remove", "nope", code="not-found", exit_code=14)


def test_backup_without_certificate_says_how_to_configure(engine: Engine) -> None:
    doc = engine.error("backup", "start", code="not-configured", exit_code=10)
    assert "--encryption-cert" in doc["hint"]


def test_unknown_backup_id(engine: Engine) -> None:
    engine.error("backup", "show", "20260101T000000Z-00000000", code="not-found", exit_code=14)
    engine.error("backup", "show", "../../etc", code="invalid-value", exit_code=10)
