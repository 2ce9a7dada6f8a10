"""Installing the AzsBackup PowerShell module into the PSModulePath folders of Windows PowerShell and PowerShell.

On Windows the two editions search different folders: Windows PowerShell 5.1 (also the default
PowerShell of a WinRM endpoint) ``Documents\\WindowsPowerShell\\Modules`` and
``%ProgramFiles%\\WindowsPowerShell\\Modules``, PowerShell 7 ``Documents\\PowerShell\\Modules`` and
``%ProgramFiles%\\PowerShell\\Modules`` (about_PSModulePath). The module runs on both
(``CompatiblePSEditions``), so it is copied into the folder of each. ``Documents`` is the user's
Documents folder wherever it is (redirected, OneDrive), as ``[Environment]::GetFolderPath('MyDocuments')``
gives it.

Each copy records the Python it was installed from (``AzsBackup.Python.txt``): the one that has the
engine, which the module then starts before it searches ``py -3``, ``python3`` and ``python`` (a
virtual environment, pipx, or one of several Pythons is not what that search finds).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

from azsbackup.errors import NotFound
from azsbackup.osutil import IS_WINDOWS

EDITION_FOLDERS = ("WindowsPowerShell", "PowerShell")
PYTHON_FILE = "AzsBackup.Python.txt"
"""In an installed copy: the interpreter that installed it, one line (read by AzsBackup.psm1)."""
"""Windows PowerShell 5.1's folder name, then PowerShell 7's, under Documents and under Program Files."""


def module_roots(
    scope: str, *, windows: bool = IS_WINDOWS, environ: Mapping[str, str] | None = None, documents: str | None = None
) -> list[PurePath]:
    """The folders PowerShell searches for modules of ``scope``: on Windows one for each edition."""
    env = os.environ if environ is None else environ
    if windows:
        if scope == "AllUsers":
            base = PureWindowsPath(env.get("ProgramFiles") or env.get("PROGRAMFILES") or r"C:\Program Files")
        else:
            base = PureWindowsPath(documents if documents is not None else _documents_folder())
        return [base / edition / "Modules" for edition in EDITION_FOLDERS]
    if scope == "AllUsers":
        return [PurePosixPath("/usr/local/share/powershell/Modules")]
    data = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return [PurePosixPath(data) / "powershell" / "Modules"]


def _documents_folder() -> str:  # pragma: no cover - Windows only
    """The user's Documents folder, as Windows knows it (CSIDL_PERSONAL), else ``~\\Documents``."""
    import ctypes

    buffer = ctypes.create_unicode_buffer(32768)
    shell32 = getattr(ctypes, "windll").shell32  # noqa: B009 - windll exists on Windows only
    if shell32.SHGetFolderPathW(None, 5, None, 0, buffer) == 0 and buffer.value:
        return str(buffer.value)
    return str(Path.home() / "Documents")


def module_version(source: Path) -> str:
    manifest = (source / "AzsBackup.psd1").read_text(encoding="utf-8-sig")
    match = re.search(r"ModuleVersion\s*=\s*'([0-9.]+)'", manifest)
    return match.group(1) if match else "0.0.0"


def install_module(source: Path, scope: str) -> list[Path]:
    """Copy ``source`` to ``<root>/AzsBackup/<version>/`` in each root of ``scope``, replacing an earlier copy
    of that version; the copies made, in the order of :func:`module_roots`."""
    if not (source / "AzsBackup.psd1").exists():
        raise NotFound(kind="PowerShell module", name=str(source), how="azsbackup psmodule path")
    targets = []
    for root in module_roots(scope):
        target = Path(root) / "AzsBackup" / module_version(source)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("tests", "*.Tests.ps1", PYTHON_FILE))
        (target / PYTHON_FILE).write_text(sys.executable + "\n", encoding="utf-8")
        targets.append(target)
    return targets
