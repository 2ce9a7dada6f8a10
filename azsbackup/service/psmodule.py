"""Installing the AzsBackup PowerShell module into a PSModulePath folder."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from azsbackup.errors import NotFound
from azsbackup.osutil import IS_WINDOWS


def module_root(scope: str) -> Path:
    """The folder PowerShell searches for modules of ``scope`` (PowerShell 7 conventions)."""
    if IS_WINDOWS:  # pragma: no cover - Windows only
        if scope == "AllUsers":
            return Path(os.environ.get("PROGRAMFILES", r"C:\Program Files")) / "PowerShell" / "Modules"
        return Path.home() / "Documents" / "PowerShell" / "Modules"
    if scope == "AllUsers":
        return Path("/usr/local/share/powershell/Modules")
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "powershell" / "Modules"


def module_version(source: Path) -> str:
    manifest = (source / "AzsBackup.psd1").read_text(encoding="utf-8-sig")
    match = re.search(r"ModuleVersion\s*=\s*'([0-9.]+)'", manifest)
    return match.group(1) if match else "0.0.0"


def install_module(source: Path, scope: str) -> Path:
    """Copy ``source`` to ``<root>/AzsBackup/<version>/``, replacing an earlier copy of that version."""
    if not (source / "AzsBackup.psd1").exists():
        raise NotFound(kind="PowerShell module", name=str(source), how="azsbackup psmodule path")
    target = module_root(scope) / "AzsBackup" / module_version(source)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("tests", "*.Tests.ps1"))
    return target
