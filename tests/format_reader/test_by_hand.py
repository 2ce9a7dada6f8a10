"""docs/format.md's by-hand procedure, run exactly as the document prints it.

The script and the shell commands are cut out of the document (the blocks after the ``by-hand`` markers), so
the document cannot drift from what works: OpenSSL exports the key from the ``.pfx``, the script decrypts the
archive with Python's ``cryptography`` and ``zstandard``, GNU tar unpacks the stream, and the result must be
the backed-up tree byte for byte. The same is done for the committed version 1 backup.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.engine import Engine
from tests.fixtures.controllers import CertPair

DOC = Path(__file__).parents[2] / "docs" / "format.md"
KNOWN_ANSWER = Path(__file__).parents[1] / "known_answer" / "v1"


def block(marker: str) -> str:
    match = re.search(rf"<!-- by-hand: {re.escape(marker)} -->\n```\w+\n(.*?)```", DOC.read_text("utf-8"), re.S)
    assert match, f"docs/format.md lost its by-hand block {marker!r}"
    return match.group(1)


def by_hand(workdir: Path, archive: Path, pfx: Path, password: str) -> Path:
    """Run the document's commands in ``workdir``; return the directory they unpacked into."""
    workdir.mkdir()
    (workdir / "recover.py").write_text(block("recover.py"), "utf-8")
    bin_dir = Path(sys.executable).parent  # `python3` in the commands: the environment with cryptography and zstandard
    assert (bin_dir / "python3").exists()
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PFX": str(pfx),
        "PFX_PASSWORD": password,
        "ARCHIVE": str(archive),
    }
    script = "set -euo pipefail\n" + block("commands")
    subprocess.run(["bash", "-c", script], cwd=workdir, env=env, check=True, timeout=120, capture_output=True)
    return workdir / "restored"


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.is_symlink()}


def test_the_documented_procedure_decrypts_a_new_backup(
    configured: Engine, cert_pair: CertPair, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    (data / "etc").mkdir(parents=True)
    (data / "etc" / "app.json").write_text('{"a": 1}\n')
    (data / "big.bin").write_bytes(os.urandom(200_000) + bytes(9_000_000))  # three segments, stored and zstd
    (data / "link").symlink_to("etc/app.json")
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(data))
    backup_id = configured.run("backup", "start").json["id"]
    archive = configured.home / "store" / backup_id / "tree.azsb"
    restored = by_hand(tmp_path / "by-hand", archive, cert_pair.pfx, cert_pair.password)
    assert files_of(restored) == files_of(data)
    assert os.readlink(restored / "link") == "etc/app.json"


def test_the_documented_procedure_decrypts_the_version_1_backup(tmp_path: Path) -> None:
    expected = json.loads((KNOWN_ANSWER / "expected.json").read_text("utf-8"))
    archive = KNOWN_ANSWER / "MASBackup" / expected["backup_id"] / "tree.azsb"
    restored = by_hand(tmp_path / "by-hand", archive, KNOWN_ANSWER / "known-answer.pfx", expected["pfx_password"])
    files = {
        e["path"]: e["sha256"] for e in expected["restored"] if e["path"].startswith("tree/") and e["kind"] == "file"
    }
    assert {f"tree/{k}": hashlib.sha256(v).hexdigest() for k, v in files_of(restored).items()} == files
