"""``backup start --no-wait``: the backup runs in a process of its own, which outlives the caller.

The caller starts ``azsbackup --json --home H backup start --detached`` with
:func:`~azsbackup.osutil.spawn_detached` and waits for one line on the child's
stdout. The child writes it once it holds the controller lock and has recorded
its job (``{"job_id"}``), then points its stdio at the null device and
carries on; the job record (``job show ID``) follows it from there. A child
that fails before that (``locked``, ``not-configured``) prints its error
document instead, which the caller raises as its own, so a detached start
fails exactly as a waited one would.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

from azsbackup.errors import AzsBackupError, error_from_document
from azsbackup.model import SCHEMA
from azsbackup.osutil import detach_stdio, spawn_detached

HANDSHAKE_TIMEOUT_S = 120.0
"""How long the caller waits for the child to take the lock (an engine start-up is well under a second)."""


def start_detached(home: Path) -> dict[str, Any]:
    """Start a backup of the controller at ``home`` in its own process; return ``{job_id, pid, status}``."""
    argv = [sys.executable, "-m", "azsbackup", "--json", "--home", str(home), "backup", "start", "--detached"]
    process = spawn_detached(argv)
    assert process.stdout is not None and process.stderr is not None  # noqa: S101 - both are pipes
    line = _first_line(process.stdout, HANDSHAKE_TIMEOUT_S)
    try:
        document = json.loads(line)
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("job_id"), str):
        process.stdout.close()
        process.stderr.close()
        return {"schema": SCHEMA, "job_id": document["job_id"], "pid": process.pid, "status": "Running"}
    if process.poll() is None:
        process.kill()
    code = process.wait(timeout=30)
    tail = process.stderr.read()[-2000:].decode("utf-8", "replace").strip()
    process.stdout.close()
    process.stderr.close()
    if isinstance(document, dict) and document.get("type") == "error":
        raise error_from_document(document)
    raise AzsBackupError(f"the backup process ended before it started (exit {code})" + (f": {tail}" if tail else ""))


def _first_line(stream: Any, timeout: float) -> bytes:
    """The first line of ``stream``, or what came before EOF or ``timeout``."""
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return received[0] if received else b""


def announce_started(job_id: str) -> None:
    """In the detached child: tell the caller the job id, then stop writing to its pipes."""
    sys.stdout.write(json.dumps({"job_id": job_id}) + "\n")
    sys.stdout.flush()
    detach_stdio()
