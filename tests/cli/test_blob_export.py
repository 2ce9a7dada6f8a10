"""The blob location through the engine's commands, against Azurite: configuration, export with catch-up,
recovery on a new controller, location test, retention and prune, and each fault with its code and alert.

Everything here runs the same service code as the share tests in test_export.py; only the configured
path differs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from azsbackup.model import new_backup_id
from azsbackup.storage.probe import BLOB_CHECK_NAMES
from tests.engine import Engine
from tests.fixtures.azurite import KEY, AzuriteServer, FaultProxy
from tests.fixtures.controllers import CertPair
from tests.trees import build_sample_tree, snapshot

PREFIX = "azs/east"


def configure_blob(engine: Engine, url: str, secret: str, *extra: str, expect: int = 0) -> dict[str, object]:
    """Point ``engine`` at the blob URL; the secret goes in on stdin, never in argv."""
    insecure = ("--allow-insecure-http",) if url.startswith("http://") else ()
    result = engine.run(
        "config", "set", "--path", url, *insecure, "--password-stdin", *extra, input=secret + "\n", expect=expect
    )
    doc: dict[str, object] = result.json
    return doc


def names_under(azurite: AzuriteServer, container: str, prefix: str) -> list[str]:
    return sorted(n[len(prefix) :] for n in azurite.blob_names(container) if n.startswith(prefix))


def backups_on(azurite: AzuriteServer, container: str) -> list[str]:
    """Backup ids with a manifest in the container, as any reader sees them."""
    root = f"{PREFIX}/MASBackup/"
    return sorted({n[len(root) :].split("/")[0] for n in azurite.blob_names(container) if n.endswith("/manifest.json")})


@pytest.fixture
def source(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    build_sample_tree(tree)
    return tree


@pytest.fixture
def with_tree(configured: Engine, source: Path) -> Engine:
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    return configured


# --- configuration --------------------------------------------------------------------------


def test_blob_configuration_forms_secrets_and_warnings(configured: Engine, azurite: AzuriteServer) -> None:
    container = azurite.new_container()
    url = azurite.url(container, PREFIX)

    refused = configured.error("config", "set", "--path", url, code="invalid-value", exit_code=10)
    assert "--allow-insecure-http" in refused["message"]

    result = configured.run("config", "set", "--path", url, "--allow-insecure-http", "--password-stdin", input=KEY)
    doc = result.json
    assert (doc["path"], doc["username"], doc["password_set"]) == (url, None, True)
    assert (doc["allow_insecure_http"], doc["blob_api_version"]) == (True, None)
    warnings = [e for e in result.events() if e.get("type") == "warning"]
    assert [w["code"] for w in warnings] == ["insecure-http"] and "unencrypted" in warnings[0]["message"]
    assert KEY not in result.stdout + result.stderr

    bad = configured.run("config", "set", "--password-stdin", input="hunter2\n", expect=10)
    assert "hunter2" not in bad.stdout + bad.stderr and "SAS token" in bad.json["message"]
    user = configured.error("config", "set", "--username", "CONTOSO\\backup", code="invalid-value", exit_code=10)
    assert "blob" in user["message"]
    configured.error("config", "set", "--blob-api-version", "2001-01-01", code="invalid-value", exit_code=10)
    assert configured.run("config", "set", "--blob-api-version", "2021-12-02").json["blob_api_version"] == "2021-12-02"
    assert configured.run("config", "set", "--blob-api-version", "").json["blob_api_version"] is None

    sas = azurite.sas(container, "rwdl")  # the environment route, as a service account would pass it
    configured.run("config", "set", env={"AZSBACKUP_PASSWORD": sas})
    assert configured.run("location", "test").json["status"] == "Succeeded"

    share = configured.run(
        "config", "set", "--path", "smb://127.0.0.1:9/share", "--username", "CONTOSO\\backup"
    ).json  # back to a share: the blob settings stay, harmless
    assert share["username"] == "CONTOSO\\backup"
    assert configure_blob(configured, url, KEY)["username"] is None  # one target at a time: the share account goes


# --- export, recovery, location test ------------------------------------------------------


def test_blob_export_and_recovery_on_a_new_controller(
    with_tree: Engine, cert_pair: CertPair, azurite: AzuriteServer, source: Path, tmp_path: Path
) -> None:
    container = azurite.new_container()
    configure_blob(with_tree, azurite.url(container, PREFIX), KEY)
    backup = with_tree.run("backup", "start").json
    assert backup["export"]["status"] == "Succeeded", backup["export"]
    root = f"{PREFIX}/MASBackup/"
    assert names_under(azurite, container, root) == [
        "",  # the MASBackup folder's marker
        f"{backup['id']}/",
        f"{backup['id']}/controller.azsb",
        f"{backup['id']}/manifest.json",
        f"{backup['id']}/tree.azsb",
    ]
    with azurite.service() as service:
        blob = service.get_blob_client(container, f"{root}{backup['id']}/tree.azsb")
        stored_sha = blob.get_blob_properties().metadata["sha256"]
    tree = next(c for c in backup["components"] if c["name"] == "tree")
    manifest = json.loads(Path(with_tree.home, "store", backup["id"], "manifest.json").read_text())
    named = next(c for c in manifest["body"]["components"] if c["name"] == "tree")["archive"]["sha256"]
    assert stored_sha == named and tree["status"] == "Succeeded"
    fingerprint = with_tree.run("config", "get").json["signing_key_fingerprint"]

    fresh = Engine(tmp_path / "recovered")
    configure_blob(fresh, azurite.url(container, PREFIX), azurite.sas(container, "rl"))  # read-only is enough
    listed = fresh.run("backup", "list", "--external").json["backups"]
    assert [(b["id"], b["signer"], b["trusted"]) for b in listed] == [(backup["id"], fingerprint, False)]
    key = ["--key", str(cert_pair.pfx), "--key-password-stdin"]
    fresh.error("backup", "verify", backup["id"], code="untrusted-signer", exit_code=16)
    fresh.run("trust", "add", fingerprint)
    fresh.run("backup", "verify", backup["id"], "--deep", *key, input=cert_pair.password + "\n")
    fresh.run("restore", backup["id"], *key, "--to", str(tmp_path / "out"), input=cert_pair.password + "\n")
    assert snapshot(tmp_path / "out" / "tree") == snapshot(source)


def test_blob_location_test_reports_each_check(configured: Engine, azurite: AzuriteServer) -> None:
    container = azurite.new_container()
    configured.run("config", "set", "--allow-insecure-http")  # a candidate is tested with the configured options
    candidate = configured.run("location", "test", "--path", azurite.url(container), "--password-stdin", input=KEY)
    assert candidate.json["status"] == "Succeeded" and candidate.json["checks"][1]["name"] == "authenticated"
    assert configured.run("config", "get").json["path"] is None  # nothing saved

    configure_blob(configured, azurite.url(container, PREFIX), KEY)
    doc = configured.run("location", "test").json
    assert [c["name"] for c in doc["checks"]] == [n for n in BLOB_CHECK_NAMES if n != "SAS permissions"]
    assert all(c["ok"] for c in doc["checks"]) and doc["status"] == "Succeeded"
    reachable, authenticated = doc["checks"][0]["detail"], doc["checks"][1]["detail"]
    assert "NOT encrypted" in reachable and "2019-02-02" in reachable
    assert "account key" in authenticated
    assert not [n for n in azurite.blob_names(container) if "probe" in n]

    configure_blob(configured, azurite.url(container, PREFIX), azurite.sas(container, "rwdl"))
    doc = configured.run("location", "test").json
    assert [c["name"] for c in doc["checks"]] == list(BLOB_CHECK_NAMES)
    assert "valid until" in doc["checks"][1]["detail"]

    configure_blob(configured, azurite.url(container, PREFIX), azurite.sas(container, "rl"))
    doc = configured.run("location", "test", expect=18).json
    assert doc["error"]["code"] == "blob-permission-denied" and doc["status"] == "Failed"
    failed = doc["checks"][-1]
    assert (failed["name"], failed["ok"]) == ("SAS permissions", False)
    assert "w (write)" in failed["detail"] and "d (delete)" in failed["detail"]

    configure_blob(configured, azurite.url("nosuchcontainer", PREFIX), KEY)
    doc = configured.run("location", "test", expect=18).json
    assert doc["error"]["code"] == "blob-container-missing"
    assert [(c["name"], c["ok"]) for c in doc["checks"]] == [
        ("reachable", True),
        ("authenticated", True),
        ("container", False),
    ]


# --- faults ---------------------------------------------------------------------------------


def _expired_sas(azurite: AzuriteServer, container: str) -> str:
    return azurite.sas(container, "rwdl", expiry=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))


FAULTS: dict[str, tuple[str, int]] = {
    "wrong-key": ("blob-authentication-failed", 12),
    "sas-without-write": ("blob-permission-denied", 18),
    "expired-sas": ("blob-sas-expired", 12),
    "missing-container": ("blob-container-missing", 18),
    "unreachable": ("blob-unreachable", 11),
    "api-version": ("blob-api-version-unsupported", 10),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_blob_faults_keep_the_internal_copy_and_catch_up(with_tree: Engine, azurite: AzuriteServer, fault: str) -> None:
    code, exit_code = FAULTS[fault]
    container = azurite.new_container()
    good = azurite.url(container, PREFIX)
    url = {
        "missing-container": azurite.url("nosuchcontainer", PREFIX),
        "unreachable": f"http://127.0.0.1:9/devstoreaccount1/{container}",
    }.get(fault, good)
    secret = {
        "wrong-key": "V3Jvbmcta2V5LW9mLXRoZS1yaWdodC1zaGFwZS0xMjM0NTY3ODkwMTIzNDU2Nzg5MA==",
        "sas-without-write": azurite.sas(container, "rl"),
        "expired-sas": _expired_sas(azurite, container),
    }.get(fault, KEY)
    extra = ("--blob-api-version", "2026-10-06") if fault == "api-version" else ()  # newer than Azurite 3.35.0
    configure_blob(with_tree, url, secret, *extra)

    result = with_tree.run("backup", "start", expect=exit_code)
    backup = result.json
    assert backup["status"] == "Succeeded" and backup["export"]["status"] == "Failed"
    assert backup["export"]["error"]["code"] == code, backup["export"]
    assert secret not in result.stdout + result.stderr
    alerts = with_tree.run("alert", "list").json["alerts"]
    assert [a["code"] for a in alerts] == [code]
    assert alerts[0]["remediation"] and secret not in json.dumps(alerts)
    assert backups_on(azurite, container) == []  # nothing published
    with_tree.run("backup", "verify", backup["id"])  # the internal copy is intact

    configure_blob(with_tree, good, KEY, "--blob-api-version", "")  # the fault is removed
    second = with_tree.run("backup", "start").json
    assert second["export"]["status"] == "Succeeded"
    assert backups_on(azurite, container) == sorted([backup["id"], second["id"]])  # caught up
    assert with_tree.run("alert", "list").json["alerts"] == []  # closed by the successful backup


@pytest.mark.slow  # waits out the retries' backoff, about 16 s a refused run
def test_busy_answers_are_retried_then_reported_and_caught_up(
    with_tree: Engine, azurite: AzuriteServer, fault_proxy: FaultProxy
) -> None:
    container = azurite.new_container()
    configure_blob(with_tree, fault_proxy.url(container, PREFIX), KEY)

    fault_proxy.answer_busy(3)  # fewer than the retries: absorbed
    first = with_tree.run("backup", "start").json
    assert first["export"]["status"] == "Succeeded" and fault_proxy.busy_answered == 3

    fault_proxy.answer_busy(1000)  # more than the retries: reported, bounded in time
    started = time.monotonic()
    result = with_tree.run("backup", "start", expect=11)
    assert time.monotonic() - started < 90
    second = result.json
    assert second["export"]["error"]["code"] == "blob-throttled"
    assert [a["code"] for a in with_tree.run("alert", "list").json["alerts"]] == ["blob-throttled"]
    assert backups_on(azurite, container) == [first["id"]]
    with_tree.run("backup", "verify", second["id"])

    fault_proxy.answer_busy(0)
    third = with_tree.run("backup", "start").json
    assert third["export"]["status"] == "Succeeded"
    assert backups_on(azurite, container) == sorted([first["id"], second["id"], third["id"]])


def test_retention_and_prune_on_both_places(with_tree: Engine, azurite: AzuriteServer) -> None:
    container = azurite.new_container()
    configure_blob(with_tree, azurite.url(container, PREFIX), KEY, "--retention-days", "2")
    first = with_tree.run("backup", "start").json["id"]
    store = with_tree.home / "store"
    root = f"{PREFIX}/MASBackup/"
    old_id = new_backup_id(dt.datetime.now(dt.UTC) - dt.timedelta(days=5))
    (store / old_id).mkdir()
    (store / old_id / "tree.azsb").write_bytes(b"leftover")
    with azurite.service() as service:
        client = service.get_container_client(container)
        client.upload_blob(f"{root}{old_id}/tree.azsb", b"leftover")  # a backup without a manifest
        client.upload_blob(f"{root}20200101T000000Z-00000000/", b"")  # an empty folder's marker
        client.upload_blob(f"{root}{first}/stray.bin", b"x")  # a file its manifest does not name

    dry = with_tree.run("prune", "--dry-run").json
    paths = {(p["location"], p["path"]) for p in dry["paths_to_delete"]}
    assert paths == {
        ("internal", old_id),
        ("external", old_id),
        ("external", "20200101T000000Z-00000000"),
        ("external", f"{first}/stray.bin"),
    }
    assert old_id + "/tree.azsb" in "\n".join(azurite.blob_names(container))

    done = with_tree.run("prune").json
    assert {(p["location"], p["path"]) for p in done["deleted"]} == paths
    assert names_under(azurite, container, root) == [
        "",
        f"{first}/",
        f"{first}/controller.azsb",
        f"{first}/manifest.json",
        f"{first}/tree.azsb",
    ]
    assert with_tree.run("prune", "--dry-run").json["paths_to_delete"] == []
    with_tree.run("backup", "verify", first)


def test_azurite_stopped_mid_upload_then_restarted_then_catch_up(
    configured: Engine, azurite_factory: Callable[..., AzuriteServer], tmp_path: Path
) -> None:
    server = azurite_factory()
    big = tmp_path / "big"
    big.mkdir()
    with (big / "noise.bin").open("wb") as fh:
        for _ in range(24):
            fh.write(os.urandom(4 << 20))
    configured.run("component", "add", "big", "--type", "directory", "--path", str(big))
    container = server.new_container()
    configure_blob(configured, server.url(container, PREFIX), KEY)

    process = configured.start("backup", "start")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not [
        n for n in server.blob_names(container, uncommitted=True) if n.endswith("big.azsb")
    ]:
        time.sleep(0.02)
    server.stop()
    out, err = process.communicate(timeout=180)
    backup = json.loads(out)
    assert backup["status"] == "Succeeded" and backup["export"]["status"] == "Failed", err
    assert backup["export"]["error"]["code"] in {"blob-connection-lost", "blob-unreachable"}, backup["export"]
    alerts = configured.run("alert", "list").json["alerts"]
    assert [a["code"] for a in alerts] == [backup["export"]["error"]["code"]]
    configured.run("backup", "verify", backup["id"])

    server.start()
    assert backups_on(server, container) == []  # nothing half-exported looks complete
    assert not [n for n in server.blob_names(container) if n.endswith("big.azsb")]  # no partial blob listed
    second = configured.run("backup", "start").json
    assert second["export"]["status"] == "Succeeded"
    assert backups_on(server, container) == sorted([backup["id"], second["id"]])
    assert configured.run("alert", "list").json["alerts"] == []
    assert configured.run("prune", "--dry-run").json["paths_to_delete"] == []


def test_retention_deletes_old_backups_from_store_and_container(with_tree: Engine, azurite: AzuriteServer) -> None:
    import datetime as dt

    from azsbackup.events import EventSink
    from azsbackup.service.backup import export_and_retain, run_backup
    from azsbackup.service.catalog import list_backups
    from azsbackup.service.controller import Controller

    container = azurite.new_container()
    configure_blob(with_tree, azurite.url(container, PREFIX), KEY, "--retention-days", "3")
    controller = Controller(with_tree.home)
    events = EventSink()
    try:
        ids = [run_backup(controller, events).id for _ in range(3)]
        assert backups_on(azurite, container) == ids
        newest = list_backups(controller)[-1]
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)
        export_and_retain(controller, newest, "job", events, [], now=later)
        assert [r.id for r in list_backups(controller)] == [ids[-1]]  # too old, but the newest complete one stays
        assert backups_on(azurite, container) == [ids[-1]]
        assert not [n for n in names_under(azurite, container, f"{PREFIX}/MASBackup/") if ids[0] in n]  # no trace
    finally:
        controller.close()


def test_tls_failure_is_reported_then_fixed_by_trusting_the_endpoint(
    with_tree: Engine, azurite_factory: Callable[..., AzuriteServer]
) -> None:
    server = azurite_factory(tls=True)
    assert server.tls is not None
    container = server.new_container()
    configure_blob(with_tree, server.url(container, PREFIX), KEY)
    backup = with_tree.run("backup", "start", expect=11).json
    assert backup["export"]["error"]["code"] == "blob-tls-error"
    assert [a["code"] for a in with_tree.run("alert", "list").json["alerts"]] == ["blob-tls-error"]
    doc = with_tree.run("location", "test", expect=11).json
    assert [(c["name"], c["ok"]) for c in doc["checks"]] == [("reachable", False)]

    trusted = {"REQUESTS_CA_BUNDLE": str(server.tls[0])}  # the operator trusts the endpoint's certificate
    doc = with_tree.run("location", "test", env=trusted).json
    assert "over HTTPS (TLS)" in doc["checks"][0]["detail"]
    second = with_tree.run("backup", "start", env=trusted).json
    assert second["export"]["status"] == "Succeeded"
    assert backups_on(server, container) == sorted([backup["id"], second["id"]])
