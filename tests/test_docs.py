"""The documentation that is generated from code matches the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from azsbackup.errors import ExitCode, iter_error_classes

ROOT = Path(__file__).resolve().parent.parent


def test_generated_sections_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "update-docs.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr + " (run: python scripts/update-docs.py)"


def test_every_error_has_a_distinct_code_and_a_documented_exit_code() -> None:
    classes = list(iter_error_classes())
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)), "two error classes share a code"
    for cls in classes:
        assert cls.exit_code in ExitCode
        assert cls.__doc__, cls
        assert cls.code == cls.code.lower() and " " not in cls.code
