"""Operating-system details kept in one place: owner-only files, atomic replace, fsync.

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
    from collections.abc import Iterator

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


def fsync_dir(path: Path) -> None:
    """Persist a directory entry change (rename, create). A no-op where directories cannot be opened."""
    if IS_WINDOWS:  # pragma: no cover
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
