"""Fuzzing every CLI command, option and configuration field: only documented exit codes, never a crash.

Each case draws a command (walked from the click tree, so a new option is fuzzed the day it is added),
a subset of its options and arguments with hostile or boundary values, optional global flags and a
stdin, and runs it in-process through :func:`azsbackup.cli.run` against a fresh copy of a configured
controller holding one real backup. A case passes when the exit code is one of the documented codes, the
engine did not report an internal error (``unknown-error``), no traceback was printed, ``--json`` produced
exactly one JSON document (whatever the outcome, never none), and nothing was written outside the case's own
sandbox: the test's whole directory is compared recursively before and after each case, the engine's
temporary directory (``TMPDIR``) included.

Left out, with the reason: ``scheduler run`` (runs until signalled; its options are fuzzed through
``scheduler status``, which shares them), ``metrics serve`` (serves until signalled: a valid ``--listen``
never returns; its addresses are checked in ``tests/monitoring/test_metrics_serve.py``), ``quickstart`` (a
whole backup cycle per case; its one option is a directory, covered by ``tests/test_quickstart.py``), the
``--computer-name`` group of global options (they contact a host; ``tests/remote`` covers them) and
``psmodule install --scope AllUsers`` (writes to the system-wide module directory by design).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from azsbackup.cli import cli, run
from azsbackup.errors import ExitCode
from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.reliability.figures import CaseCounter, floor_in_ci

CASES = floor_in_ci("AZSBACKUP_CLI_FUZZ_CASES", 5000)
CONFIG_CASES = floor_in_ci("AZSBACKUP_CONFIG_FUZZ_CASES", 2000)
SKIPPED_COMMANDS = {("scheduler", "run"), ("metrics", "serve"), ("quickstart",)}
# Start a backup process that outlives the case (and, for --detached, redirect this process's stdio):
# tests/cli/test_no_wait.py runs them as separate processes.
SKIPPED_OPTIONS = {"no_wait", "detached"}
REMOTE_OPTIONS = {"computer_name", "port", "no_ssl", "no_cert_validation", "ca_cert", "remote_username", "auth"}
EXIT_CODES = {int(code) for code in ExitCode}
COUNTS = CaseCounter()
EXITS: dict[int, int] = {}

# Text a hostile or careless operator could type: control characters, quotes, separators, non-ASCII,
# option-like and numeric-looking strings. NUL cannot occur in a real argv.
hostile_text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40),
    st.sampled_from(["", "-", "--", "-1", "0", "1e309", "NaN", "../..", "\\\\", "%s%n", "${HOME}", "'", '"', "日本"]),
    st.integers(-(2**70), 2**70).map(str),
)


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, (*path, name))
    else:
        yield path, command


COMMANDS = [(path, command) for path, command in walk(cli) if path not in SKIPPED_COMMANDS]


class Sandbox:
    """Where one case may write: a fresh controller copied from the template, and room for output files."""

    def __init__(self, root: Path, template: Path, facts: dict[str, str], keys: dict[Path, Path]) -> None:
        self.root = root
        self.template = template
        self.facts = facts
        self.keys = keys
        self.serial = 0

    def fresh(self) -> Path:
        """A new controller for the next case; key files a previous case overwrote are put back."""
        self.serial += 1
        case = self.root / f"case-{self.serial}"
        shutil.copytree(self.template, case / "home")
        for copy, original in self.keys.items():
            shutil.copyfile(original, copy)
        return case

    def path_values(self) -> st.SearchStrategy[str]:
        """Paths that stay inside the sandbox: known files, and hostile names turned into sandbox paths."""
        inside = hostile_text.map(lambda t: str(self.root / "out" / (t.replace("/", "_").lstrip(".") or "x")))
        return st.one_of(st.sampled_from(list(self.facts.values())), inside)

    def text_values(self) -> st.SearchStrategy[str]:
        return st.one_of(st.sampled_from(list(self.facts.values())), hostile_text)


def values_for(param: click.Parameter, sandbox: Sandbox) -> st.SearchStrategy[str]:
    kind = param.type
    if isinstance(kind, click.Choice):
        choices = [str(c) for c in kind.choices if c != "AllUsers"]
        return st.one_of(st.sampled_from(choices), hostile_text.filter(lambda t: t != "AllUsers"))
    if isinstance(kind, click.IntRange):
        low, high = kind.min if kind.min is not None else -100, kind.max if kind.max is not None else 10**6
        near = st.integers(low - 3, low + 3) | st.integers(high - 3, high + 3)
        return st.one_of(near.map(str), st.integers(low, high).map(str), hostile_text)
    if isinstance(kind, click.types.IntParamType):
        return st.one_of(st.integers(-5, 50).map(str), hostile_text)
    if isinstance(kind, click.Path):
        return sandbox.path_values()
    return sandbox.text_values()


@st.composite
def command_lines(
    draw: st.DrawFn, sandbox: Sandbox, commands: list[tuple[tuple[str, ...], click.Command]]
) -> list[str]:
    path, command = draw(st.sampled_from(commands))
    argv = ["--json"] if draw(st.booleans()) else []
    if draw(st.booleans()):
        argv.append("--log-json")
    if draw(st.integers(0, 4)) == 0:
        argv.append("--secrets-stdin")
    argv.extend(path)
    for param in command.params:
        if isinstance(param, click.Argument):
            if draw(st.integers(0, 9)) > 0:  # mostly present: a missing argument is one case, not the usual
                argv.append(draw(values_for(param, sandbox)))
            continue
        if not isinstance(param, click.Option) or param.name in SKIPPED_OPTIONS or not draw(st.booleans()):
            continue
        name = param.opts[0]
        if param.is_flag:
            argv.append(name)
            continue
        for _ in range(draw(st.integers(1, 2)) if param.multiple else 1):
            argv.extend([name, draw(values_for(param, sandbox))])
    if draw(st.integers(0, 19)) == 0:
        argv.append(draw(st.sampled_from(["--no-such-option", "extra-argument", "--help"])))
    return argv


def stdin_values(cert_pair: CertPair) -> st.SearchStrategy[str]:
    secrets = st.dictionaries(st.sampled_from(["password", "key_password", "share_password", "other"]), hostile_text)
    return st.one_of(
        st.just(""),
        st.just(cert_pair.password + "\n"),
        secrets.map(json.dumps),
        hostile_text,
    )


def snapshot(root: Path, allowed: Path) -> dict[str, tuple[int, int]]:
    """Every path below ``root`` but ``allowed``, recursively: files with size and mtime, directories by name."""
    found: dict[str, tuple[int, int]] = {}
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if Path(directory, d) != allowed]
        found.update({os.path.join(directory, d): (0, 0) for d in dirs})  # a directory's mtime moves with temp files
        for name in files:
            info = os.lstat(os.path.join(directory, name))
            found[os.path.join(directory, name)] = (info.st_size, info.st_mtime_ns)
    return found


def top_level(directory: Path) -> set[str]:
    return set(os.listdir(directory))


CASE_LIMIT_S = 120
"""A case still running after this long is a command that never returns (a server, a loop): the run ends."""


def _interrupt(hung: threading.Event) -> None:
    hung.set()
    main = threading.main_thread().ident
    if main is not None:
        signal.pthread_kill(main, signal.SIGINT)  # a real signal: it also breaks a blocking system call


def run_case(argv: list[str], stdin: str, case: Path) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    hung = threading.Event()
    watchdog = threading.Timer(CASE_LIMIT_S, _interrupt, (hung,))
    watchdog.daemon = True
    watchdog.start()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            rc = run(["--home", str(case / "home"), *argv])
    finally:
        watchdog.cancel()
        sys.stdin = saved_stdin
    if hung.is_set():
        # Failing the case is not enough: hypothesis would run it again while shrinking, for as long as CI
        # allows. pytest.exit ends the whole run at once, naming the command.
        pytest.exit(f"azsbackup {argv!r} did not return within {CASE_LIMIT_S} s: leave it out of the fuzzer", 3)
    return rc, stdout.getvalue(), stderr.getvalue()


def check_outcome(argv: list[str], rc: int, stdout: str, stderr: str) -> None:
    context = f"azsbackup {argv!r} -> {rc}\nstdout: {stdout[:2000]}\nstderr: {stderr[:2000]}"
    assert rc in EXIT_CODES, context
    assert "Traceback" not in stdout + stderr, context
    assert "unknown-error" not in stdout + stderr and "internal error" not in stdout + stderr, context
    text_output = rc == 0 and "metrics" in argv  # Prometheus exposition by contract, also with --json
    if argv[:1] == ["--json"] and "--help" not in argv and not text_output:
        document = json.loads(stdout)  # exactly one document, whatever happened: never none, never two
        assert isinstance(document, dict), context
        if rc != 0 and rc != ExitCode.WARNINGS:
            assert reported_error(document)["exit_code"] == rc, context


def reported_error(document: dict[str, Any]) -> dict[str, Any]:
    """The error a failed command printed: the error object, or the one inside its report (json-api.md, Errors)."""
    if document.get("type") == "error":
        return document
    inside = document.get("error") or (document.get("export") or {}).get("error")
    assert isinstance(inside, dict) and inside.get("type") == "error", f"no error in {document}"
    return inside


@pytest.fixture
def sandbox(
    configured: Engine, cert_pair: CertPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Sandbox]:
    data = tmp_path / "data"
    (data / "etc").mkdir(parents=True)
    (data / "etc" / "app.conf").write_text("x = 1\n")
    configured.run("component", "add", "alpha", "--type", "directory", "--path", str(data))
    backup_id = configured.run("backup", "start").json["id"]
    fingerprint = configured.run("trust", "list").json["keys"][0]["fingerprint"]
    root = tmp_path / "sandbox"
    (root / "out").mkdir(parents=True)
    keys = root / "keys"  # copies: a case may legitimately overwrite a file it is pointed at (report --html)
    keys.mkdir()
    cer, pfx = Path(shutil.copy(cert_pair.cer, keys)), Path(shutil.copy(cert_pair.pfx, keys))
    facts = {
        "backup": backup_id,
        "component": "alpha",
        "fingerprint": fingerprint,
        "cer": str(cer),
        "pfx": str(pfx),
        "data": str(data),
        "to": str(root / "out" / "restored"),
        "unc": "\\\\127.0.0.1\\share\\folder",
        "smb": "smb://127.0.0.1:9/share/x",
        "job": "1",
    }
    monkeypatch.chdir(root)
    monkeypatch.setenv("HOME", str(root / "out"))
    monkeypatch.setenv("XDG_DATA_HOME", str(root / "out" / "xdg"))
    temporary = tmp_path / "tmp"  # watched: a temporary file left behind by a case is found
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    yield Sandbox(root, configured.home, facts, {cer: cert_pair.cer, pfx: cert_pair.pfx})


def fuzz(
    sandbox: Sandbox, cert_pair: CertPair, commands: list[tuple[tuple[str, ...], click.Command]], cases: int
) -> int:
    # Recursively: the test's own directory (the template controller, the data, the certificates, and the
    # temporary directory every tempfile call of the engine uses), everything but the sandbox. The
    # repository's top level too (the working directory of a careless relative path).
    tests_dir = sandbox.root.parent
    repository = Path(__file__).resolve().parents[2]
    before = snapshot(tests_dir, sandbox.root)
    before_repository = top_level(repository)
    ran = 0

    @settings(max_examples=cases, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(command_lines(sandbox, commands), stdin_values(cert_pair))
    def one_case(argv: list[str], stdin: str) -> None:
        nonlocal ran
        ran += 1
        case = sandbox.fresh()
        rc, stdout, stderr = run_case(argv, stdin, case)
        check_outcome(argv, rc, stdout, stderr)
        EXITS[rc] = EXITS.get(rc, 0) + 1
        after = snapshot(tests_dir, sandbox.root)
        changed = sorted(set(after.items()) ^ set(before.items()))
        assert not changed, f"azsbackup {argv!r} wrote outside its sandbox: {changed[:5]}"
        assert top_level(repository) == before_repository, f"azsbackup {argv!r} wrote into the repository"
        shutil.rmtree(case)

    one_case()
    return ran


@pytest.mark.slow
def test_every_command_and_option(sandbox: Sandbox, cert_pair: CertPair) -> None:
    COUNTS["commands and options"] += fuzz(sandbox, cert_pair, COMMANDS, CASES)


@pytest.mark.slow
def test_every_config_field(sandbox: Sandbox, cert_pair: CertPair) -> None:
    config_commands = [(p, c) for p, c in COMMANDS if p[0] in {"config", "component", "cert", "job", "trust"}]
    COUNTS["config fields"] += fuzz(sandbox, cert_pair, config_commands, CONFIG_CASES)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    if COUNTS:
        COUNTS.report("fuzz/cli", exit_codes={str(code): n for code, n in sorted(EXITS.items())})
