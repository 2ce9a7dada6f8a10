"""Operating-system details kept in one place: owner-only files, atomic replace, fsync, detached processes.

POSIX uses mode bits. Windows has no meaningful mode bits, so there the file's
DACL is replaced with one entry for the current user (``icacls /inheritance:r
/grant:r``), which is what "readable by the owner only" means on NTFS.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

TYPE_CHECKING = False  # typing stays out of config get's lean path
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable, Iterator

IS_WINDOWS = sys.platform == "win32"


def restrict_to_owner(path: Path) -> None:
    """Make ``path`` readable and writable by its owner only."""
    if IS_WINDOWS:  # pragma: no cover - exercised on Windows only
        user = os.environ.get("USERNAME", "")
        import subprocess  # Windows only

        subprocess.run(
            ["icacls", str(path), "/inheritance:r", "/grant:r", f"{user}:F"],
            check=True,
            capture_output=True,
        )
    else:
        path.chmod(0o700 if path.is_dir() else 0o600)


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically write ``data`` to ``path``, readable by the owner only from the first byte on."""
    tmp = path.with_name(f".{path.name}.tmp-{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        restrict_to_owner(tmp)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def write_file_atomic(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data`` (temporary file, fsync, rename)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.urandom(4).hex()}")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


@contextlib.contextmanager
def writing_output(path: Path) -> Iterator[None]:
    """Report a failure to create or write ``path``, a place the operator named for output, as
    :class:`~azsbackup.errors.OutputNotWritable` (a missing or non-directory parent, no permission, a full disk)."""
    try:
        yield
    except OSError as exc:
        from azsbackup.errors import OutputNotWritable  # not at import: this module is on config get's lean path

        reason = (exc.strerror or type(exc).__name__).lower()
        raise OutputNotWritable(path=str(path), reason=reason) from exc


def sync_file_system(path: Path) -> None:
    """Persist every write made so far to the file system holding ``path``.

    One ``syncfs(2)`` on Linux: a restore of 40 000 small files would otherwise pay 40 000 fsyncs, each a
    journal commit, for the same guarantee. Elsewhere, ``sync()`` (all file systems).
    """
    if sys.platform.startswith("linux"):
        import ctypes

        fd = os.open(path, os.O_RDONLY)
        try:
            if ctypes.CDLL(None, use_errno=True).syncfs(fd) != 0:
                raise OSError(ctypes.get_errno(), "syncfs failed", str(path))
        finally:
            os.close(fd)
    elif hasattr(os, "sync"):  # pragma: no cover - macOS and the BSDs
        os.sync()


WRITEBACK_STEP = 32 << 20
"""Writers call :func:`start_writeback` every this many bytes: large enough that the calls cost nothing,
small enough that the disk starts early and the final fsync or syncfs finds little left."""
_SYNC_FILE_RANGE_WRITE = 2
"""``SYNC_FILE_RANGE_WRITE`` of Linux's ``sync_file_range(2)``: start writing the range back, do not wait."""
_sync_file_range: Callable[[int, int, int, int], int] | None = None


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Have the kernel start writing ``length`` bytes at ``offset`` of ``fd`` to the disk, without waiting.

    Linux only (``sync_file_range(2)``), elsewhere nothing. It makes nothing durable: the fsync before a
    rename still does that. It spreads the disk writes over the time the file is written, so that the
    fsync at the end finds little left to do, instead of every byte, the kernel having held them back
    (its background writeback waits for 10 % of the memory to be dirty, or 30 s).
    """
    global _sync_file_range
    if not sys.platform.startswith("linux"):
        return
    if _sync_file_range is None:
        import ctypes

        function = ctypes.CDLL(None, use_errno=True).sync_file_range
        function.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
        function.restype = ctypes.c_int
        _sync_file_range = function
    _sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)  # a failure shows in the fsync that follows


def fsync_dir(path: Path) -> None:
    """Persist a directory entry change (rename, create). A no-op where directories cannot be opened."""
    if IS_WINDOWS:  # pragma: no cover
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def spawn_detached(argv: list[str]) -> subprocess.Popen[bytes]:
    """Start ``argv`` so that it outlives its caller, with stdout and stderr as pipes and no stdin.

    POSIX: a new session (no controlling terminal, its own process group), so
    neither the caller's exit, a hang-up of its terminal nor a signal to its
    process group reaches it. Windows: a detached process in a new process
    group, broken away from the caller's job object when the job allows it
    (a WinRM shell kills the processes of its job when it closes).
    """
    import subprocess

    def start(creationflags: int = 0) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=not IS_WINDOWS,
            creationflags=creationflags,
        )

    if not IS_WINDOWS:
        return start()
    flags = _DETACHED_PROCESS | _CREATE_NEW_PROCESS_GROUP  # pragma: no cover - Windows only
    try:  # pragma: no cover
        return start(flags | _CREATE_BREAKAWAY_FROM_JOB)
    except PermissionError:  # pragma: no cover - the job object refuses breakaway: stay in it
        return start(flags)


# Process creation flags of the Windows API (subprocess defines them only on Windows).
_DETACHED_PROCESS = 0x00000008
_CREATE_NEW_PROCESS_GROUP = 0x00000200
_CREATE_BREAKAWAY_FROM_JOB = 0x01000000


def detach_stdio() -> None:
    """Point stdin, stdout and stderr at the null device: a detached process's caller has stopped reading."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in (0, 1, 2):
            os.dup2(null, fd)
    finally:
        os.close(null)
