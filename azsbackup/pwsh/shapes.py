"""The objects PowerShell sees: each engine document as an object with Azure Stack's property names.

The engine's ``--json`` documents keep their snake_case keys (docs/json-api.md).
The AzsBackup cmdlets return objects whose properties carry the names of Azure
Stack's ``Azs.Backup.Admin`` module where it has one (``BackupId``,
``CreatedDateTime``, ``TimeTakenToCreate``, ``BackupFrequencyInHours`` …) and
PascalCase forms of the engine's keys elsewhere. Each :class:`Shape` converts
one document kind both ways: :meth:`Shape.to_object` for the module, and
:meth:`Shape.to_document` for ``azsbackup --computer-name``, which turns a
remote cmdlet's objects back into the document a local run prints.

PowerShell property names are case-insensitive, and ``ConvertFrom-Json`` refuses
keys that differ only by case, so every object carries exactly one name per
property (checked when the object is built). Every property of a shape is
present on every object, ``$null`` when the engine has no value, so a script
under ``Set-StrictMode -Version Latest`` can read any of them.

This module is on the start-up path of every cmdlet: it imports nothing at run
time beyond the standard library's ``re``.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    from collections.abc import Callable
    from typing import Any

    Document = dict[str, Any]

_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")
_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


_PASCAL: dict[str, str] = {}
"""Names already converted: a listing converts the same few keys for every one of its objects."""


def pascal(key: str) -> str:
    """``exit_code`` → ``ExitCode``: the generic PowerShell name of an engine key."""
    name = _PASCAL.get(key)
    if name is None:
        name = "".join(part[:1].upper() + part[1:] for part in key.split("_"))
        if len(_PASCAL) < 4096:  # engine keys are few; a document's own keys (notifications) may not be
            _PASCAL[key] = name
    return name


def snake(name: str) -> str:
    """``ExitCode`` → ``exit_code``: the inverse of :func:`pascal` for the keys the engine uses."""
    return _WORD_START.sub("_", name).lower()


def generic_object(value: Any) -> Any:
    """Nested engine values with PascalCase keys, recursively."""
    if isinstance(value, dict):
        return {pascal(str(k)): generic_object(v) for k, v in value.items()}
    if isinstance(value, list):
        return [generic_object(v) for v in value]
    return value


def generic_document(value: Any) -> Any:
    """The inverse of :func:`generic_object`."""
    if isinstance(value, dict):
        return {snake(str(k)): generic_document(v) for k, v in value.items()}
    if isinstance(value, list):
        return [generic_document(v) for v in value]
    return value


def iso_duration(seconds: Any) -> Any:
    """Seconds as an ISO 8601 duration, the form of Azure Stack's ``TimeTakenToCreate``: ``PT20M32.364S``."""
    if seconds is None:
        return None
    milliseconds = round(float(seconds) * 1000)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if rest or text == "PT":
        whole, fraction = divmod(rest, 1000)
        text += f"{whole}.{fraction:03d}".rstrip("0").rstrip(".") + "S"
    return text


def duration_seconds(text: Any) -> Any:
    """The inverse of :func:`iso_duration`."""
    if text is None:
        return None
    match = _DURATION.match(str(text))
    if match is None:
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    hours, minutes, seconds = match.groups()
    total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)
    return round(total, 3)


def iso_seconds(value: Any) -> str:
    """A DateTime as it came back over remoting (a datetime, or ISO text with up to 7 decimals) in the
    engine's form: ``2026-11-24T21:50:12Z``."""
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_milliseconds(value: Any) -> str:
    """As :func:`iso_seconds`, for the engine's times with milliseconds: ``2026-11-24T21:50:12.345Z``."""
    return _utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _utc(value: Any) -> datetime.datetime:
    import datetime as dt

    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


class Field:
    """One property: its PowerShell name, the engine key it comes from, and how the value is converted.

    ``kind`` is one of ``value`` (as is), ``date`` (an ISO 8601 string the module turns into a
    DateTime; ``date_ms`` one with milliseconds, which it keeps on the way back), ``duration``
    (seconds ↔ ISO 8601 duration), ``object`` (nested values with
    PascalCase keys), ``items`` (a list of objects of the nested ``shape``), ``choice`` (an engine
    value ↔ a PowerShell value through ``values``). ``optional`` keys may be absent from the
    engine's document; the property is then ``$null``, and converting back leaves the key out.
    """

    __slots__ = ("key", "kind", "name", "optional", "shape", "values")

    def __init__(
        self,
        name: str,
        key: str,
        kind: str = "value",
        *,
        shape: Shape | None = None,
        values: dict[Any, Any] | None = None,
        optional: bool = False,
    ) -> None:
        self.name = name
        self.key = key
        self.kind = kind
        self.shape = shape
        self.values = values or {}
        self.optional = optional

    def to_property(self, value: Any) -> Any:
        if value is None:
            return None
        if self.kind == "duration":
            return iso_duration(value)
        if self.kind == "object":
            return generic_object(value)
        if self.kind == "items" and self.shape is not None:
            return [self.shape.to_object(item) for item in value]
        if self.kind == "choice":
            return self.values[value]
        return value

    def to_value(self, value: Any) -> Any:
        if value is None:
            return None
        if self.kind == "date":
            return iso_seconds(value)
        if self.kind == "date_ms":
            return iso_milliseconds(value)
        if self.kind == "duration":
            return duration_seconds(value)
        if self.kind == "object":
            return generic_document(value)
        if self.kind == "items" and self.shape is not None:
            return [self.shape.to_document(item) for item in value]
        if self.kind == "choice":
            return next(engine for engine, shown in self.values.items() if shown == value)
        return value


class Derived:
    """A property computed from the whole engine document (not converted back: its sources are kept)."""

    __slots__ = ("compute", "name")

    def __init__(self, name: str, compute: Callable[[Document], Any]) -> None:
        self.name = name
        self.compute = compute


class Shape:
    """One kind of object: its PowerShell type name, its fields and its derived properties.

    Keys of the engine document that no field names are carried generically (:func:`pascal`),
    so a field the engine adds later reaches PowerShell and comes back unchanged.
    """

    __slots__ = ("derived", "fields", "known_keys", "type_name")

    def __init__(self, type_name: str, fields: tuple[Field, ...], derived: tuple[Derived, ...] = ()) -> None:
        self.type_name = type_name
        self.fields = fields
        self.derived = derived
        self.known_keys = frozenset(f.key for f in fields) | {"schema"}
        _check_one_name_per_property(type_name, [f.name for f in fields] + [d.name for d in derived])

    @property
    def dates(self) -> list[str]:
        """The properties the module turns into DateTime values."""
        return [f.name for f in self.fields if f.kind in ("date", "date_ms")]

    @property
    def property_names(self) -> list[str]:
        return [f.name for f in self.fields] + [d.name for d in self.derived]

    def to_object(self, document: Document) -> Document:
        """The PowerShell object for one engine document (or list item)."""
        pairs = [(f.name, f.to_property(document.get(f.key))) for f in self.fields]
        pairs += [(d.name, d.compute(document)) for d in self.derived]
        known = self.known_keys
        generic = [(pascal(key), generic_object(value)) for key, value in document.items() if key not in known]
        if generic:  # the shape's own names were checked when it was made
            pairs += generic
            _check_one_name_per_property(self.type_name, [name for name, _ in pairs])
        return dict(pairs)

    def to_document(self, obj: Document, *, top_level: bool = False) -> Document:
        """The engine document an object was made from (the inverse of :meth:`to_object`)."""
        from azsbackup import SCHEMA

        result: Document = {"schema": SCHEMA} if top_level else {}
        names = {f.name.lower() for f in self.fields} | {d.name.lower() for d in self.derived}
        for f in self.fields:
            value = _get(obj, f.name)
            if f.optional and value is None:
                continue
            result[f.key] = f.to_value(value)
        for name, value in obj.items():
            if name.lower() not in names:
                result[snake(name)] = generic_document(value)
        return result


def _get(obj: Document, name: str) -> Any:
    """A property by its case-insensitive name, as PowerShell reads it."""
    lowered = name.lower()
    return next((value for key, value in obj.items() if key.lower() == lowered), None)


def _check_one_name_per_property(type_name: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name.lower() in seen:
            raise ValueError(f"{type_name}: two properties named {name!r} (names that differ only by case are one)")
        seen.add(name.lower())


# --- the shapes -------------------------------------------------------------------------------------


def _cloud_recovery_ready(backup: Document) -> bool:
    """The backup is complete on the external location, from where a new controller recovers."""
    export = backup.get("export") or {}
    return backup.get("status") in ("Succeeded", "PartialSucceeded") and export.get("status") == "Succeeded"


def _thumbprint(config: Document) -> Any:
    cert = config.get("encryption_cert")
    return cert.get("thumbprint") if isinstance(cert, dict) else None


def _available_capacity(config: Document) -> Any:
    """Free space of the external location when the engine last measured it, in Azure Stack's form (``60 GB``)."""
    space = config.get("location_space")
    if not isinstance(space, dict) or space.get("free") is None:
        return None
    size, unit = float(space["free"]), "B"
    for larger in ("KB", "MB", "GB", "TB"):
        if size < 1000:
            break
        size, unit = size / 1000, larger
    return f"{size:.2f} {unit}" if size < 10 and unit != "B" else f"{size:.0f} {unit}"


COMPONENT_RESULT = Shape(
    "AzsBackup.RoleStatus",
    (
        Field("RoleName", "name"),
        Field("Type", "type"),
        Field("Status", "status"),
        Field("SizeInBytes", "size"),
        Field("StoredSizeInBytes", "stored_size"),
        Field("DurationInSeconds", "duration_s"),
        Field("Error", "error", "object"),
        Field("Warnings", "warnings", "object"),
    ),
)

BACKUP = Shape(
    "AzsBackup.Backup",
    (
        Field("BackupId", "id"),
        Field("Status", "status"),
        Field("CreatedDateTime", "created", "date"),
        Field("TimeTakenToCreate", "duration_s", "duration"),
        Field("IsAutomaticBackup", "trigger", "choice", values={"scheduled": True, "manual": False}),
        Field("BackupDataVersion", "format_version", optional=True),
        Field("SignerFingerprint", "signer"),
        Field("IsSignerTrusted", "trusted"),
        Field("BackupSizeInBytes", "size"),
        Field("StoredSizeInBytes", "stored_size"),
        Field("Export", "export", "object"),
        Field("RoleStatus", "components", "items", shape=COMPONENT_RESULT, optional=True),
    ),
    (Derived("IsCloudRecoveryReady", _cloud_recovery_ready),),
)

CONFIGURATION = Shape(
    "AzsBackup.Configuration",
    (
        Field("Path", "path"),
        Field("UserName", "username"),
        Field("IsPasswordSet", "password_set"),
        Field("EncryptionCertificate", "encryption_cert", "object"),
        Field("RecipientCertificates", "recipient_certs", "object"),
        Field("BackupFrequencyInHours", "frequency_hours"),
        Field("BackupRetentionPeriodInDays", "retention_days"),
        Field("IsBackupSchedulerEnabled", "scheduler_enabled"),
        Field("AllowUnencryptedShare", "allow_unencrypted"),
        Field("Notifications", "notifications", "object"),
        Field("LastBackupTime", "last_backup", "date"),
        Field("NextBackupTime", "next_backup", "date"),
        Field("LocationSpace", "location_space", "object"),
        Field("ControllerHome", "controller_home"),
        Field("SigningKeyFingerprint", "signing_key_fingerprint"),
        Field("ReadBack", "read_back"),
        Field("VerifyMaxBytes", "verify_max_bytes"),
    ),
    (
        Derived("EncryptionCertThumbprint", _thumbprint),
        Derived("AvailableCapacity", _available_capacity),
    ),
)

COMPONENT = Shape(
    "AzsBackup.Component",
    (
        # Not "Name": Test-/Restore-/Remove-AzsBackup take -Name (a backup) from the pipeline.
        Field("ComponentName", "name"),
        Field("Type", "type"),
        Field("IsEnabled", "enabled"),
        Field("Settings", "settings", "object"),
        Field("Description", "description"),
    ),
)

COMPONENT_REMOVAL = Shape("AzsBackup.ComponentRemoval", (Field("RemovedComponent", "removed"),))

BACKUP_REMOVAL = Shape("AzsBackup.BackupRemoval", (Field("DeletedBackupId", "deleted"),))

VERIFICATION = Shape(
    "AzsBackup.Verification",
    (
        Field("BackupId", "id"),
        Field("Status", "status"),
        Field("SignerFingerprint", "signer"),
        Field("IsSignerTrusted", "trusted"),
        Field("IsDeep", "deep"),
        Field("Archives", "archives", "object"),
    ),
)

RESTORE_RESULT = Shape(
    "AzsBackup.RestoreResult",
    (
        Field("BackupId", "id"),
        Field("Status", "status"),
        Field("Components", "components", "object"),
    ),
)

LOCATION_TEST = Shape(
    "AzsBackup.LocationTest",
    (
        Field("Path", "path"),
        Field("Status", "status"),
        Field("Checks", "checks", "object"),
        Field("Error", "error", "object"),
    ),
)

PRUNE_RESULT = Shape(
    "AzsBackup.PruneResult",
    (
        Field("OperationType", "dry_run", "choice", values={True: "DryRun", False: "Default"}),
        # Azure Stack's list: the paths removed, or that a dry run would remove, relative to where they live.
        Field("PathsToDelete", "paths", optional=True),
        Field("ItemsToDelete", "paths_to_delete", "object", optional=True),
        Field("DeletedItems", "deleted", "object", optional=True),
    ),
)

JOB = Shape(
    "AzsBackup.Job",
    (
        Field("JobId", "id"),
        Field("Kind", "kind"),
        Field("Trigger", "trigger"),
        Field("Status", "status"),
        Field("StartTime", "started", "date"),
        Field("EndTime", "ended", "date"),
        Field("DurationInSeconds", "duration_s"),
        # Not "BackupId": a job must not bind to Test-/Restore-/Remove-AzsBackup -BackupId from the pipeline.
        Field("TargetBackupId", "backup_id"),
        Field("Result", "result", "object", optional=True),
        Field("Events", "events", "object", optional=True),
    ),
)

BACKUP_STARTED = Shape(
    "AzsBackup.BackupStarted",
    (Field("JobId", "job_id"), Field("ProcessId", "pid"), Field("Status", "status")),
)

ALERT = Shape(
    "AzsBackup.Alert",
    (
        Field("AlertId", "id"),
        Field("Code", "code"),
        Field("Severity", "severity"),
        Field("State", "state"),
        Field("Title", "title"),
        Field("Description", "description"),
        Field("Remediation", "remediation"),
        Field("FirstSeenTime", "first_seen", "date"),
        Field("LastSeenTime", "last_seen", "date"),
        Field("OccurrenceCount", "count"),
        Field("ClosedTime", "closed", "date"),
    ),
)

FLEET_STATUS = Shape(
    "AzsBackup.FleetStatus",
    (
        Field("ControllerName", "controller"),
        Field("Health", "health"),
        Field("LastBackup", "last_backup", "object"),
        Field("LastBackupAgeInSeconds", "age_s"),
        Field("LastSuccessTime", "last_success", "date"),
        Field("Export", "export", "object"),
        Field("ActiveAlerts", "alerts", "object"),
        Field("IsBackupSchedulerEnabled", "scheduler_enabled"),
        Field("BackupFrequencyInHours", "frequency_hours"),
        Field("NextBackupTime", "next_backup", "date"),
        Field("Location", "location", "object"),
        Field("ControllerHome", "controller_home"),
    ),
)

CERTIFICATE = Shape(
    "AzsBackup.Certificate",
    (
        Field("CerPath", "cer"),
        Field("PfxPath", "pfx"),
        Field("Thumbprint", "thumbprint"),
        Field("Subject", "subject"),
        Field("NotAfter", "not_after", "date"),
    ),
)

EXTERNAL_COPY = Shape(
    "AzsBackup.ExternalCopy",
    (
        # "BackupId": the copy is of that backup, so it pipes on to Test-AzsBackupExternalCopy and Get-AzsBackup.
        Field("BackupId", "backup_id"),
        Field("SizeInBytes", "size"),
        Field("ExportedDateTime", "exported_at", "date_ms"),
        Field("LastVerifiedDateTime", "verified_at", "date_ms"),
        Field("VerificationResult", "result"),
        Field("VerificationDetail", "detail"),
    ),
)

EXTERNAL_COPY_VERIFICATION = Shape(
    "AzsBackup.ExternalCopyVerification",
    (
        Field("Path", "path"),
        Field("MaxBytes", "budget_bytes"),
        Field("Copies", "verified", "object"),
        Field("NotSelectedCount", "not_selected"),
        Field("Status", "status"),
        Field("Error", "error", "object"),
    ),
)

SHAPES: tuple[Shape, ...] = (
    BACKUP,
    COMPONENT_RESULT,
    CONFIGURATION,
    COMPONENT,
    COMPONENT_REMOVAL,
    BACKUP_REMOVAL,
    VERIFICATION,
    RESTORE_RESULT,
    LOCATION_TEST,
    PRUNE_RESULT,
    JOB,
    BACKUP_STARTED,
    ALERT,
    FLEET_STATUS,
    CERTIFICATE,
    EXTERNAL_COPY,
    EXTERNAL_COPY_VERIFICATION,
)
