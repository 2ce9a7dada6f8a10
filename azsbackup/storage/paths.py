"""The external path and the share account, as operators type them.

Accepted path forms (surrounding white space is ignored)::

    \\\\server\\share\\folder\\sub          UNC, as Windows and Azure Stack write it
    //server/share/folder/sub            UNC with forward slashes (the two may be mixed)
    smb://server[:port]/share/folder     URL form; IPv6 servers in brackets; %XX escapes decoded
    /srv/backups   C:\\Backups            an absolute local path (POSIX or Windows)
    https://ACCOUNT.blob.SUFFIX/CONTAINER[/PREFIX]
                                         an Azure Blob container (SUFFIX core.windows.net on Azure,
                                         the region's domain on Azure Stack Hub: local.azurestack.external)
    https://HOST[:port]/ACCOUNT/CONTAINER[/PREFIX]
                                         path style, as the storage emulator and test setups serve it
                                         (any host whose second label is not ``blob``, and every IP address)

The server is a host name, an IPv4 address or a bracketed IPv6 address,
compared case-insensitively (and kept in lower case). Share and folder names
keep their case and follow the Windows naming rules, so a path that parses
here can be created on a Windows file server: no ``\\ / : * ? " < > |`` or
control characters, no ``.``/``..`` components, no trailing dot or space.
Credentials never belong in the path: ``smb://user:pw@server/…`` is refused,
and the refusal does not echo the password back.

Blob URLs follow Azure Storage's naming rules: an account name of 3-24 lower-case
letters and digits, a container name of 3-63 lower-case letters, digits and single
hyphens. The prefix keeps its case; ``.``/``..`` levels, back slashes and control
characters are refused. A blob URL carries no secret: user information and a
query string (a SAS token pasted into the URL) are refused without being echoed;
the account key or SAS comes through the password's channels. ``http://`` is
parsed here; whether it may be used is the configuration's ``allow_insecure_http``.

Account names are ``DOMAIN\\user``, ``user@domain`` or a plain ``user``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal

from azsbackup.errors import InvalidValue

SMB_PORT = 445
HTTPS_PORT = 443
HTTP_PORT = 80
ALLOWED_PATHS = (
    "\\\\server\\share\\folder, //server/share/folder, smb://server[:port]/share/folder, an absolute local path, "
    "https://ACCOUNT.blob.SUFFIX/CONTAINER[/PREFIX] or https://HOST[:PORT]/ACCOUNT/CONTAINER[/PREFIX]"
)
ALLOWED_USERNAMES = "DOMAIN\\user, user@domain or user"

LocationKind = Literal["smb", "local", "blob"]

_SEPARATORS = re.compile(r"[\\/]+")
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_CONTROL = "".join(chr(c) for c in range(32)) + "\x7f"
# Windows file name rules (MS-FSCC 2.1.5.2), which Samba enforces too on a share it serves to Windows clients.
_NAME_FORBIDDEN = frozenset('\\/:*?"<>|' + _CONTROL)
# Share names additionally may not contain these (MS-SRVS NetShareAdd), and are at most 80 characters.
_SHARE_FORBIDDEN = _NAME_FORBIDDEN | frozenset("[]+=;,")
# sAMAccountName and UPN prefix: no " / \ [ ] : ; | = , + * ? < > @ or control characters.
_USER_FORBIDDEN = frozenset('"/\\[]:;|=,+*?<>@' + _CONTROL)
_URL_ESCAPED = frozenset("%/?#[]@ " + _CONTROL)
_BLOB_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
_BLOB_CONTAINER = re.compile(r"^(?=.{3,63}$)[a-z0-9](?:-?[a-z0-9])*$")
_BLOB_FORBIDDEN = frozenset("\\" + _CONTROL)


@dataclass(frozen=True)
class LocationSpec:
    """Where backups are exported: a folder on an SMB share, a local directory, or a blob container.

    For ``kind="smb"``, ``path`` is the folder inside the share, ``/``-separated
    without a leading slash (empty for the share's root); for ``kind="local"``
    it is the absolute directory as given and the SMB fields are empty. For
    ``kind="blob"``, ``server`` and ``port`` are the blob endpoint's, ``share``
    is the container, ``path`` the prefix inside it, ``account`` the storage
    account, ``scheme`` ``https`` or ``http``, and ``path_style`` says that the
    account is the URL's first path level rather than the host's first label.
    """

    kind: LocationKind
    server: str = ""
    port: int = SMB_PORT
    share: str = ""
    path: str = ""
    account: str = ""
    scheme: str = ""
    path_style: bool = False

    @property
    def uses_username(self) -> bool:
        """Whether an account name may go with the location (a blob location's account is in its URL)."""
        return self.kind != "blob"

    @property
    def account_url(self) -> str:
        """The blob service endpoint of the account: ``https://acct.blob.core.windows.net``, path style
        ``http://127.0.0.1:10000/acct``."""
        default = HTTPS_PORT if self.scheme == "https" else HTTP_PORT
        netloc = self.server if self.port == default else f"{self.server}:{self.port}"
        return f"{self.scheme}://{netloc}" + (f"/{self.account}" if self.path_style else "")

    @property
    def host(self) -> str:
        """The server as a socket connects to it (an IPv6 address without its brackets)."""
        return self.server.removeprefix("[").removesuffix("]")

    @property
    def folders(self) -> tuple[str, ...]:
        """The folder inside the share, one name per level."""
        return tuple(p for p in self.path.split("/") if p) if self.kind == "smb" else ()

    @property
    def display(self) -> str:
        """How people see it: the UNC form on the standard port, else the ``smb://`` URL; it parses back to ``self``."""
        if self.kind == "local":
            return self.path
        if self.kind == "blob":
            return "/".join([self.account_url, self.share, *(_url_escape(p) for p in self.path.split("/") if p)])
        if self.port == SMB_PORT:
            return "\\\\" + "\\".join([self.server, self.share, *self.folders])
        parts = [_url_escape(p) for p in (self.share, *self.folders)]
        return f"smb://{self.server}:{self.port}/" + "/".join(parts)

    def unc(self, *relative: str) -> str:
        """``\\\\host\\share\\folder\\<relative…>``: the form smbclient takes (``relative`` already checked)."""
        if self.kind != "smb":
            raise ValueError(f"{self.display} is not an SMB location")
        parts = [p for part in relative for p in part.split("/") if p]
        return "\\\\" + "\\".join([self.host, self.share, *self.folders, *parts])


@dataclass(frozen=True)
class Credentials:
    """The account a share is opened with; an empty ``username`` means none (local locations)."""

    username: str = ""
    password: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.username:
            check_username(self.username)


def parse_location(value: str) -> LocationSpec:
    """Parse a configured external path; raise :class:`InvalidValue` naming the accepted forms."""
    text = value.strip()
    if not text or "\x00" in text:
        raise _invalid(value)
    if text[:6].lower() == "smb://":
        return _parse_url(value, text[6:])
    scheme = text.partition("://")[0].lower()
    if scheme in ("https", "http") and "://" in text:
        return _parse_blob_url(value, scheme, text[len(scheme) + 3 :])
    if text[:2] in ("\\\\", "//", "\\/", "/\\"):
        if len(text) == 2 or text[2] in "\\/":
            raise _invalid(value)
        server, *rest = (p for p in _SEPARATORS.split(text[2:]) if p)
        return _smb(value, server, SMB_PORT, rest)
    if text.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", text):
        return _local(value, text)
    raise _invalid(value)


def check_username(value: str) -> str:
    """Check an account name's form (``DOMAIN\\user``, ``user@domain`` or ``user``); return it unchanged."""
    domain, backslash, user = value.rpartition("\\")
    if backslash:
        ok = _netbios_or_dns(domain) and _user_part(user)
    else:
        user, at, domain = value.partition("@")
        ok = _user_part(user) and (not at or _dns_name(domain))
    if not ok:
        raise InvalidValue(field="username", value=repr(value), allowed=ALLOWED_USERNAMES)
    return value


# --- path forms --------------------------------------------------------------------------


def _invalid(value: str) -> InvalidValue:
    # Whatever precedes an '@' in a URL's authority may be a password, and a query string may be a SAS token
    # (its signature is a secret): never echo either back.
    shown = re.sub(r"(?i)^(\s*(?:smb:|https?:)?[\\/]{2})[^\\/]*@", r"\1***@", value)
    shown = re.sub(r"\?.*", "?***", shown, flags=re.DOTALL)
    return InvalidValue(field="path", value=repr(shown), allowed=ALLOWED_PATHS)


def _parse_blob_url(original: str, scheme: str, rest: str) -> LocationSpec:
    """``ACCOUNT.blob.SUFFIX/CONTAINER[/PREFIX]``, or path style ``HOST[:PORT]/ACCOUNT/CONTAINER[/PREFIX]``."""
    authority, _, path = rest.partition("/")
    if "@" in authority or any(c in rest for c in "?#"):
        raise _invalid(original)
    server, port = _authority(original, authority, HTTPS_PORT if scheme == "https" else HTTP_PORT)
    server = server.lower()
    if not _server_ok(server):
        raise _invalid(original)
    try:
        parts = [_url_unescape(p) for p in path.split("/") if p]
    except ValueError as exc:
        raise _invalid(original) from exc
    labels = server.split(".")
    path_style = server.startswith("[") or all(label.isdigit() for label in labels) or labels[1:2] != ["blob"]
    account = parts.pop(0) if path_style and parts else labels[0]
    if not parts or not _BLOB_ACCOUNT.match(account) or not _BLOB_CONTAINER.match(parts[0]):
        raise _invalid(original)
    container, prefix = parts[0], parts[1:]
    if any(p in (".", "..") or _BLOB_FORBIDDEN & set(p) for p in prefix):
        raise _invalid(original)
    return LocationSpec(
        "blob",
        server=server,
        port=port,
        share=container,
        path="/".join(prefix),
        account=account,
        scheme=scheme,
        path_style=path_style,
    )


def _authority(original: str, authority: str, default_port: int) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port``: the server as written and the port."""
    if authority.startswith("["):
        close = authority.find("]")
        server, tail = authority[: close + 1], authority[close + 1 :]
        if close < 0 or (tail and not tail.startswith(":")):
            raise _invalid(original)
        port_text = tail[1:] if tail else None
    else:
        server, colon, port_text_or_empty = authority.partition(":")
        port_text = port_text_or_empty if colon else None
    if port_text is None:
        return server, default_port
    if not re.fullmatch(r"[0-9]{1,5}", port_text) or not 0 < int(port_text) < 65536:
        raise _invalid(original)
    return server, int(port_text)


def _parse_url(original: str, rest: str) -> LocationSpec:
    authority, _, path = rest.partition("/")
    if "@" in authority or any(c in rest for c in "?#\\"):
        raise _invalid(original)
    server, port = _authority(original, authority, SMB_PORT)
    try:
        parts = [_url_unescape(p) for p in path.split("/") if p]
    except ValueError as exc:
        raise _invalid(original) from exc
    return _smb(original, server, port, parts)


def _smb(original: str, server: str, port: int, parts: list[str]) -> LocationSpec:
    server = server.lower()
    if not _server_ok(server) or not parts or not _share_ok(parts[0]) or not all(map(_folder_ok, parts[1:])):
        raise _invalid(original)
    return LocationSpec("smb", server=server, port=port, share=parts[0], path="/".join(parts[1:]))


def _local(original: str, text: str) -> LocationSpec:
    components = [p for p in _SEPARATORS.split(text) if p]
    if ".." in components:
        raise _invalid(original)
    stripped = text.rstrip("\\/")
    if not stripped or re.fullmatch(r"[A-Za-z]:", stripped):  # "/" or "C:\" stay as they are
        stripped = text[: len(stripped) + 1]
    return LocationSpec("local", path=stripped)


def _server_ok(server: str) -> bool:
    if server.startswith("[") and server.endswith("]"):
        try:
            ipaddress.IPv6Address(server[1:-1])
        except ValueError:
            return False
        return True
    labels = server.split(".")
    if all(label.isdigit() for label in labels):
        try:
            ipaddress.IPv4Address(server)
        except ValueError:
            return False
        return True
    return len(server) <= 253 and all(_LABEL.match(label) for label in labels)


def _share_ok(name: str) -> bool:
    return (
        0 < len(name) <= 80
        and not (_SHARE_FORBIDDEN & set(name))
        and name.strip(".") != ""
        and _no_trailing_space(name)
    )


def is_valid_name(name: str) -> bool:
    """Whether ``name`` may be one level of a path on a share (Windows naming rules)."""
    return _folder_ok(name)


def _folder_ok(name: str) -> bool:
    return 0 < len(name) <= 255 and not (_NAME_FORBIDDEN & set(name)) and name[-1] != "." and _no_trailing_space(name)


def _no_trailing_space(name: str) -> bool:
    # Windows drops a trailing space (or dot) from a name, and the path as a whole is stripped of white space.
    return name == name.rstrip()


def _url_escape(name: str) -> str:
    return "".join("".join(f"%{b:02X}" for b in c.encode()) if c in _URL_ESCAPED else c for c in name)


def _url_unescape(text: str) -> str:
    """Decode %XX escapes (UTF-8); a malformed escape or invalid UTF-8 raises ValueError."""
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        raise ValueError("malformed percent escape")
    raw = re.sub(rb"%([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), text.encode())
    return raw.decode("utf-8")  # strict: UnicodeDecodeError is a ValueError


# --- account names -----------------------------------------------------------------------


def _user_part(user: str) -> bool:
    return 0 < len(user) <= 104 and not (_USER_FORBIDDEN & set(user)) and user == user.strip() and user.strip(".") != ""


def _netbios_or_dns(domain: str) -> bool:
    if _dns_name(domain):
        return True
    return 0 < len(domain) <= 15 and not ((_NAME_FORBIDDEN | {"@", " "}) & set(domain)) and domain.strip(".") != ""


def _dns_name(domain: str) -> bool:
    labels = domain.lower().split(".")
    return 0 < len(domain) <= 253 and all(_LABEL.match(label) for label in labels)
