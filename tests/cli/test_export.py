"""Export to a real Samba share, recovery from it on a new controller, retention and prune on both places."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from azsbackup.model import new_backup_id
from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.fixtures.samba import SambaServer
from tests.trees import build_sample_tree, snapshot


def configure_share(engine: Engine, server: SambaServer, share: str, folder: str, *extra: str) -> None:
    server.share_dir(share).joinpath(folder).mkdir(parents=True, exist_ok=True)
    engine.run(
        "--secrets-stdin",
        "config",
        "set",
        "--path",
        server.path(share, folder),
        "--username",
        server.user,
        *extra,
        input=json.dumps({"password": server.password}),
    )


@pytest.fixture
def source(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    build_sample_tree(tree)
    return tree


@pytest.mark.parametrize("share", ["share", "encshare"])
def test_export_and_recovery_on_a_new_controller(
    configured: Engine, cert_pair: CertPair, smb_server: SambaServer, source: Path, tmp_path: Path, share: str
) -> None:
    folder = f"contoso-{share}"
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    configure_share(configured, smb_server, share, folder)
    backup = configured.run("backup", "start").json
    assert backup["export"]["status"] == "Succeeded", backup["export"]
    on_share = smb_server.share_dir(share) / folder / "MASBackup" / backup["id"]
    assert sorted(p.name for p in on_share.iterdir()) == ["controller.azsb", "manifest.json", "tree.azsb"]
    fingerprint = configured.run("config", "get").json["signing_key_fingerprint"]

    fresh = Engine(tmp_path / "recovered")
    configure_share(fresh, smb_server, share, folder)
    listed = fresh.run("backup", "list", "--external").json["backups"]
    assert [(b["id"], b["signer"], b["trusted"]) for b in listed] == [(backup["id"], fingerprint, False)]
    key = ["--key", str(cert_pair.pfx), "--key-password-stdin"]
    fresh.error("backup", "verify", backup["id"], code="untrusted-signer", exit_code=16)
    fresh.error(
        "restore",
        backup["id"],
        *key,
        "--to",
        str(tmp_path / "early"),
        code="untrusted-signer",
        exit_code=16,
        input=cert_pair.password + "\n",
    )
    assert not (tmp_path / "early").exists()

    fresh.run("trust", "add", fingerprint)
    fresh.run("backup", "verify", backup["id"], "--deep", *key, input=cert_pair.password + "\n")
    fresh.run("restore", backup["id"], *key, "--to", str(tmp_path / "out"), input=cert_pair.password + "\n")
    assert snapshot(tmp_path / "out" / "tree") == snapshot(source)


def test_backup_planted_on_the_share_is_refused(
    configured: Engine, cert_pair: CertPair, smb_server: SambaServer, source: Path, tmp_path: Path
) -> None:
    """Anyone with the public certificate can make a backup; only a pinned signer's is accepted."""
    configure_share(configured, smb_server, "share", "planted")
    intruder = Engine(tmp_path / "intruder")
    intruder.run("config", "set", "--encryption-cert", str(cert_pair.cer))
    intruder.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    configure_share(intruder, smb_server, "share", "planted")
    planted = intruder.run("backup", "start").json["id"]

    listed = {b["id"]: b for b in configured.run("backup", "list", "--external").json["backups"]}
    assert listed[planted]["trusted"] is False
    configured.error("backup", "verify", planted, code="untrusted-signer", exit_code=16)
    configured.error(
        "restore",
        planted,
        "--key",
        str(cert_pair.pfx),
        "--key-password-stdin",
        "--to",
        str(tmp_path / "out"),
        code="untrusted-signer",
        exit_code=16,
        input=cert_pair.password + "\n",
    )


def test_location_test_reports_each_check(configured: Engine, smb_server: SambaServer) -> None:
    configure_share(configured, smb_server, "encshare", "probe")
    doc = configured.run("location", "test").json
    names = [c["name"] for c in doc["checks"]]
    assert names == [
        "reachable",
        "logged on",
        "dialect and encryption",
        "folder",
        "create",
        "write",
        "read back",
        "rename",
        "delete",
        "free space",
        "forecast",
    ]
    assert all(c["ok"] for c in doc["checks"]) and doc["status"] == "Succeeded"
    assert "3.1.1, encrypted" in doc["checks"][2]["detail"]
    leftovers = [p.name for p in smb_server.share_dir("encshare").joinpath("probe").iterdir()]
    assert not [name for name in leftovers if "probe" in name]

    configure_share(configured, smb_server, "roshare", "")
    doc = configured.run("location", "test", expect=18).json
    assert doc["error"]["code"] == "cannot-write" and doc["status"] == "Failed"
    assert doc["checks"][-1]["name"] == "create" and not doc["checks"][-1]["ok"]


@pytest.mark.parametrize(
    ("setup", "code", "exit_code"),
    [
        ("wrong-password", "authentication-failed", 12),
        ("missing-share", "invalid-path", 18),
        ("missing-folder", "invalid-path", 18),
        ("read-only", "cannot-write", 18),
        ("unreachable", "share-unreachable", 11),
    ],
)
def test_share_faults_keep_the_internal_copy_and_catch_up(
    configured: Engine, smb_server: SambaServer, source: Path, setup: str, code: str, exit_code: int
) -> None:
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    folder = f"fault-{setup}"
    smb_server.share_dir("share").joinpath(folder).mkdir(parents=True, exist_ok=True)
    path = {
        "missing-share": smb_server.path("nosuchshare", folder),
        "missing-folder": smb_server.path("share", folder + "/not/there"),
        "read-only": smb_server.path("roshare", ""),
        "unreachable": "smb://127.0.0.1:9/share/x",
    }.get(setup, smb_server.path("share", folder))
    password = "Wr0ng-S3cret-4711" if setup == "wrong-password" else smb_server.password
    configured.run(
        "--secrets-stdin",
        "config",
        "set",
        "--path",
        path,
        "--username",
        smb_server.user,
        input=json.dumps({"password": password}),
    )

    result = configured.run("backup", "start", expect=exit_code)
    backup = result.json
    assert backup["status"] == "Succeeded" and backup["export"]["status"] == "Failed"
    assert backup["export"]["error"]["code"] == code
    assert password not in result.stdout + result.stderr
    alerts = configured.run("alert", "list").json["alerts"]
    assert [a["code"] for a in alerts] == [code]
    assert alerts[0]["remediation"]
    configured.run("backup", "verify", backup["id"])  # the internal copy is intact

    configure_share(configured, smb_server, "share", folder)  # the fault is removed
    second = configured.run("backup", "start").json
    assert second["export"]["status"] == "Succeeded"
    exported = smb_server.share_dir("share") / folder / "MASBackup"
    assert sorted(p.name for p in exported.iterdir()) == sorted([backup["id"], second["id"]])  # caught up
    assert configured.run("alert", "list").json["alerts"] == []  # closed by the successful backup


def test_full_share_leaves_nothing_published_and_catches_up(
    configured: Engine, fresh_smb_server: SambaServer, tmp_path: Path
) -> None:
    big = tmp_path / "big"
    big.mkdir()
    (big / "noise.bin").write_bytes(__import__("os").urandom(24 * 1024 * 1024))
    configured.run("component", "add", "big", "--type", "directory", "--path", str(big))
    configure_share(configured, fresh_smb_server, "tinyshare", "")
    backup = configured.run("backup", "start", expect=18).json
    assert backup["export"]["error"]["code"] == "share-full"
    tiny = fresh_smb_server.share_dir("tinyshare") / "MASBackup"
    assert not (tiny / backup["id"] / "manifest.json").exists()
    assert not [p for p in tiny.rglob("*") if ".partial-" in p.name]
    assert [a["code"] for a in configured.run("alert", "list").json["alerts"]] == ["share-full"]

    configure_share(configured, fresh_smb_server, "share", "roomy")
    configured.run("backup", "start")
    assert (fresh_smb_server.share_dir("share") / "roomy" / "MASBackup" / backup["id"] / "manifest.json").exists()


def test_unencrypted_server_is_refused_unless_allowed(
    configured: Engine, unencrypted_smb_server: SambaServer, source: Path
) -> None:
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    configure_share(configured, unencrypted_smb_server, "share", "plain")
    doc = configured.run("location", "test", expect=18).json
    assert doc["error"]["code"] == "encryption-not-supported"
    assert "--allow-unencrypted" in doc["error"]["hint"]
    configured.run("config", "set", "--allow-unencrypted")
    doc = configured.run("location", "test").json
    assert "NOT encrypted" in doc["checks"][2]["detail"]
    assert configured.run("backup", "start").json["export"]["status"] == "Succeeded"


def test_retention_and_prune_on_both_places(configured: Engine, smb_server: SambaServer, source: Path) -> None:
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(source))
    configure_share(configured, smb_server, "share", "retention", "--retention-days", "2")
    store = configured.home / "store"
    share = smb_server.share_dir("share") / "retention" / "MASBackup"
    first = configured.run("backup", "start").json["id"]
    old_id = new_backup_id(dt.datetime.now(dt.UTC) - dt.timedelta(days=5))
    for root in (store, share):
        shutil.copytree(root / first, root / old_id)  # an "old" backup, as if made 5 days ago
        (root / old_id / "manifest.json").unlink()  # (unsigned for this id: make it a leftover instead)
    (store / f"{first}.partial-deadbeef").write_bytes(b"x")
    (share / "20200101T000000Z-00000000").mkdir()

    dry = configured.run("prune", "--dry-run").json
    paths = {(p["location"], p["path"]) for p in dry["paths_to_delete"]}
    assert ("internal", old_id) in paths and ("external", old_id) in paths
    assert ("internal", f"{first}.partial-deadbeef") in paths
    assert ("external", "20200101T000000Z-00000000") in paths
    assert (store / old_id).exists()

    done = configured.run("prune").json
    assert {(p["location"], p["path"]) for p in done["deleted"]} == paths
    assert not (store / old_id).exists() and not (share / old_id).exists()
    assert configured.run("prune", "--dry-run").json["paths_to_delete"] == []
    configured.run("backup", "verify", first)


def test_smbd_stopped_mid_transfer_then_catch_up(
    configured: Engine, fresh_smb_server: SambaServer, tmp_path: Path
) -> None:
    import os
    import time

    big = tmp_path / "big"
    big.mkdir()
    with (big / "noise.bin").open("wb") as fh:
        for _ in range(40):
            fh.write(os.urandom(4 << 20))
    configured.run("component", "add", "big", "--type", "directory", "--path", str(big))
    configure_share(configured, fresh_smb_server, "share", "midway")
    exported = fresh_smb_server.share_dir("share") / "midway" / "MASBackup"

    process = configured.start("backup", "start")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(".partial-" in p.name for p in exported.rglob("*")):
        time.sleep(0.005)
    fresh_smb_server.stop()
    out, err = process.communicate(timeout=120)
    backup = json.loads(out)
    assert backup["status"] == "Succeeded" and backup["export"]["status"] == "Failed", err
    assert backup["export"]["error"]["code"] == "share-connection-lost", backup["export"]  # cut off mid-copy
    assert not list(exported.rglob("manifest.json")), "a half-exported backup looks complete on the share"
    alerts = configured.run("alert", "list").json["alerts"]
    assert [a["code"] for a in alerts] == ["export-failed"]  # the copy failed; the share was reachable before
    configured.run("backup", "verify", backup["id"])

    fresh_smb_server.start()
    second = configured.run("backup", "start").json
    assert second["export"]["status"] == "Succeeded"
    assert sorted(p.name for p in exported.iterdir() if (p / "manifest.json").exists()) == sorted(
        [backup["id"], second["id"]]
    )
    assert configured.run("alert", "list").json["alerts"] == []
    configured.run("prune")
    assert not [p for p in exported.rglob("*") if ".partial-" in p.name]
