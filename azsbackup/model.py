"""Value types shared by every layer.

This module is a leaf: it imports nothing from azsbackup except :mod:`errors`
and the schema tag from the package itself.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
import re
from dataclasses import dataclass, field

from azsbackup import SCHEMA as SCHEMA
from azsbackup.errors import InvalidValue


class BackupStatus(enum.StrEnum):
    """Roll-up status of one backup (Azure Stack's names)."""

    SUCCEEDED = "Succeeded"
    PARTIAL_SUCCEEDED = "PartialSucceeded"
    FAILED = "Failed"


class ComponentStatus(enum.StrEnum):
    """Status of one component within a backup."""

    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


class Trigger(enum.StrEnum):
    """What started a job."""

    MANUAL = "manual"
    SCHEDULED = "scheduled"


def roll_up(statuses: list[ComponentStatus], stored: bool = True) -> BackupStatus:
    """All succeeded → Succeeded; some failed → PartialSucceeded; none, or not stored → Failed."""
    succeeded = sum(1 for s in statuses if s is ComponentStatus.SUCCEEDED)
    if not stored or succeeded == 0:
        return BackupStatus.FAILED
    if succeeded == len(statuses):
        return BackupStatus.SUCCEEDED
    return BackupStatus.PARTIAL_SUCCEEDED


_BACKUP_ID = re.compile(r"^\d{8}T\d{6}(?:\.\d{3})?Z-[0-9a-f]{8}$")
_COMPONENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def new_backup_id(now: dt.datetime | None = None) -> str:
    """A sortable, unique backup id: UTC time to the millisecond and 32 random bits.

    For example ``20261124T215012.345Z-9f3a01bc``. Ids sort by creation time
    (the fixed-width time comes first), which retention and listings rely on.
    """
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"{moment:%Y%m%dT%H%M%S}.{moment.microsecond // 1000:03d}Z-{os.urandom(4).hex()}"


def check_backup_id(value: str) -> str:
    """Return ``value`` if it is a well-formed backup id, else raise :class:`InvalidValue`."""
    if not _BACKUP_ID.match(value):
        raise InvalidValue(
            field="backup id",
            value=repr(value),
            allowed="YYYYMMDDTHHMMSS.mmmZ-xxxxxxxx as printed by backup list",
        )
    return value


def backup_id_time(backup_id: str) -> dt.datetime:
    """The UTC creation time encoded in a backup id."""
    stamp = backup_id.split("Z-", 1)[0]
    layout = "%Y%m%dT%H%M%S.%f" if "." in stamp else "%Y%m%dT%H%M%S"
    return dt.datetime.strptime(stamp, layout).replace(tzinfo=dt.UTC)


def check_component_name(value: str) -> str:
    """Component names are used as file names on every platform, so they are kept plain."""
    if not _COMPONENT_NAME.match(value) or value.lower() in _WINDOWS_RESERVED:
        raise InvalidValue(
            field="component name",
            value=repr(value),
            allowed="1-64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit",
        )
    return value


_WINDOWS_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` suffix, the form every JSON document uses."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class EngineWarning:
    """A condition worth telling the operator that did not fail the operation."""

    code: str
    message: str
    subject: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "subject": self.subject}


@dataclass
class ComponentResult:
    """What happened to one component in one backup."""

    name: str
    type: str
    status: ComponentStatus
    size: int = 0
    stored_size: int = 0
    duration_s: float = 0.0
    error_code: str | None = None
    error: str | None = None
    warnings: list[EngineWarning] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.type,
            "status": str(self.status),
            "size": self.size,
            "stored_size": self.stored_size,
            "duration_s": round(self.duration_s, 3),
            "error": None if self.error_code is None else {"code": self.error_code, "message": self.error},
            "warnings": [w.to_dict() for w in self.warnings],
        }


BYTE_SIZE_DIGITS = 15
"""The most digits a byte size may have (``999999999999999``, or that many K, M, G or T)."""

_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_byte_size(field_name: str, value: str) -> int:
    """A number of bytes, with an optional binary suffix K, M, G or T (``512M``, ``10G``); 0 is allowed."""
    text = value.strip().upper().removesuffix("IB").removesuffix("B")
    digits, unit = (text[:-1], text[-1]) if text and text[-1] in _SIZE_UNITS else (text, "")
    if not digits.isdigit() or len(digits) > BYTE_SIZE_DIGITS:
        raise InvalidValue(
            field=field_name,
            value=repr(value),
            allowed="a whole number of bytes, optionally with K, M, G or T (1024-based), e.g. 10G; 0 for none",
        )
    return int(digits) * _SIZE_UNITS[unit]


def human_size(n: int | float | None) -> str:
    """Bytes for people: 850.0 KiB, 1.2 GiB."""
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
