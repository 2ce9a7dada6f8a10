"""``python -m azsbackup.pwsh``: one cmdlet call of the PowerShell module, served by the engine in-process.

The module writes one request on standard input (UTF-8 JSON, a BOM is tolerated)::

    {"protocol": 1, "cmdlet": "Set-AzsBackupConfiguration", "parameter_set": "__AllParameterSets",
     "parameters": {"Path": "\\\\fs01\\share", "BackupFrequencyInHours": 6, "IsBackupSchedulerEnabled": false},
     "secrets": {"Password": "…"}}

The bridge finds the cmdlet in :mod:`azsbackup.pwsh.table`, builds the engine's
command line, and runs it in this process: through :mod:`azsbackup.fastpath` when
that serves it (``config get``: no click, no cryptography), else through the full
command line. Secrets reach the engine as its ``--secrets-stdin`` object, never
on a command line. While the engine runs, its events become ``progress``,
``warning`` and ``verbose`` messages on standard output, one JSON line each; the
last line is the ``result`` (:mod:`azsbackup.pwsh.protocol`). The exit code is the
engine's. Standard input and output are read and written as UTF-8 bytes whatever
the platform's code page.
"""

from __future__ import annotations

import io
import json
import sys
import threading

from azsbackup.pwsh import protocol, table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, BinaryIO

    Emit = Callable[[dict[str, Any]], None]

TAIL_LINES = 20
INVALID_REQUEST_EXIT = 10
INTERNAL_ERROR_EXIT = 2


class Request:
    __slots__ = ("cmdlet", "parameter_set", "parameters", "secrets")

    def __init__(self, cmdlet: str, parameter_set: str | None, parameters: dict[str, Any], secrets: dict[str, str]):
        self.cmdlet = cmdlet
        self.parameter_set = parameter_set
        self.parameters = parameters
        self.secrets = secrets


def parse_request(data: bytes) -> Request:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise table.RequestError(f"the request is not UTF-8 JSON ({type(exc).__name__})") from None
    if not isinstance(document, dict) or document.get("protocol") != protocol.PROTOCOL:
        raise table.RequestError(f"the request is not protocol {protocol.PROTOCOL} of the AzsBackup module")
    cmdlet, parameter_set = document.get("cmdlet"), document.get("parameter_set")
    parameters, secrets = document.get("parameters") or {}, document.get("secrets") or {}
    if not isinstance(cmdlet, str) or not isinstance(parameters, dict) or not isinstance(secrets, dict):
        raise table.RequestError("the request needs a cmdlet name and parameters and secrets objects")
    if not all(isinstance(v, str) for v in secrets.values()):
        raise table.RequestError("secrets must be strings")
    return Request(cmdlet, parameter_set if isinstance(parameter_set, str) else None, parameters, secrets)


class _EventStream(io.TextIOBase):
    """The engine's standard error while it runs: JSON event lines become messages, other lines verbose text."""

    def __init__(self, emit: Emit) -> None:
        super().__init__()
        self._emit = emit
        self._pending = ""
        self._lock = threading.Lock()
        self.tail: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            self._pending += text
            *lines, self._pending = self._pending.split("\n")
            for line in lines:
                self._line(line.rstrip("\r"))
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                self._line(self._pending)
                self._pending = ""

    def _line(self, line: str) -> None:
        event = None
        if line.startswith("{"):
            try:
                event = json.loads(line)
            except ValueError:
                event = None
        if isinstance(event, dict):
            message = protocol.from_event(event)
        elif line.strip():
            self.tail = [*self.tail[-(TAIL_LINES - 1) :], line]
            message = protocol.verbose(line)
        else:
            message = None
        if message is not None:
            self._emit(message)


def run_engine(argv: list[str], secrets: dict[str, str], emit: Emit) -> tuple[int, str, list[str]]:
    """Run the engine in this process: its exit code, its standard output, the last non-event lines of stderr."""
    from azsbackup import fastpath

    events = _EventStream(emit)
    captured = io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr, sys.argv
    sys.stdin = io.StringIO(json.dumps(secrets) if secrets else "")
    sys.stdout, sys.stderr, sys.argv = captured, events, ["azsbackup", *argv]
    try:
        code = fastpath.answer(argv)
        if code is None:
            from azsbackup.cli import run

            code = run(argv)
    finally:
        sys.stdin, sys.stdout, sys.stderr, sys.argv = saved
        events.flush()
    return code, captured.getvalue(), events.tail


def last_document(stdout: str) -> dict[str, Any] | None:
    """The engine's ``--json`` document: the last line of its standard output that is a JSON object."""
    for line in reversed(stdout.strip().splitlines()):
        try:
            document = json.loads(line)
        except ValueError:
            continue
        return document if isinstance(document, dict) else None
    return None


def failure(document: dict[str, Any] | None, exit_code: int, target: str, tail: list[str]) -> dict[str, Any]:
    """The error of a call that exited non-zero: the engine's own, or what its document says went wrong."""
    if document is not None and document.get("type") == "error":
        return _error(document, exit_code, target)
    if document is None:
        detail = "; ".join(tail[-5:]) or "no output"
        message = f"the engine exited with code {exit_code} without a result: {detail}"
        hint = "Run the same command with 'python -m azsbackup --debug' to see why."
        return _error({"code": "engine-failed", "message": message, "hint": hint}, exit_code, target)
    for candidate in (document.get("error"), (document.get("export") or {}).get("error")):
        if isinstance(candidate, dict) and candidate.get("code"):
            return _error(candidate, exit_code, target)
    failed = [c for c in document.get("components") or [] if isinstance(c.get("error"), dict)]
    status = document.get("status")
    if failed:
        first = failed[0]
        message = f"backup {document.get('id')} {status}: {', '.join(c['name'] for c in failed)} failed; "
        message += f"{first['name']}: {first['error'].get('message')}"
        hint = "RoleStatus of the backup object shows each component's error; Get-AzsBackupAlert what to do."
        return _error({"code": first["error"].get("code"), "message": message, "hint": hint}, exit_code, target)
    name = table.EXIT_CODE_NAMES.get(exit_code, "unknown-error")
    warnings = [w.get("message") for c in document.get("components") or [] for w in c.get("warnings") or []]
    message = f"{target or 'the command'} ended with {name}" + (f": {'; '.join(warnings)}" if warnings else "")
    return _error({"code": name, "message": message, "hint": "See the warnings above."}, exit_code, target)


def _error(source: dict[str, Any], exit_code: int, target: str) -> dict[str, Any]:
    code = str(source.get("code") or "unknown-error")
    exit_code = int(source.get("exit_code") or exit_code)
    return protocol.error(
        code=code,
        message=str(source.get("message") or code),
        hint=str(source.get("hint") or ""),
        exit_code=exit_code,
        category=table.category(exit_code),
        terminating=code in table.TERMINATING_CODES,
        target=target,
    )


def objects_of(call: table.EngineCall, document: dict[str, Any] | None) -> list[dict[str, Any]]:
    if document is None or document.get("type") == "error" or not call.passthru:
        return []
    shape, collection = call.variant.shape, call.variant.collection
    items = document.get(collection) or [] if collection else [document]
    return [shape.to_object(item) for item in items]


def serve(data: bytes, out: BinaryIO) -> int:
    """Answer one request (``data``) on ``out``; the return value is the process's exit code."""
    lock = threading.Lock()
    open_progress: dict[str, bool] = {}

    def emit(message: dict[str, Any]) -> None:
        if message["kind"] == "progress":
            open_progress["open"] = not message["completed"]
        with lock:
            out.write(protocol.encode(message))
            out.flush()

    try:
        request = parse_request(data)
        call = table.engine_call(request.cmdlet, request.parameter_set, request.parameters, request.secrets)
    except table.RequestError as exc:
        source = {"code": "invalid-request", "message": str(exc), "hint": "Update the AzsBackup module and engine."}
        emit(protocol.result(INVALID_REQUEST_EXIT, "", [], [], _error(source, INVALID_REQUEST_EXIT, "")))
        return INVALID_REQUEST_EXIT
    except Exception as exc:  # a bug: still a result for the module, and no request value in a traceback
        source = {"code": "unknown-error", "message": f"internal error in the PowerShell bridge ({type(exc).__name__})"}
        emit(protocol.result(INTERNAL_ERROR_EXIT, "", [], [], _error(source, INTERNAL_ERROR_EXIT, "")))
        return INTERNAL_ERROR_EXIT
    try:
        exit_code, stdout, tail = run_engine(call.argv, call.secrets, emit)
        document = last_document(stdout)
        objects = objects_of(call, document)
        error = failure(document, exit_code, call.target, tail) if exit_code != 0 else None
    except Exception as exc:  # a bug here must still give the module a result, and no secret in a traceback
        exit_code, objects = INTERNAL_ERROR_EXIT, []
        source = {"code": "unknown-error", "message": f"internal error in the PowerShell bridge ({type(exc).__name__})"}
        error = _error(source, exit_code, call.target)
    if open_progress.get("open"):
        emit(protocol.progress({"activity": call.variant.words[0], "status": "done", "percent": 100}))
    shape = call.variant.shape
    emit(protocol.result(exit_code, shape.type_name, objects, shape.dates, error))
    return exit_code


def main() -> None:
    sys.exit(serve(sys.stdin.buffer.read(), sys.stdout.buffer))
