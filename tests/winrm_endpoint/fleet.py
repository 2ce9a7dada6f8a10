"""Many controllers behind the WSMan/PSRP test double: one endpoint per controller, each on its own
loopback address (127.0.0.N) and the same port, as a fleet of hosts with one WinRM port.

What the fan-out tests observe and inject, all at the endpoints (the double's ``observer`` hook):

* :class:`ConnectionLog` records every TCP connection opening and closing at any endpoint (and, through
  an events file, at endpoints running in their own process). Each time one opens it also counts, in the
  kernel's table (/proc/net/tcp), the established connections to the fleet's port: the most there were at
  once is the highest such count, exact where a count can rise. (The handlers' own close events come a
  thread switch after the client closed, so they alone would show a closed connection as open.)
* :class:`Latency` holds each command request for a fixed time before serving it, waiting on the
  socket (no CPU), as a far host would: the benchmark's remote latency.
* :class:`LongCommand` makes a host whose commands run for a long time: after a command starts, its
  output polls (WSMan Receive) get the operation-timeout fault, as a real host answers while the command
  still runs, until the time is up. The client's per-host timeout and Ctrl+C meet it mid-command.

A host with a wrong password runs in its own process (tests/winrm_endpoint/host_process.py) with its
own NTLM account file: pyspnego reads accounts from one file per process.
"""

from __future__ import annotations

import select
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.winrm_endpoint.server import WinRMEndpoint

READY_TIMEOUT_S = 30.0
HOLD_S = 1.0
"""How long a held output poll waits before the operation-timeout fault (the double's own receive wait)."""


@dataclass
class Latency:
    seconds: float
    actions: tuple[str, ...] = ("Command",)


@dataclass
class LongCommand:
    seconds: float
    started: dict[int, float] = field(default_factory=dict)
    """connection file descriptor → when its latest command started"""


Policy = Latency | LongCommand


class ConnectionLog:
    """The endpoints' observer: connection events (monotonic time, +1 or -1) and per-endpoint policies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.events: list[tuple[float, int, str]] = []
        self.counts: list[tuple[float, int]] = []
        """(time, established connections to the fleet's port) at each opening"""
        self.policies: dict[int, Policy] = {}
        self.files: list[Path] = []
        """events files written by endpoints in other processes (same clock: CLOCK_MONOTONIC)"""

    def opened(self, endpoint: WinRMEndpoint) -> None:
        count = established(endpoint.server_address[1])
        with self._lock:
            moment = time.monotonic()
            self.events.append((moment, +1, endpoint.server_address[0]))
            self.counts.append((moment, count))

    def closed(self, endpoint: WinRMEndpoint) -> None:
        with self._lock:
            self.events.append((time.monotonic(), -1, endpoint.server_address[0]))

    def admit(self, endpoint: WinRMEndpoint, action: str, connection: socket.socket) -> str:
        policy = self.policies.get(id(endpoint))
        verb = action.rsplit("/", 1)[-1]
        if isinstance(policy, Latency) and verb in policy.actions:
            return "serve" if _wait_unless_gone(connection, policy.seconds) else "drop"
        if isinstance(policy, LongCommand):
            if verb == "Command":
                policy.started[connection.fileno()] = time.monotonic()
            started = policy.started.get(connection.fileno())
            if verb == "Receive" and started is not None and time.monotonic() - started < policy.seconds:
                return "timeout" if _wait_unless_gone(connection, HOLD_S) else "drop"
        return "serve"

    def all_events(self) -> list[tuple[float, int, str]]:
        with self._lock:
            events = list(self.events)
        for path in self.files:
            for line in path.read_text().splitlines():
                moment, delta, where, _count = line.split()
                events.append((float(moment), int(delta), where))
        return sorted(events)

    def peak(self, since: float = 0.0) -> int:
        """The most connections to the fleet's port established at once (from ``since``, a monotonic time)."""
        with self._lock:
            counts = list(self.counts)
        for path in self.files:
            for line in path.read_text().splitlines():
                moment, delta, _where, count = line.split()
                if int(delta) > 0:
                    counts.append((float(moment), int(count)))
        return max((count for moment, count in counts if moment >= since), default=0)

    def open_now(self) -> int:
        return sum(delta for _m, delta, _w in self.all_events())

    def opened_at(self, address: str) -> int:
        return sum(1 for _m, delta, where in self.all_events() if delta > 0 and where == address)


def established(port: int) -> int:
    """Established TCP connections whose local end is ``port`` (the servers' side), from the kernel.

    The table is read in several reads while it changes, so a connection can be listed twice: each is
    counted once, by its pair of addresses.
    """
    seen: set[tuple[str, str]] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                seen.add((fields[1], fields[2]))
    return len(seen)


def _wait_unless_gone(connection: socket.socket, seconds: float) -> bool:
    """Wait ``seconds`` on the socket; False as soon as the client closed it (it became readable)."""
    readable, _, _ = select.select([connection], [], [], seconds)
    return not readable


@dataclass
class Host:
    address: str
    home: Path
    endpoint: WinRMEndpoint | None = None
    process: subprocess.Popen[str] | None = None


@dataclass
class FleetEndpoints:
    port: int
    hosts: list[Host]
    log: ConnectionLog

    def host(self, address: str) -> Host:
        return next(h for h in self.hosts if h.address == address)

    def set_policy(self, address: str, policy: Policy | None) -> None:
        endpoint = self.host(address).endpoint
        assert endpoint is not None, f"{address} has no endpoint in this process"
        if policy is None:
            self.log.policies.pop(id(endpoint), None)
        else:
            self.log.policies[id(endpoint)] = policy


def addresses(count: int, first: int = 10) -> list[str]:
    return [f"127.0.0.{first + i}" for i in range(count)]


@contextmanager
def serve_fleet(
    homes: list[Path], tls: ssl.SSLContext, users: dict[str, str], *, first: int = 10
) -> Iterator[FleetEndpoints]:
    """One endpoint per home on 127.0.0.<first>… and one port, each serving the AzsBackup cmdlets for its home."""
    from tests.winrm_endpoint.azsbackup_cmdlets import register_azsbackup_cmdlets

    log = ConnectionLog()
    hosts = [Host(address, home) for address, home in zip(addresses(len(homes), first), homes, strict=True)]
    port = _bind_all(hosts, tls, users)
    try:
        for host in hosts:
            assert host.endpoint is not None
            host.endpoint.observer = log
            register_azsbackup_cmdlets(host.endpoint, host.home)
            host.endpoint.start()
        yield FleetEndpoints(port, hosts, log)
    finally:
        for host in hosts:
            if host.endpoint is not None:
                host.endpoint.close()


def _bind_all(hosts: list[Host], tls: ssl.SSLContext, users: dict[str, str]) -> int:
    """Bind every host's endpoint to one port (a free one on every address; a few tries)."""
    for _attempt in range(10):
        first = WinRMEndpoint(users, tls=tls, address=(hosts[0].address, 0))
        hosts[0].endpoint = first
        try:
            for host in hosts[1:]:
                host.endpoint = WinRMEndpoint(users, tls=tls, address=(host.address, first.port))
        except OSError:
            for host in hosts:
                if host.endpoint is not None:
                    host.endpoint.server_close()
                    host.endpoint = None
            continue
        return first.port
    raise RuntimeError("no port is free on every fleet address")


@contextmanager
def host_process(
    address: str, port: int, home: Path, cert: Path, key: Path, users: dict[str, str], events: Path
) -> Iterator[subprocess.Popen[str]]:
    """An endpoint in its own process (its own NTLM accounts); stops when the test ends."""
    directory = events.parent
    (directory / "users").write_text("".join(f"{user}\n{password}\n" for user, password in users.items()))
    argv = [
        sys.executable,
        "-m",
        "tests.winrm_endpoint.host_process",
        address,
        str(port),
        str(home),
        str(cert),
        str(key),
        str(directory / "users"),
        str(events),
    ]
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(argv, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ready = process.stdout.readline() if process.stdout else ""
        if ready.strip() != "ready":
            raise RuntimeError(f"the endpoint process on {address}:{port} did not start: {ready!r}")
        yield process
    finally:
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
