"""SMB against a real smbd: each failure surfacing as its azsbackup.errors class, what travels on the wire,
and ``probe_location``.

Every error raised here is also checked for the share password (in its
message, hint, JSON form, repr and whole traceback, causes included).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import select
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from azsbackup.errors import (
    AccessDenied,
    AzsBackupError,
    EncryptionNotSupported,
    InvalidPath,
    LocationAuthFailed,
    LocationConnectionLost,
    LocationError,
    LocationFull,
    LocationUnreachable,
    NotFound,
)
from azsbackup.storage import open_location
from azsbackup.storage.base import PARTIAL_MARKER
from azsbackup.storage.paths import Credentials, parse_location
from azsbackup.storage.probe import CHECK_NAMES, open_and_probe, probe_location
from azsbackup.storage.smb import IO_TIMEOUT_S, SmbLocation, translate
from tests.fixtures.samba import SambaServer

pytestmark = pytest.mark.smb

E = TypeVar("E", bound=AzsBackupError)


def smb(
    server: SambaServer,
    share: str,
    folder: str = "",
    *,
    password: str | None = None,
    allow_unencrypted: bool = False,
    timeout: float = IO_TIMEOUT_S,
) -> SmbLocation:
    credentials = Credentials(server.user, server.password if password is None else password)
    spec = parse_location(server.path(share, folder))
    return SmbLocation(spec, credentials, allow_unencrypted=allow_unencrypted, timeout=timeout)


@contextlib.contextmanager
def raises_clean(kind: type[E], *secrets_: str) -> Iterator[pytest.ExceptionInfo[E]]:
    """``pytest.raises(kind)``, and none of ``secrets_`` anywhere in what the error shows or carries."""
    with pytest.raises(kind) as caught:
        yield caught
    error = caught.value
    shown = [
        str(error),
        repr(error),
        error.message,
        error.hint,
        str(error.to_dict()),
        "".join(traceback.format_exception(error)),
    ]
    for secret in secrets_:
        assert not any(secret in text for text in shown), f"the password leaked into {type(error).__name__}"


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


# --- logon ---------------------------------------------------------------------------------


def test_wrong_password(smb_server: SambaServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = f"Wr0ng-{secrets.token_hex(8)}"
    with raises_clean(LocationAuthFailed, wrong, smb_server.password) as caught:
        smb(smb_server, "share", password=wrong)
    assert caught.value.code == "authentication-failed"
    assert "STATUS_LOGON_FAILURE (0xC000006D)" in caught.value.message
    assert repr(smb_server.user) in caught.value.message
    assert wrong not in caplog.text and smb_server.password not in caplog.text


def test_wrong_password_while_a_good_session_is_open(smb_server: SambaServer) -> None:
    """Each location logs on itself: a good session of the same user is not reused for a wrong password."""
    good = smb(smb_server, "share")
    wrong = f"Wr0ng-{secrets.token_hex(8)}"
    try:
        with raises_clean(LocationAuthFailed, wrong):
            smb(smb_server, "share", password=wrong)
        assert good.exists("")
    finally:
        good.close()


def test_unknown_user(smb_server: SambaServer) -> None:
    spec = parse_location(smb_server.path("share"))
    with raises_clean(LocationAuthFailed, smb_server.password):
        SmbLocation(spec, Credentials("no-such-user", smb_server.password))


def test_logging_on_never_logs_the_password(smb_server: SambaServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    location = smb(smb_server, "share")
    location.makedirs(unique("logged"))
    location.close()
    assert caplog.text and smb_server.password not in caplog.text
    assert smb_server.password not in repr(location)


# --- paths, permissions --------------------------------------------------------------------


def test_missing_share(smb_server: SambaServer) -> None:
    with raises_clean(InvalidPath, smb_server.password) as caught:
        smb(smb_server, "nosuchshare", "folder")
    assert "'nosuchshare'" in caught.value.message


def test_missing_folder(smb_server: SambaServer) -> None:
    location = smb(smb_server, "share", f"{unique('absent')}/deeper")
    try:
        assert not location.exists("")
        assert location.list() == []
        with raises_clean(NotFound, smb_server.password):
            location.stat("file")
        with raises_clean(InvalidPath, smb_server.password) as caught:
            location.rename("file", "other")
        assert "STATUS_OBJECT_PATH_NOT_FOUND (0xC000003A)" in caught.value.message
    finally:
        location.close()


def test_read_only_share(smb_server: SambaServer) -> None:
    location = smb(smb_server, "roshare")
    try:
        assert location.list() == [] and location.free_space().free > 0  # reading is allowed
        with raises_clean(AccessDenied, smb_server.password) as caught:
            location.open_write("backup/archive.azsb")
        assert caught.value.code == "cannot-write"
        assert "STATUS_ACCESS_DENIED (0xC0000022)" in caught.value.message
        with raises_clean(AccessDenied, smb_server.password):
            location.open_write("top-level-file")
        with raises_clean(AccessDenied, smb_server.password):
            location.makedirs("folder")
        assert location.list() == []
    finally:
        location.close()


def test_full_share(fresh_smb_server: SambaServer) -> None:
    assert fresh_smb_server.tiny_mounted, "tinyshare needs root to mount its tmpfs"
    location = smb(fresh_smb_server, "tinyshare")
    try:
        space = location.free_space()
        assert space.total <= 16 << 20
        with raises_clean(LocationFull, fresh_smb_server.password) as caught, location.open_write("b/x.bin") as writer:
            for _ in range(24):
                writer.write(os.urandom(1 << 20))
            writer.commit()
        assert caught.value.code == "share-full"
        assert "STATUS_DISK_FULL (0xC000007F)" in caught.value.message
        assert location.list("b") == []  # the partial file was removed, nothing published
        assert location.free_space().free > space.free // 2  # and its space given back
        leftovers = [p.name for p in fresh_smb_server.share_dir("tinyshare").rglob("*") if p.is_file()]
        assert leftovers == []
    finally:
        location.close()


# --- connection faults ---------------------------------------------------------------------


def test_nothing_listening(smb_server: SambaServer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connections are refused
        spec = parse_location(f"smb://127.0.0.1:{port}/share")
        started = time.monotonic()
        with raises_clean(LocationUnreachable, smb_server.password) as caught:
            SmbLocation(spec, Credentials(smb_server.user, smb_server.password))
    assert time.monotonic() - started < 5
    assert caught.value.code == "share-unreachable"
    assert "connection refused" in caught.value.message
    assert f"TCP port {port}" in caught.value.hint


@pytest.mark.timeout(120)
def test_smbd_stopped_during_a_write_then_restarted(fresh_smb_server: SambaServer) -> None:
    location = smb(fresh_smb_server, "share")
    on_disk = fresh_smb_server.share_dir("share")
    data = os.urandom(8 << 20)
    try:
        writer = location.open_write("b/archive.azsb")
        writer.write(data)
        fresh_smb_server.stop()
        started = time.monotonic()
        with raises_clean(LocationUnreachable, fresh_smb_server.password) as caught:
            for _ in range(64):
                writer.write(data)
            writer.commit()
        assert time.monotonic() - started < 30
        assert isinstance(caught.value, LocationConnectionLost), caught.value
        assert caught.value.code == "share-connection-lost"
        assert not (on_disk / "b" / "archive.azsb").exists()  # nothing under the final name
        assert all(PARTIAL_MARKER in p.name for p in (on_disk / "b").iterdir())

        with raises_clean(LocationUnreachable, fresh_smb_server.password):
            location.list("b")  # between transfers: the server is simply not there

        fresh_smb_server.start()  # same port
        assert all(PARTIAL_MARKER in e.name for e in location.list("b"))  # the same location reconnects
        with location.open_write("b/archive.azsb") as again:
            again.write(data)
            again.commit()
        assert (on_disk / "b" / "archive.azsb").read_bytes() == data
    finally:
        location.close()


@pytest.mark.parametrize(
    "errno_",
    # EBADF: smbprotocol's receiver thread closes the socket when the server hangs up, so a send
    # racing with it finds the descriptor closed (seen with smbd stopped mid-export).
    [errno.EPIPE, errno.ECONNRESET, errno.ECONNABORTED, errno.ETIMEDOUT, errno.EAGAIN, errno.EBADF],
)
def test_a_socket_that_fails_mid_transfer_is_a_lost_connection(errno_: int) -> None:
    spec = parse_location("smb://127.0.0.1/share/folder")
    cause = OSError(errno_, os.strerror(errno_))
    error = translate(cause, spec=spec, username="svc", action="write", path="b/x.azsb", missing="invalid-path")
    assert isinstance(error, LocationConnectionLost) and error.code == "share-connection-lost", error
    connecting = translate(cause, spec=spec, username="svc", action="connect", path="", missing="invalid-path")
    assert type(connecting) is LocationUnreachable, connecting


def test_any_other_os_error_names_its_reason() -> None:
    spec = parse_location("smb://127.0.0.1/share/folder")
    cause = OSError(errno.EIO, os.strerror(errno.EIO))
    error = translate(cause, spec=spec, username="svc", action="write", path="b/x.azsb", missing="invalid-path")
    assert type(error) is LocationError and os.strerror(errno.EIO) in error.message, error


@pytest.mark.timeout(120)
def test_a_server_that_stops_answering_is_given_up_on(fresh_smb_server: SambaServer) -> None:
    writing = smb(fresh_smb_server, "share", timeout=2.0)
    idle = smb(fresh_smb_server, "share", timeout=2.0)
    assert fresh_smb_server.process is not None
    group = fresh_smb_server.process.pid  # smbd leads its own process group: freeze it and its children
    try:
        writer = writing.open_write("hung/archive.azsb")
        os.killpg(group, signal.SIGSTOP)
        for attempt in ("write", "other request", "reconnect"):
            started = time.monotonic()
            with raises_clean(LocationUnreachable, fresh_smb_server.password) as caught:
                if attempt == "write":  # the sender blocks on a full socket buffer
                    for _ in range(64):
                        writer.write(os.urandom(1 << 20))
                    writer.commit()
                elif attempt == "other request":  # bounded by the echo probe
                    idle.stat("hung")
                else:  # TCP still connects (the kernel accepts), negotiation gets no answer
                    writing.stat("hung")
            assert time.monotonic() - started < 10, attempt  # the 2 s timeout, not 600 s or forever
            assert isinstance(caught.value, LocationConnectionLost), attempt
    finally:
        os.killpg(group, signal.SIGCONT)
        writing.close()
        idle.close()


# --- encryption ----------------------------------------------------------------------------


def test_encryption_is_negotiated_and_reported(smb_server: SambaServer) -> None:
    for share in ("share", "encshare"):
        location = smb(smb_server, share)
        try:
            info = location.session_info
            assert (info.dialect, info.encrypted) == ("3.1.1", True)
            assert info.cipher in ("AES-128-GCM", "AES-256-GCM")
            assert str(info) == f"SMB 3.1.1, encrypted ({info.cipher})"
            assert (location.dialect, location.encrypted) == ("3.1.1", True)
        finally:
            location.close()


def test_opting_out_still_encrypts_where_the_server_can(smb_server: SambaServer) -> None:
    location = smb(smb_server, "share", allow_unencrypted=True)
    try:
        assert location.session_info.encrypted
    finally:
        location.close()


def test_a_server_that_cannot_encrypt_is_refused_unless_allowed(
    smb_server_factory: Callable[..., SambaServer],
) -> None:
    plain = smb_server_factory(encrypt="off", tiny=False)
    for _ in range(2):  # smbclient's own pool would let the second attempt through, unencrypted
        with raises_clean(EncryptionNotSupported, plain.password) as caught:
            smb(plain, "share")
        assert caught.value.code == "encryption-not-supported"
        assert "--allow-unencrypted" in caught.value.hint

    location = smb(plain, "share", allow_unencrypted=True)
    try:
        info = location.session_info
        assert not info.encrypted and info.cipher is None
        assert str(info) == "SMB 3.1.1, NOT encrypted (signed only)"
        with location.open_write("plain.bin") as writer:
            writer.write(b"signed, not encrypted")
            writer.commit()
    finally:
        location.close()
    with raises_clean(EncryptionNotSupported, plain.password):
        smb(plain, "share")  # the opt-out of one location does not weaken the next


class RecordingProxy:
    """A TCP relay on loopback that keeps every byte passing through, to look at what is on the wire."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = int(self.listener.getsockname()[1])
        self.recorded = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="recording-proxy", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            with client, socket.create_connection(("127.0.0.1", self.target_port), timeout=5) as upstream:
                self._relay(client, upstream)

    def _relay(self, a: socket.socket, b: socket.socket) -> None:
        peer = {a: b, b: a}
        while not self._stop.is_set():
            readable, _, _ = select.select([a, b], [], [], 0.1)
            for sock in readable:
                data = sock.recv(1 << 20)
                if not data:
                    return
                self.recorded += data
                peer[sock].sendall(data)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.listener.close()


@pytest.mark.parametrize("encrypting", [True, False])
def test_what_travels_on_the_wire(smb_server_factory: Callable[..., SambaServer], encrypting: bool) -> None:
    server = smb_server_factory(encrypt="if_required" if encrypting else "off", tiny=False)
    proxy = RecordingProxy(server.port)
    marker = f"PLAINTEXT-{secrets.token_hex(8)}"
    try:
        spec = parse_location(f"smb://127.0.0.1:{proxy.port}/share")
        location = SmbLocation(spec, Credentials(server.user, server.password), allow_unencrypted=not encrypting)
        try:
            assert location.session_info.encrypted is encrypting
            with location.open_write(f"{marker}.txt") as writer:
                writer.write(marker.encode() * 1000)
                writer.commit()
            with location.open_read(f"{marker}.txt") as back:
                assert back.read() == marker.encode() * 1000
        finally:
            location.close()
    finally:
        proxy.close()
    assert len(proxy.recorded) > 20_000
    seen = marker.encode() in proxy.recorded or marker.encode("utf-16-le") in proxy.recorded
    assert seen is not encrypting  # encrypted: neither content nor file name; signed only: both in clear
    assert server.password.encode() not in proxy.recorded
    assert server.password.encode("utf-16-le") not in proxy.recorded


# --- other -------------------------------------------------------------------------------


def test_ipv6_loopback(smb_server: SambaServer) -> None:
    spec = parse_location(f"smb://[::1]:{smb_server.port}/share")
    location = open_location(spec, Credentials(smb_server.user, smb_server.password))
    try:
        assert location.exists("")
    finally:
        location.close()


def test_a_closed_location_refuses_work(smb_server: SambaServer) -> None:
    location = smb(smb_server, "share")
    location.close()
    location.close()
    with raises_clean(LocationError, smb_server.password):
        location.list()


# --- probe_location ---------------------------------------------------------------------------


def test_probe_passes_every_check_on_a_share(smb_server: SambaServer) -> None:
    folder = unique("probe")
    smb_server.share_dir("encshare").joinpath(folder).mkdir()
    spec = parse_location(smb_server.path("encshare", folder))
    report = open_and_probe(
        spec, Credentials(smb_server.user, smb_server.password), expected_backup_size=1 << 20, backups_kept=15
    )
    assert [c.name for c in report.checks] == list(CHECK_NAMES)
    assert report.ok and report.error is None, report.to_dict()
    details = {c.name: c.detail for c in report.checks}
    assert details["dialect and encryption"].startswith("SMB 3.1.1, encrypted (AES-")
    assert "15 backups" in details["forecast"]
    assert list(smb_server.share_dir("encshare").joinpath(folder).iterdir()) == []  # the probe file is gone
    assert report.to_dict()["ok"] is True


def test_probe_of_a_local_directory(tmp_path: Path) -> None:
    location = open_location(parse_location(str(tmp_path)), Credentials())
    report = probe_location(location, expected_backup_size=None, backups_kept=3)
    assert [c.name for c in report.checks] == list(CHECK_NAMES[3:])
    assert report.ok
    assert report.checks[-1].detail == "no backup yet to forecast from"


def test_probe_reports_a_read_only_share_at_create(smb_server: SambaServer) -> None:
    report = open_and_probe(
        parse_location(smb_server.path("roshare")),
        Credentials(smb_server.user, smb_server.password),
        expected_backup_size=None,
        backups_kept=3,
    )
    assert [(c.name, c.ok) for c in report.checks][-2:] == [("folder", True), ("create", False)]
    assert isinstance(report.error, AccessDenied) and not report.ok


@pytest.mark.parametrize(
    ("setup", "failed", "error"),
    [
        ("wrong password", "logged on", LocationAuthFailed),
        ("missing share", "folder", InvalidPath),
        ("missing folder", "folder", InvalidPath),
        ("nothing listening", "reachable", LocationUnreachable),
    ],
)
def test_probe_reports_the_check_that_fails(
    smb_server: SambaServer, setup: str, failed: str, error: type[AzsBackupError]
) -> None:
    path = {
        "missing share": smb_server.path("nosuchshare"),
        "missing folder": smb_server.path("share", unique("absent")),
        "nothing listening": "smb://127.0.0.1:9/share",
    }.get(setup, smb_server.path("share"))
    password = "Wr0ng-pw-4711" if setup == "wrong password" else smb_server.password
    report = open_and_probe(
        parse_location(path), Credentials(smb_server.user, password), expected_backup_size=None, backups_kept=3
    )
    assert report.checks[-1].name == failed and not report.checks[-1].ok
    assert all(c.ok for c in report.checks[:-1])
    assert isinstance(report.error, error)
    assert password not in str(report.to_dict())


def test_probe_reports_a_server_that_cannot_encrypt(smb_server_factory: Callable[..., SambaServer]) -> None:
    plain = smb_server_factory(encrypt="off", tiny=False)
    credentials = Credentials(plain.user, plain.password)
    report = open_and_probe(parse_location(plain.path("share")), credentials, expected_backup_size=None, backups_kept=3)
    assert [(c.name, c.ok) for c in report.checks] == [
        ("reachable", True),
        ("logged on", True),
        ("dialect and encryption", False),
    ]
    assert isinstance(report.error, EncryptionNotSupported)
    allowed = open_and_probe(
        parse_location(plain.path("share")),
        credentials,
        allow_unencrypted=True,
        expected_backup_size=None,
        backups_kept=3,
    )
    assert allowed.ok and allowed.checks[2].detail == "SMB 3.1.1, NOT encrypted (signed only)"


def test_probe_on_a_small_share_forecasts_and_then_fails_to_write(fresh_smb_server: SambaServer) -> None:
    assert fresh_smb_server.tiny_mounted, "tinyshare needs root to mount its tmpfs"
    spec = parse_location(fresh_smb_server.path("tinyshare"))
    credentials = Credentials(fresh_smb_server.user, fresh_smb_server.password)
    fits = open_and_probe(spec, credentials, expected_backup_size=1 << 20, backups_kept=5)
    assert fits.ok
    too_many = open_and_probe(spec, credentials, expected_backup_size=4 << 20, backups_kept=15)
    assert too_many.checks[-1].name == "forecast" and not too_many.checks[-1].ok
    assert isinstance(too_many.error, LocationFull)
    stored = open_and_probe(spec, credentials, expected_backup_size=4 << 20, backups_kept=3, already_stored=8 << 20)
    assert stored.ok  # what the kept backups already use counts as theirs

    filler = fresh_smb_server.share_dir("tinyshare") / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as fh:
        for _ in range(32):
            fh.write(os.urandom(1 << 20))
    full = open_and_probe(spec, credentials, expected_backup_size=None, backups_kept=3)
    assert [(c.name, c.ok) for c in full.checks][-2:] == [("create", True), ("write", False)]
    assert isinstance(full.error, LocationFull)
    assert [p.name for p in filler.parent.iterdir()] == ["filler"]


def test_a_file_cut_short_while_it_is_read_ends_early(smb_server: SambaServer) -> None:
    folder = unique("shrink")
    location = smb(smb_server, "share", folder)
    data = os.urandom(20 << 20)
    try:
        location.makedirs("")
        with location.open_write("f.bin") as writer:
            writer.write(data)
            writer.commit()
        with location.open_read("f.bin") as fh:
            first = fh.read(1 << 20)
            cut = (8 << 20) + 12345
            os.truncate(smb_server.share_dir("share") / folder / "f.bin", cut)
            rest = fh.read()
        assert first + rest == data[:cut]
    finally:
        location.close()
