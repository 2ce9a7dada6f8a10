"""The ``command`` provider: the standard output of a dump command, restored by piping into a restore command.

Commands are split with :func:`shlex.split` on POSIX and passed as one string
to ``CreateProcess`` on Windows; no shell is involved. An operator who needs a
pipeline writes ``sh -c '…'`` explicitly.

The dump's standard output is stored as consecutive files ``stdout.000000``,
``stdout.000001``, … of at most 8 MiB each: the archive needs each member's
size up front, and chunking keeps memory bounded without a temporary file.
A non-zero exit or a timeout fails the component with the exit code and the
last 4 KiB of standard error. The child never sees the engine's secret
environment variables.

Restore pipes the chunks in order into ``restore_command``; with ``--to DIR``
it writes them, concatenated, to ``DIR/<component>/stdout.dump`` instead.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, ClassVar

from azsbackup.errors import CommandFailed, InvalidValue, ProviderError
from azsbackup.items import Item, ItemKind, ItemSink, ItemSource
from azsbackup.osutil import IS_WINDOWS
from azsbackup.providers.base import ProviderContext, RestoreDestination, reject_unknown_settings
from azsbackup.providers.fs import StagedTree

CHUNK = 8 << 20
STDERR_TAIL = 4096
DEFAULT_TIMEOUT = 3600
SETTINGS = ("dump_command", "restore_command", "timeout")


def child_environment() -> dict[str, str]:
    """The engine's environment without any AZSBACKUP_* variable (they may hold secrets)."""
    return {k: v for k, v in os.environ.items() if not k.upper().startswith("AZSBACKUP_")}


def _argv(command: str) -> list[str] | str:
    return command if IS_WINDOWS else shlex.split(command)


DUMP_FILE = "stdout.dump"
"""What ``restore --to`` names the dump: the archive's ``stdout.NNNNNN`` members joined in order."""


class _StderrTail(threading.Thread):
    """Drains stderr so the child never blocks on a full pipe; keeps the last bytes."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(daemon=True)
        self._stream = stream
        self.tail = b""

    def run(self) -> None:
        while chunk := self._stream.read(65536):
            self.tail = (self.tail + chunk)[-STDERR_TAIL:]

    def text(self) -> str:
        return self.tail.decode("utf-8", "replace").strip()


class _Watchdog:
    """Kills the child when the deadline passes; the caller checks :attr:`fired`."""

    def __init__(self, process: subprocess.Popen[bytes], timeout: float) -> None:
        self.fired = False
        self._timer = threading.Timer(timeout, self._kill, args=(process,))
        self._timer.daemon = True
        self._timer.start()

    def _kill(self, process: subprocess.Popen[bytes]) -> None:
        self.fired = True
        with contextlib.suppress(ProcessLookupError):
            process.kill()

    def cancel(self) -> None:
        self._timer.cancel()


class CommandProvider:
    type_name: ClassVar[str] = "command"

    def __init__(self, component: str, dump_command: str, restore_command: str | None, timeout: int) -> None:
        self.component = component
        self.dump_command = dump_command
        self.restore_command = restore_command
        self.timeout = timeout

    @classmethod
    def from_settings(cls, component: str, settings: Mapping[str, object]) -> CommandProvider:
        reject_unknown_settings("command", settings, SETTINGS)
        dump = settings.get("dump_command")
        if not isinstance(dump, str) or not dump.strip():
            raise InvalidValue(field="dump-command", value=repr(dump), allowed="a command line (--dump-command)")
        restore = settings.get("restore_command")
        if restore is not None and (not isinstance(restore, str) or not restore.strip()):
            raise InvalidValue(field="restore-command", value=repr(restore), allowed="a command line")
        timeout = settings.get("timeout", DEFAULT_TIMEOUT)
        if not isinstance(timeout, int) or isinstance(timeout, bool) or not 1 <= timeout <= 86400:
            raise InvalidValue(field="timeout", value=repr(timeout), allowed="seconds from 1 to 86400")
        for command in (dump, restore):
            if command is not None and not IS_WINDOWS:
                try:
                    shlex.split(command)
                except ValueError as exc:
                    raise InvalidValue(field="command", value=repr(command), allowed="a command line") from exc
        return cls(component, dump, restore, timeout)

    def settings(self) -> dict[str, object]:
        return {"dump_command": self.dump_command, "restore_command": self.restore_command, "timeout": self.timeout}

    def describe(self) -> str:
        return f"output of: {self.dump_command}"

    def _start(self, command: str, **kwargs: object) -> subprocess.Popen[bytes]:
        try:
            return subprocess.Popen(_argv(command), env=child_environment(), stderr=subprocess.PIPE, **kwargs)  # type: ignore[call-overload,no-any-return]
        except OSError as exc:
            raise CommandFailed(component=self.component, detail=f"cannot start {command!r}: {exc.strerror}") from exc

    def _finish(self, process: subprocess.Popen[bytes], stderr: _StderrTail, watchdog: _Watchdog, what: str) -> None:
        code = process.wait()
        watchdog.cancel()
        stderr.join(5)
        if watchdog.fired:
            raise CommandFailed(component=self.component, detail=f"{what} timed out after {self.timeout} s")
        if code != 0:
            tail = stderr.text()
            raise CommandFailed(
                component=self.component, detail=f"{what} exited with {code}" + (f": {tail}" if tail else "")
            )

    def backup(self, sink: ItemSink, ctx: ProviderContext) -> None:
        process = self._start(self.dump_command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        stderr = _StderrTail(process.stderr)  # type: ignore[arg-type]
        stderr.start()
        watchdog = _Watchdog(process, self.timeout)
        try:
            self._store_stdout(process.stdout, sink, ctx)  # type: ignore[arg-type]
        except BaseException:
            process.kill()
            process.wait()
            watchdog.cancel()
            raise
        self._finish(process, stderr, watchdog, "the dump command")

    @staticmethod
    def _store_stdout(stdout: IO[bytes], sink: ItemSink, ctx: ProviderContext) -> None:
        import io

        now = time.time_ns()
        index = 0
        while True:
            chunk = stdout.read(CHUNK)
            if not chunk and index > 0:
                return
            sink.add(Item(f"stdout.{index:06d}", ItemKind.FILE, 0o600, now, len(chunk)), io.BytesIO(chunk))
            ctx.on_progress(len(chunk))
            index += 1
            if not chunk:
                return

    def restore(self, source: ItemSource, dest: RestoreDestination, ctx: ProviderContext) -> Path | str:
        if dest.directory is not None:
            return self.restore_files(source, dest.directory, dest.force, ctx)
        if not self.restore_command:
            raise ProviderError(
                component=self.component,
                detail="no restore command is configured",
                hint="Restore with --to DIR to get the dump as a file, or set a restore command.",
            )
        process = self._start(self.restore_command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        stderr = _StderrTail(process.stderr)  # type: ignore[arg-type]
        stderr.start()
        watchdog = _Watchdog(process, self.timeout)
        try:
            with process.stdin:  # type: ignore[union-attr]
                for _item, content in source:
                    while content is not None and (data := content.read(1 << 20)):
                        process.stdin.write(data)  # type: ignore[union-attr]
                        ctx.on_progress(len(data))
        except BrokenPipeError:
            pass  # the command stopped reading; its exit code says why
        except BaseException:
            process.kill()
            process.wait()
            watchdog.cancel()
            raise
        self._finish(process, stderr, watchdog, "the restore command")
        return self.restore_command

    @classmethod
    def restore_files(cls, source: ItemSource, directory: Path, force: bool, ctx: ProviderContext) -> Path:
        """The dump as one file, ``stdout.dump``: the ``stdout.NNNNNN`` members joined in order."""
        with StagedTree(directory, force=force) as tree:
            path = tree.path_of(DUMP_FILE)
            # 0600, as every archived file is: a database dump is as secret as the database
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                for _item, content in source:
                    while content is not None and (data := content.read(1 << 20)):
                        out.write(data)
                        ctx.on_progress(len(data))
        return directory / DUMP_FILE
