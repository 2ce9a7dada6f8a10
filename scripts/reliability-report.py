#!/usr/bin/env python3
"""Run the reliability suite and write its figures into ``docs/reliability.md``.

    python scripts/reliability-report.py [PYTEST ARGS]

Runs ``pytest tests/reliability`` (slow tests included) with ``AZSBACKUP_FIGURES`` pointing at a
scratch file, then replaces the generated ``figures`` section of the document with what the tests
recorded: trials run, faults injected, cases fuzzed, detected and lost, scale timings. The document is
rewritten only when every test passed; the exit code is pytest's.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from importlib import import_module  # noqa: E402

regenerate = import_module("update-docs").regenerate
COMMAND = "python scripts/reliability-report.py"


def run_suite(figures: Path, extra: list[str]) -> tuple[int, float]:
    started = time.monotonic()
    env = {**os.environ, "AZSBACKUP_FIGURES": str(figures)}
    argv = [sys.executable, "-m", "pytest", "tests/reliability", "-p", "no:cacheprovider", "-q", *extra]
    rc = subprocess.call(argv, cwd=ROOT, env=env)
    return (1 if rc == 5 else rc), time.monotonic() - started  # no test collected is a failure here too


def render(entries: list[dict[str, object]], seconds: float) -> str:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
    lines = [
        f"Last run: {when}, `{COMMAND}` ({machine}; {seconds / 60:.1f} min, every test passed).",
        "",
        "| test | figures |",
        "| --- | --- |",
    ]
    lines += [f"| `{entry['test']}` | {entry['summary']} |" for entry in sorted(entries, key=lambda e: str(e["test"]))]
    return "\n".join(lines)


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        figures = Path(scratch) / "figures.jsonl"
        rc, seconds = run_suite(figures, sys.argv[1:])
        entries = [json.loads(line) for line in figures.read_text().splitlines()] if figures.exists() else []
    if rc != 0:
        print(f"reliability suite failed (exit {rc}); docs/reliability.md left as it was", file=sys.stderr)
        return rc
    doc = ROOT / "docs" / "reliability.md"
    doc.write_text(regenerate(doc.read_text("utf-8"), "figures", render(entries, seconds)), "utf-8")
    print(f"docs/reliability.md: {len(entries)} figures written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
