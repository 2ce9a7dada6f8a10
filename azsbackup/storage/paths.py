"""Parsing the external path operators configure, and the share credentials.

Accepted forms::

    \\\\server\\share\\folder\\sub          UNC, as Windows and Azure Stack write it
    //server/share/folder/sub            UNC with forward slashes
    smb://server[:port]/share/folder     URL form; IPv6 servers in brackets
    /srv/backups, C:\\Backups            an absolute local path
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath

from azsbackup.errors import InvalidValue

SMB_PORT = 445
ALLOWED = r"\\server\share\folder, //server/share/folder, smb://server[:port]/share/folder or an absolute local path"
_SERVER = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$")
_SHARE = re.compile(r"^[^\\/:*?\"<>|\x00-\x1f]{1,80}$")


@dataclass(frozen=True)
class LocationSpec:
    """Where backups are exported: an SMB share (server, port, share, folder) or a local directory."""

    kind: str  # "smb" | "local"
    path: str
    server: str = ""
    port: int = SMB_PORT
    share: str = ""

    @property
    def display(self) -> str:
        if self.kind == "local":
            return self.path
        port = "" if self.port == SMB_PORT else f":{self.port}"
        return f"smb://{self.server}{port}/{self.share}" + (f"/{self.path}" if self.path else "")

    @property
    def unc_root(self) -> str:
        """``\\\\server\\share`` for smbclient."""
        return f"\\\\{self.server.strip('[]')}\\{self.share}"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)


def _invalid(value: str) -> InvalidValue:
    # A password typed into an smb:// URL must not be echoed back.
    shown = re.sub(r"(?i)^(smb://)[^/@]*@", r"\1***@", value.strip())
    return InvalidValue(field="path", value=repr(shown), allowed=ALLOWED)


def parse_location(value: str) -> LocationSpec:
    """Parse a configured external path; raise :class:`InvalidValue` naming the accepted forms."""
    text = value.strip()
    if text.lower().startswith("smb://"):
        return _parse_url(value, text)
    if text.startswith(("\\\\", "//")):
        parts = [p for p in re.split(r"[\\/]+", text[2:]) if p]
        return _smb(value, parts[0] if parts else "", SMB_PORT, parts[1:])
    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute():
        if any(part == ".." for part in re.split(r"[\\/]+", text)):
            raise _invalid(value)
        return LocationSpec("local", text)
    raise _invalid(value)


def _parse_url(original: str, text: str) -> LocationSpec:
    try:
        url = urllib.parse.urlsplit(text)
        port = url.port or SMB_PORT
    except ValueError as exc:
        raise _invalid(original) from exc
    if url.username or url.password or url.query or url.fragment:
        raise _invalid(original)  # credentials never go in the path: use --username and --password-stdin
    host = url.hostname or ""
    server = f"[{host}]" if ":" in host else host
    return _smb(original, server, port, [p for p in urllib.parse.unquote(url.path).split("/") if p])


def _smb(original: str, server: str, port: int, parts: list[str]) -> LocationSpec:
    if not _SERVER.match(server) or len(parts) < 1 or not _SHARE.match(parts[0]):
        raise _invalid(original)
    folder = parts[1:]
    if any(p in (".", "..") or not _SHARE.match(p) for p in folder):
        raise _invalid(original)
    return LocationSpec("smb", "/".join(folder), server=server, port=port, share=parts[0])
