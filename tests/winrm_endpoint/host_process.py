"""One endpoint in a process of its own: a host with its own accounts (pyspnego reads NTLM accounts from
one file per process). Started by tests/winrm_endpoint/fleet.py:host_process.

    python -m tests.winrm_endpoint.host_process ADDRESS PORT HOME CERT KEY USERS_FILE EVENTS_FILE

USERS_FILE holds user and password on alternate lines. Connection events go to EVENTS_FILE as
``<monotonic time> <+1|-1> <address> <established connections to PORT>`` lines. Prints ``ready`` once
listening; stops when stdin closes (its parent ended) or after an hour at most.
"""

from __future__ import annotations

import ssl
import sys
import threading
import time
from pathlib import Path

from tests.winrm_endpoint.azsbackup_cmdlets import register_azsbackup_cmdlets
from tests.winrm_endpoint.fleet import established
from tests.winrm_endpoint.server import WinRMEndpoint, write_user_file

MAX_LIFETIME_S = 3600.0


class EventsFile:
    def __init__(self, path: Path) -> None:
        self._file = open(path, "a", buffering=1, encoding="ascii")  # noqa: SIM115 - open for the process's life
        self._lock = threading.Lock()

    def _write(self, endpoint: WinRMEndpoint, delta: str, count: int) -> None:
        with self._lock:
            self._file.write(f"{time.monotonic():.6f} {delta} {endpoint.server_address[0]} {count}\n")

    def opened(self, endpoint: WinRMEndpoint) -> None:
        self._write(endpoint, "+1", established(endpoint.server_address[1]))

    def closed(self, endpoint: WinRMEndpoint) -> None:
        self._write(endpoint, "-1", 0)

    def admit(self, endpoint: WinRMEndpoint, action: str, connection: object) -> str:
        return "serve"


def main(argv: list[str]) -> int:
    address, port, home, cert, key, users_file, events = argv
    lines = Path(users_file).read_text().splitlines()
    users = dict(zip(lines[0::2], lines[1::2], strict=True))
    write_user_file(Path(users_file).parent, users)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    endpoint = WinRMEndpoint(users, tls=tls, address=(address, int(port)))
    endpoint.observer = EventsFile(Path(events))
    register_azsbackup_cmdlets(endpoint, Path(home))
    endpoint.start()
    print("ready", flush=True)
    stopped = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stopped.set()), daemon=True).start()
    stopped.wait(MAX_LIFETIME_S)
    endpoint.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
