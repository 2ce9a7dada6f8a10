"""Many hosts at once: :class:`Fleet` runs the same work on every host, a bounded number at a time.

This is PowerShell's ``Invoke-Command -ComputerName a,b,c -ThrottleLimit N``
from Python: every host gets its own :class:`RemoteClient` (one WSMan
connection and one runspace pool, reused by every call of the work on that
host), at most ``throttle`` hosts are worked on at once, and at most
``throttle`` connections are open at any moment: a host's pool stays open
after its work for the next call while there is room, and the least recently
used idle pool is closed before another host's is opened.

Each host ends with a :class:`HostResult`: its output, or its typed error.
A host that cannot be reached, refuses the credentials, fails its command or
outlives the per-host timeout fails alone; the others go on. A per-host
timeout counts from the moment the host's turn starts (not while it waits for
a free slot). Ctrl+C (``KeyboardInterrupt`` in the calling thread) or
:meth:`Fleet.cancel` stops every host: running pipelines get PSRP's stop
signal, pools are closed, hosts not started are not started, and the hosts
that did not finish report :class:`~azsbackup.errors.Interrupted`.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from azsbackup.errors import AzsBackupError, Interrupted, InvalidValue, RemoteError
from azsbackup.remote.client import RemoteClient, RemoteSettings

log = logging.getLogger(__name__)

DEFAULT_THROTTLE = 16
"""Invoke-Command's default ThrottleLimit."""
CANCEL_GRACE_S = 10.0
"""How long a cancel waits for hosts to stop their pipelines and close their pools."""
_HOST = re.compile(r"^[A-Za-z0-9_.\-]{1,253}$|^\[?[0-9A-Fa-f:.]{2,45}\]?$")


@dataclass(frozen=True)
class Credential:
    """One account for every host (as ``Invoke-Command -Credential``)."""

    username: str
    password: str = field(repr=False)


@dataclass
class HostResult:
    host: str
    ok: bool
    result: Any = None
    error: AzsBackupError | None = None

    def to_dict(self) -> dict[str, Any]:
        """The element of the fan-out's JSON array: ``{host, ok, result}`` or ``{host, ok, error}``."""
        if self.ok:
            return {"host": self.host, "ok": True, "result": self.result}
        error = self.error or AzsBackupError("no result")
        return {"host": self.host, "ok": False, "error": error.to_dict()}


class HostSession:
    """What the work gets for one host: calls on that host's pool, within its deadline."""

    def __init__(self, client: RemoteClient, deadline: float | None, cancel: threading.Event) -> None:
        self._client = client
        self._deadline = deadline
        self._cancel = cancel

    @property
    def host(self) -> str:
        return self._client.settings.host

    def invoke(self, command: str, parameters: Mapping[str, Any] | None = None) -> list[Any]:
        return self._client.invoke(command, parameters, deadline=self._deadline, cancel=self._cancel)

    @property
    def errors(self) -> list[tuple[str, str]]:
        """The non-terminating errors of the last call: (FullyQualifiedErrorId, message)."""
        return list(self._client.errors)


def parse_hosts(values: Iterable[str], *, base: Path | None = None) -> list[str]:
    """Host names from ``--computer-name`` values: repeated, comma-separated, or ``@FILE`` (one host a line,
    ``#`` comments). Order is kept and repeats are dropped."""
    hosts: list[str] = []
    for value in values:
        for item in (v.strip() for v in value.split(",")):
            if item.startswith("@"):
                hosts += _hosts_file(Path(item[1:]) if base is None else base / item[1:])
            elif item:
                hosts.append(_check_host(item))
            else:
                raise InvalidValue(field="computer-name", value=repr(value), allowed="host names separated by commas")
    if not hosts:
        raise InvalidValue(field="computer-name", value="(none)", allowed="at least one host")
    return list(dict.fromkeys(hosts))


def _hosts_file(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidValue(
            field="computer-name", value=f"@{path}", allowed="@FILE naming a readable UTF-8 file, one host a line"
        ) from exc
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [_check_host(line) for line in lines if line]


def _check_host(name: str) -> str:
    if not _HOST.match(name):
        raise InvalidValue(
            field="computer-name", value=repr(name), allowed="a host name, IPv4 or IPv6 address (no spaces or slashes)"
        )
    return name


class Fleet:
    """The same operations as :class:`RemoteClient`, on many hosts: ``invoke`` returns one result per host."""

    def __init__(
        self,
        hosts: Sequence[str | RemoteSettings],
        credential: Credential,
        throttle: int = DEFAULT_THROTTLE,
        *,
        port: int | None = None,
        ssl: bool = True,
        cert_validation: bool | str = True,
        auth: str = "negotiate",
        operation_timeout: float | None = None,
        connection_timeout: int = 30,
        on_warning: Callable[[str, str], None] | None = None,
    ) -> None:
        if throttle < 1:
            raise InvalidValue(field="throttle-limit", value=throttle, allowed="1 or more")
        if operation_timeout is not None and operation_timeout <= 0:
            raise InvalidValue(field="operation-timeout", value=operation_timeout, allowed="more than 0 seconds")
        self.settings: dict[str, RemoteSettings] = {}
        for host in hosts:
            settings = (
                host
                if isinstance(host, RemoteSettings)
                else RemoteSettings(
                    host=host,
                    username=credential.username,
                    password=credential.password,
                    port=port,
                    ssl=ssl,
                    cert_validation=cert_validation,
                    auth=auth,
                    connection_timeout=connection_timeout,
                )
            )
            self.settings.setdefault(settings.host, settings)
        if not self.settings:
            raise InvalidValue(field="computer-name", value="(none)", allowed="at least one host")
        self.throttle = throttle
        self.operation_timeout = operation_timeout
        self._on_warning = on_warning
        self._cancel = threading.Event()
        self._slots = threading.Condition()
        self._idle: OrderedDict[str, RemoteClient] = OrderedDict()
        self._open = 0

    @property
    def hosts(self) -> list[str]:
        return list(self.settings)

    # --- operations ---------------------------------------------------------------------------

    def invoke(self, command: str, parameters: Mapping[str, Any] | None = None) -> list[HostResult]:
        """Run one cmdlet on every host; each result holds that host's output (a list) or its error."""
        return self.run(lambda session: session.invoke(command, parameters))

    def run(self, work: Callable[[HostSession], Any]) -> list[HostResult]:
        """Run ``work`` once per host (``throttle`` at a time); results in the order of the hosts."""
        self._cancel.clear()
        pending: queue.SimpleQueue[str] = queue.SimpleQueue()
        for host in self.settings:
            pending.put(host)
        results: dict[str, HostResult] = {}
        count = min(self.throttle, len(self.settings))
        remaining = [count]
        finished = threading.Event()

        def worker() -> None:
            try:
                self._worker(pending, work, results)
            finally:
                with self._slots:
                    remaining[0] -= 1
                    if remaining[0] == 0:
                        finished.set()

        for i in range(count):
            threading.Thread(target=worker, name=f"fleet-{i}", daemon=True).start()
        # Waiting on an event, not on Thread.join: a join that Ctrl+C interrupts can report a live thread as ended.
        try:
            while not finished.wait(0.2):
                pass
        except KeyboardInterrupt:
            self.cancel()
            finished.wait(CANCEL_GRACE_S)
        return [results.get(host) or HostResult(host, False, error=Interrupted()) for host in self.settings]

    def cancel(self) -> None:
        """Stop every host: running pipelines are stopped, hosts not started yet are skipped."""
        self._cancel.set()

    def close(self) -> None:
        """Close every pool still open."""
        with self._slots:
            idle = list(self._idle.values())
            self._idle.clear()
        for client in idle:
            self._release(client, keep=False)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- one host -----------------------------------------------------------------------------

    def _worker(
        self, pending: queue.SimpleQueue[str], work: Callable[[HostSession], Any], results: dict[str, HostResult]
    ) -> None:
        while not self._cancel.is_set():
            try:
                host = pending.get_nowait()
            except queue.Empty:
                return
            results[host] = self._run_one(host, work)

    def _run_one(self, host: str, work: Callable[[HostSession], Any]) -> HostResult:
        deadline = None if self.operation_timeout is None else time.monotonic() + self.operation_timeout
        client = self._acquire(host)
        ok = False
        try:
            result = work(HostSession(client, deadline, self._cancel))
            ok = True
            return HostResult(host, True, result=result)
        except AzsBackupError as exc:
            return HostResult(host, False, error=exc)
        except Exception as exc:  # one host's surprise never stops the others
            log.debug("%s: %s", host, exc, exc_info=True)
            return HostResult(host, False, error=RemoteError(host=host, detail=f"unexpected {type(exc).__name__}"))
        finally:
            self._release(client, keep=ok and not self._cancel.is_set())

    def _acquire(self, host: str) -> RemoteClient:
        """This host's idle client, or a new one once an open slot is free (closing the oldest idle pool)."""
        while True:
            with self._slots:
                client = self._idle.pop(host, None)
                if client is not None:
                    return client
                if self._open < self.throttle:
                    self._open += 1
                    return self._new_client(host)
                victim = self._idle.popitem(last=False)[1] if self._idle else None
                if victim is None:  # every slot is busy: cannot happen with ``throttle`` workers, but be safe
                    self._slots.wait(0.2)
                    continue
            self._release(victim, keep=False)

    def _release(self, client: RemoteClient, *, keep: bool) -> None:
        if keep:
            with self._slots:
                self._idle[client.settings.host] = client
                self._slots.notify_all()
            return
        try:
            client.close()
        finally:
            with self._slots:
                self._open -= 1
                self._slots.notify_all()

    def _new_client(self, host: str) -> RemoteClient:
        on_warning = self._on_warning
        settings = self.settings[host]
        if on_warning is None:
            return RemoteClient(settings)
        return RemoteClient(settings, on_warning=lambda message: on_warning(host, message))
