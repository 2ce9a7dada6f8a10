"""The embedded default: `azsbackup quickstart` does everything it says, on a clean directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.engine import Engine


def quickstart(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "azsbackup", *extra, "quickstart", "--dir", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def test_quickstart_backs_up_verifies_and_restores(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    result = quickstart(root, "--json")
    assert result.returncode == 0, result.stderr
    steps = {s["step"]: s for s in json.loads(result.stdout)["steps"]}
    assert list(steps) == ["certificate", "controller", "components", "backup", "verify", "restore drill", "restore"]
    assert steps["backup"]["status"] == "Succeeded"
    assert steps["backup"]["writer_commits_during_backup"] > 0

    engine = Engine(root / "controller")
    backups = engine.run("backup", "list").json["backups"]
    assert [b["id"] for b in backups] == [steps["backup"]["id"]]
    assert (root / "restored" / "config-store" / "etc" / "service.json").exists()
    assert not list(root.glob("**/*.partial-*"))

    human = quickstart(root)  # runs again over its own earlier directory
    assert human.returncode == 0, human.stderr
    assert "restore drill" in human.stdout and str(root) in human.stdout


def test_quickstart_refuses_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "important.txt").write_text("not a quickstart")
    result = quickstart(tmp_path, "--json")
    assert result.returncode == 10
    assert json.loads(result.stdout)["code"] == "already-exists"
    assert (tmp_path / "important.txt").read_text() == "not a quickstart"
