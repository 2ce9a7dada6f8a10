"""``prune`` names the paths it removes, or would remove, relative to where they live (Azure's pathsToDelete)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.cli.test_export import configure_share
from tests.engine import Engine
from tests.fixtures.samba import SambaServer


def tree_of(root: Path) -> set[str]:
    return {os.path.relpath(os.path.join(d, n), root) for d, dirs, files in os.walk(root) for n in dirs + files}


def test_prune_lists_the_paths_a_dry_run_keeps_and_a_real_run_removes(
    configured: Engine, smb_server: SambaServer, tmp_path: Path
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f.txt").write_text("data")
    configured.run("component", "add", "src", "--type", "directory", "--path", str(tmp_path / "src"))
    configure_share(configured, smb_server, "share", "pruned")
    backup_id = configured.run("backup", "start").json["id"]
    store = configured.home / "store"
    share = smb_server.share_dir("share") / "pruned" / "MASBackup"
    (store / f"{backup_id}.partial-deadbeef").write_bytes(b"interrupted write")
    (store / "20200101T000000Z-11111111").mkdir()  # a backup without a manifest
    (share / "20200101T000000Z-00000000" / "sub").mkdir(parents=True)
    (share / backup_id / "stray.azsb").write_bytes(b"no manifest names this")
    expected = [
        "MASBackup/20200101T000000Z-00000000",
        f"MASBackup/{backup_id}/stray.azsb",
        "store/20200101T000000Z-11111111",
        f"store/{backup_id}.partial-deadbeef",
    ]
    before = (tree_of(store), tree_of(share))

    dry = configured.run("prune", "--dry-run").json
    assert dry["dry_run"] is True and sorted(dry["paths"]) == expected
    assert (tree_of(store), tree_of(share)) == before, "a dry run removes nothing"
    human = configured.run("prune", "--dry-run", json_mode=False).stdout
    assert sorted(line.removeprefix("would delete ") for line in human.splitlines()) == expected

    done = configured.run("prune").json
    assert done["dry_run"] is False and sorted(done["paths"]) == expected
    for path in expected:
        root, rest = path.split("/", 1)
        assert not ((store if root == "store" else share) / rest).exists(), path
    assert configured.run("prune").json["paths"] == []
    assert configured.run("prune", json_mode=False).stdout.strip() == "nothing to prune"
    configured.run("backup", "verify", backup_id)
