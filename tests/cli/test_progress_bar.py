"""The command line draws progress as a bar on a terminal, and nothing on a pipe."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from azsbackup.cli.app import progress_line
from tests.engine import Engine


def run_on_a_terminal(engine: Engine, *args: str, timeout: float = 120) -> tuple[int, str]:
    """Run the engine with stderr on a pseudo-terminal; return its exit code and what the terminal got."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "azsbackup", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=engine.env,
    )
    os.close(slave)
    received = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed its end
                    break
                if not chunk:
                    break
                received += chunk
            elif process.poll() is not None:
                break
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    return process.wait(timeout=30), received.decode("utf-8", "replace")


def test_a_terminal_gets_a_progress_bar_with_bytes_and_rate(configured: Engine, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "big.bin").write_bytes(os.urandom(24 << 20))
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(tree))
    code, screen = run_on_a_terminal(configured, "backup", "start")
    assert code == 0, screen
    assert "\r\x1b[K" in screen
    assert "Backup: tree (1/2) [########################] 100% 24.0 MiB of 24.0 MiB" in screen, screen


def test_a_pipe_gets_no_progress(configured: Engine, tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "f").write_bytes(os.urandom(1 << 20))
    configured.run("component", "add", "tree", "--type", "directory", "--path", str(tmp_path / "tree"))
    run = configured.run("backup", "start", json_mode=False)
    assert "\r" not in run.stderr and "%" not in run.stderr, run.stderr


def test_the_progress_line_shows_what_is_known() -> None:
    event = {
        "activity": "Export",
        "status": "b/tree.azsb",
        "percent": 42,
        "bytes_done": 42 << 20,
        "bytes_total": 100 << 20,
        "rate": 10 << 20,
        "seconds_remaining": 65,
    }
    assert progress_line(event) == (
        "Export: b/tree.azsb [##########--------------]  42% 42.0 MiB of 100.0 MiB 10.0 MiB/s 1:05 left"
    )
    unknown = {**event, "percent": None, "bytes_total": None, "rate": None, "seconds_remaining": None}
    assert progress_line(unknown) == "Export: b/tree.azsb 42.0 MiB"
