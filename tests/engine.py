"""Running the real engine as a subprocess, the way the PowerShell module and operators do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Run:
    args: tuple[str, ...]
    rc: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stderr.splitlines() if line.startswith("{")]

    def __str__(self) -> str:
        return f"azsbackup {' '.join(self.args)} -> {self.rc}\nstdout: {self.stdout}\nstderr: {self.stderr}"


class Engine:
    """``python -m azsbackup`` against one controller directory."""

    def __init__(self, home: Path, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AZSBACKUP_")}
        self.env["AZSBACKUP_HOME"] = str(home)
        self.env.update(env or {})

    def run(
        self,
        *args: str,
        input: str | None = None,
        expect: int | None = 0,
        json_mode: bool = True,
        env: dict[str, str] | None = None,
        timeout: float = 300,
    ) -> Run:
        argv = [sys.executable, "-m", "azsbackup", *(("--json", "--log-json") if json_mode else ()), *args]
        proc = subprocess.run(
            argv,
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            timeout=timeout,
        )
        result = Run(tuple(args), proc.returncode, proc.stdout, proc.stderr)
        if expect is not None:
            assert proc.returncode == expect, str(result)
        return result

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start ``azsbackup --json --log-json ARGS`` without waiting, for a test that disturbs it mid-run;
        stdout (the result) and stderr (the events) are pipes of text."""
        return subprocess.Popen(
            [sys.executable, "-m", "azsbackup", "--json", "--log-json", *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def error(self, *args: str, code: str, exit_code: int, input: str | None = None) -> dict[str, Any]:
        """Run a command that must fail with ``code``; return its JSON error document."""
        result = self.run(*args, input=input, expect=exit_code)
        doc = result.json
        assert doc["type"] == "error" and doc["code"] == code, str(result)
        assert "Traceback" not in result.stderr, str(result)
        return doc
