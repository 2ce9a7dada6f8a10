"""One controller: its state directory and the handles every operation needs.

Layout of a controller directory (``AZSBACKUP_HOME``)::

    state.db          SQLite: configuration, components, catalogue, jobs, alerts, trusted keys
    secrets.json      share password; owner-only; never backed up
    signing.key       Ed25519 key that signs every manifest; owner-only; never backed up
    signing.pub       its public half, so showing the fingerprint needs no key
    controller.lock   held while a backup, export, prune or restore runs
    store/            the internal store: one directory per backup id

The directory is created on first use; opening it never changes anything else.

``config get``, the most frequent call, opens a controller on every start, so
this module imports at load time only what that query needs; the signing key
(PyNaCl), the configuration dataclasses, the model and the store are imported
where they are used.
"""

from __future__ import annotations

import binascii
import contextlib
import json
import os
from functools import cached_property
from pathlib import Path

from azsbackup.osutil import IS_WINDOWS, restrict_to_owner
from azsbackup.state import db as state_db
from azsbackup.state.secrets import SecretStore

# This module is on the path of ``config get``, whose start-up time is what operators feel:
# azsbackup.errors is imported where an error is raised (that query raises none), and
# typing and the annotation-only names below are not imported at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterator

    from azsbackup.crypto.signing import SigningKey
    from azsbackup.state.config import BackupConfiguration
    from azsbackup.storage.local import LocalLocation

ENV_HOME = "AZSBACKUP_HOME"


SIGNING_PUBLIC_KEY = "signing.pub"
STORE_DIR = "store"
"""The internal store, below the controller directory."""


def default_home() -> Path:
    """``AZSBACKUP_HOME``, else the platform's place for a service's data.

    A controller run as root (a system service) keeps its state in
    ``/var/lib/azsbackup``; on Windows and for ordinary users the per-user data
    directory of platformdirs is used.
    """
    if env := os.environ.get(ENV_HOME):
        return Path(env)
    if not IS_WINDOWS and os.geteuid() == 0:
        return Path("/var/lib/azsbackup")
    import platformdirs  # deferred, like every import a query does not need: start-up time

    return platformdirs.user_data_path("azsbackup", appauthor=False)


def public_key_fingerprint(public_key: bytes) -> str:
    """:func:`azsbackup.crypto.signing.fingerprint` (a test checks they agree), without loading OpenSSL.

    ``hashlib`` loads OpenSSL's libcrypto when it is imported, which takes longer
    than all the rest of ``config get``; CPython's own SHA-256 gives the same digest.
    """
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]  # CPython 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]  # CPython 3.12+
        except ImportError:  # an interpreter built without them
            from hashlib import sha256
    digest: bytes = sha256(public_key).digest()
    return "SHA256:" + binascii.b2a_base64(digest, newline=False).decode("ascii").rstrip("=")


class LockHolder:
    """Who holds the controller lock: the contents of ``controller.lock.json``.

    A plain class rather than a dataclass, so that opening a controller does not
    import ``dataclasses`` (start-up time of ``config get``).
    """

    def __init__(self, pid: int, host: str, operation: str, since: str) -> None:
        self.pid = pid
        self.host = host
        self.operation = operation
        self.since = since

    def describe(self) -> str:
        return f"{self.operation} by pid {self.pid} on {self.host} since {self.since}"


class Controller:
    """Handles on one controller directory. Cheap to create; state is opened lazily."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = (home or default_home()).absolute()

    # --- files -------------------------------------------------------------------

    def ensure_home(self) -> None:
        """Create the controller directory (owner-only) on first use."""
        if not self.home.exists():
            try:
                self.home.mkdir(parents=True)
            except OSError as exc:
                from azsbackup.errors import LocationError

                raise LocationError(location=str(self.home), detail=f"cannot create it: {exc.strerror}") from exc
            restrict_to_owner(self.home)

    @cached_property
    def db(self) -> sqlite3.Connection:
        self.ensure_home()
        return state_db.connect(self.home / "state.db")

    def close(self) -> None:
        """Close the state database if it was opened. Process exit does the same; callers that
        run many commands in one process (tests, the scheduler) must not leave it to the GC."""
        db = self.__dict__.pop("db", None)
        if db is not None:
            db.close()

    @cached_property
    def secrets(self) -> SecretStore:
        self.ensure_home()
        return SecretStore(self.home / "secrets.json")

    @cached_property
    def signing_key(self) -> SigningKey:
        """The controller's manifest-signing key, created on first use."""
        from azsbackup.crypto.signing import SigningKey

        self.ensure_home()
        path = self.home / "signing.key"
        if path.exists():
            return SigningKey.load(path)
        key = SigningKey.generate()
        key.save(path)
        (self.home / SIGNING_PUBLIC_KEY).write_bytes(key.public_key)
        return key

    @property
    def signing_fingerprint(self) -> str:
        """The signing key's fingerprint, from its public half (``signing.pub``), without loading the key.

        Showing it (``config get``, the most frequent call) then needs no
        cryptography library; a controller made before the file existed gets
        it written on first use. Trust decisions use :attr:`signing_key` itself.
        """
        public = self.home / SIGNING_PUBLIC_KEY
        if not public.exists():
            public.write_bytes(self.signing_key.public_key)
        return public_key_fingerprint(public.read_bytes())

    @cached_property
    def store(self) -> LocalLocation:
        """The internal store; its directory is created by the first write."""
        self.ensure_home()
        from azsbackup.storage.local import LocalLocation

        return LocalLocation(self.home / STORE_DIR)

    def config(self) -> BackupConfiguration:
        from azsbackup.state import config as config_state

        return config_state.load(self.db)

    @property
    def name(self) -> str:
        """The controller's name in metrics and alerts: the configured one, else the host name."""
        from azsbackup.state.config_view import host_name

        return self.config().controller_name or host_name()

    def save_config(self, value: BackupConfiguration) -> None:
        from azsbackup.state import config as config_state

        with state_db.transaction(self.db):
            config_state.save(self.db, value)

    # --- trust -------------------------------------------------------------------

    def trusted_fingerprints(self) -> set[str]:
        """The controller's own key and every key the operator pinned."""
        pinned = {row["fingerprint"] for row in self.db.execute("SELECT fingerprint FROM trusted_keys")}
        return pinned | {self.signing_key.fingerprint}

    # --- the one-operation-at-a-time lock ------------------------------------------

    @contextlib.contextmanager
    def exclusive(self, operation: str) -> Iterator[None]:
        """Hold the controller lock for ``operation`` or fail at once with :class:`Locked`.

        The lock is an OS file lock (``flock``/``LockFileEx`` through filelock),
        which the OS releases when its holder dies, so a crashed backup never
        leaves the controller stuck; ``controller.lock.json`` only says who
        holds it, for the error message.
        """
        import socket

        import filelock

        from azsbackup.errors import Locked
        from azsbackup.model import iso, utc_now

        self.ensure_home()
        lock = filelock.FileLock(str(self.home / "controller.lock"), timeout=0)
        info = self.home / "controller.lock.json"
        try:
            lock.acquire()
        except filelock.Timeout as exc:
            raise Locked(holder=self._describe_holder(info)) from exc
        try:
            holder = LockHolder(os.getpid(), socket.gethostname(), operation, iso(utc_now()) or "")
            info.write_text(json.dumps(holder.__dict__), encoding="utf-8")
            yield
        finally:
            with contextlib.suppress(OSError):
                info.unlink()
            lock.release()

    @staticmethod
    def _describe_holder(info: Path) -> str:
        try:
            return LockHolder(**json.loads(info.read_text(encoding="utf-8"))).describe()
        except (OSError, ValueError, TypeError):
            return "holder unknown"
