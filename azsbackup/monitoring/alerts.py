"""The alert catalogue: every condition azsbackup raises an alert for, with its remediation.

Each definition has a stable kebab-case code, a severity, a title, and jinja2
templates for the description and the remediation, rendered with the facts of
the occurrence (share path, error message, free space, next backup time …).
The environment uses ``StrictUndefined``: a template that names a fact the
caller did not give fails loudly in the tests instead of printing an empty
string to an operator.

Titles follow Azure Stack's wording where it has one, so operators recognise
them. Each command a remediation names is written twice, for both kinds of
operator: ``'azsbackup …' (PowerShell: 'Verb-AzsBackup… -Parameter …')``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2


class Severity(enum.StrEnum):
    CRITICAL = "Critical"
    WARNING = "Warning"


@dataclass(frozen=True)
class AlertDefinition:
    code: str
    severity: Severity
    title: str
    description: str
    remediation: str
    backup_failure: bool = False
    """Closed automatically by the next successful backup."""


def _d(
    code: str, severity: Severity, title: str, description: str, remediation: str, *, failure: bool = False
) -> AlertDefinition:
    return AlertDefinition(code, severity, title, description, remediation, failure)


CRIT, WARN = Severity.CRITICAL, Severity.WARNING

CATALOGUE: dict[str, AlertDefinition] = {
    a.code: a
    for a in (
        _d(
            "unknown-error",
            CRIT,
            "Backup failed because of an unknown error",
            "Backup {{ backup_id }} failed: {{ error }}.",
            "Run 'azsbackup backup start' (PowerShell: 'Start-AzsBackup') again. If it fails again, run it "
            "with --debug and keep the output and the job's events for support: 'azsbackup job show {{ job_id }}' "
            "(PowerShell: 'Get-AzsBackupJob -Id {{ job_id }}').",
            failure=True,
        ),
        _d(
            "backup-failed",
            CRIT,
            "Backup failed",
            "No component of backup {{ backup_id }} could be backed up. First error: {{ error }}.",
            "Check each component's source with 'azsbackup component list' (PowerShell: "
            "'Get-AzsBackupComponent') and the job's events with 'azsbackup job show {{ job_id }}' (PowerShell: "
            "'Get-AzsBackupJob -Id {{ job_id }}'), fix the cause, then run 'azsbackup backup start' "
            "(PowerShell: 'Start-AzsBackup').",
            failure=True,
        ),
        _d(
            "share-unreachable",
            CRIT,
            "Backup failed because of network connectivity issues",
            "The file server of {{ path }} could not be reached: {{ error }}.",
            "Check that the file server is running, that its name resolves from this controller and that TCP "
            "port {{ port }} is open between them; then run 'azsbackup location test' (PowerShell: "
            "'Test-AzsBackupLocation'). The backup is safe in the internal store and will be exported by the "
            "next run.",
            failure=True,
        ),
        _d(
            "invalid-path",
            CRIT,
            "Backup failed because backup file share path is not valid",
            "The share or folder {{ path }} does not exist: {{ error }}.",
            "Map the share from another computer to check the path. If it is wrong, set the right one with "
            "'azsbackup config set --path \\\\server\\share\\folder' (PowerShell: 'Set-AzsBackupConfiguration "
            "-Path \\\\server\\share\\folder') and run 'azsbackup location test' (PowerShell: "
            "'Test-AzsBackupLocation').",
            failure=True,
        ),
        _d(
            "authentication-failed",
            CRIT,
            "Backup failed because can't access backup share",
            "The file server rejected the account {{ username }} for {{ path }}: {{ error }}.",
            "Map the share from another computer with the same account to check the credentials, then update "
            "them with 'azsbackup config set --username DOMAIN\\user --password-stdin' (PowerShell: "
            "'Set-AzsBackupConfiguration -Username DOMAIN\\user -Password (Read-Host -AsSecureString)').",
            failure=True,
        ),
        _d(
            "cannot-write",
            CRIT,
            "Cannot write to the backup file share",
            "{{ path }} is reachable but {{ username }} cannot write to it: {{ error }}.",
            "Give the account read and write permission on the share and on the folder, then run "
            "'azsbackup location test' (PowerShell: 'Test-AzsBackupLocation').",
            failure=True,
        ),
        _d(
            "share-full",
            CRIT,
            "Backup failed because file share is full",
            "{{ path }} ran out of space while backup {{ backup_id }} was exported ({{ free }} free).",
            "Add capacity to the share, or lower the retention period to keep fewer backups with "
            "'azsbackup config set --retention-days N' (PowerShell: 'Set-AzsBackupConfiguration "
            "-BackupRetentionPeriodInDays N'); copy older backups elsewhere first if you need them. The next "
            "run exports the missing backups.",
            failure=True,
        ),
        _d(
            "export-failed",
            CRIT,
            "Backup failed during file copy to external share",
            "Backup {{ backup_id }} is complete in the internal store but its copy to {{ path }} failed: {{ error }}.",
            "Run 'azsbackup location test' (PowerShell: 'Test-AzsBackupLocation') to find the cause. The next "
            "backup run copies every backup the share is missing.",
            failure=True,
        ),
        _d(
            "blob-authentication-failed",
            CRIT,
            "Backup export failed because the storage account refused the key or SAS token",
            "The blob service of {{ path }} refused the configured credential: {{ error }}.",
            "Copy a key of the storage account (or create a new SAS token with the permissions r, w, d, l) and set "
            "it with 'azsbackup config set --password-stdin' (PowerShell: 'Set-AzsBackupConfiguration -BlobStorageUrl "
            "URL -BlobStorageKey (Read-Host -AsSecureString)'), then run 'azsbackup location test' (PowerShell: "
            "'Test-AzsBackupLocation'). The backup is safe in the internal store and will be exported by the next "
            "run.",
            failure=True,
        ),
        _d(
            "blob-sas-expired",
            CRIT,
            "Backup export failed because the SAS token expired",
            "The SAS token for {{ path }} is not valid now: {{ error }}.",
            "Create a SAS token valid for longer than the retention period, with the permissions r, w, d, l, and "
            "set it with 'azsbackup config set --password-stdin' (PowerShell: 'Set-AzsBackupConfiguration "
            "-BlobStorageUrl URL -BlobStorageKey (Read-Host -AsSecureString)'). The next run exports the missing "
            "backups.",
            failure=True,
        ),
        _d(
            "blob-permission-denied",
            CRIT,
            "Backup export failed because the SAS token lacks a permission",
            "The SAS token for {{ path }} does not allow what export needs: {{ error }}.",
            "Create a SAS token with the permissions r, w, d and l (read, write, delete, list) on the container, "
            "set it with 'azsbackup config set --password-stdin' (PowerShell: 'Set-AzsBackupConfiguration "
            "-BlobStorageUrl URL -BlobStorageKey (Read-Host -AsSecureString)') and run 'azsbackup location test' "
            "(PowerShell: 'Test-AzsBackupLocation').",
            failure=True,
        ),
        _d(
            "blob-container-missing",
            CRIT,
            "Backup export failed because the blob container does not exist",
            "The container of {{ path }} does not exist: {{ error }}.",
            "Create the container in the storage account (azsbackup never creates it, so a typo cannot scatter "
            "backups), or set the right URL with 'azsbackup config set --path URL' (PowerShell: "
            "'Set-AzsBackupConfiguration -BlobStorageUrl URL'), then run 'azsbackup location test' (PowerShell: "
            "'Test-AzsBackupLocation').",
            failure=True,
        ),
        _d(
            "blob-unreachable",
            CRIT,
            "Backup export failed because the blob endpoint could not be reached",
            "The storage endpoint of {{ path }} could not be reached: {{ error }}.",
            "Check that the endpoint's name resolves from this controller and that TCP port {{ port }} is open to "
            "it, then run 'azsbackup location test' (PowerShell: 'Test-AzsBackupLocation'). The backup is safe in "
            "the internal store and will be exported by the next run.",
            failure=True,
        ),
        _d(
            "blob-tls-error",
            CRIT,
            "Backup export failed because the blob endpoint's TLS certificate was not accepted",
            "The TLS connection to {{ path }} failed: {{ error }}.",
            "Trust the certificate authority of the storage endpoint on this controller (on Azure Stack Hub, its "
            "root certificate; REQUESTS_CA_BUNDLE names a bundle with it) and check the URL's host name, then run "
            "'azsbackup location test' (PowerShell: 'Test-AzsBackupLocation').",
            failure=True,
        ),
        _d(
            "blob-throttled",
            WARN,
            "Backup export failed because the storage service kept answering busy",
            "The blob service of {{ path }} answered busy or failed after the bounded retries: {{ error }}.",
            "Nothing partial was published; the next run retries and exports the missing backups, or run "
            "'azsbackup backup start' (PowerShell: 'Start-AzsBackup') later. If it persists, use a less loaded "
            "storage account or schedule backups at a quieter time.",
            failure=True,
        ),
        _d(
            "blob-connection-lost",
            CRIT,
            "Backup export failed because the connection to the blob endpoint was lost",
            "The connection to {{ path }} was lost during the export of backup {{ backup_id }}: {{ error }}.",
            "Nothing partial was published (uncommitted blocks are discarded by the service); the next run "
            "exports what is missing. If it keeps happening, check the network path to the storage endpoint with "
            "'azsbackup location test' (PowerShell: 'Test-AzsBackupLocation').",
            failure=True,
        ),
        _d(
            "blob-api-version-unsupported",
            CRIT,
            "Backup export failed because the storage service does not serve the configured REST API version",
            "The blob service of {{ path }} refused the REST API version: {{ error }}.",
            "Set a REST API version the endpoint serves with 'azsbackup config set --blob-api-version 2019-02-02' "
            "(PowerShell: 'Set-AzsBackupConfiguration -BlobStorageUrl URL -BlobApiVersion 2019-02-02'); Azure "
            "Stack Hub serves 2019-02-02. Then run 'azsbackup location test' (PowerShell: "
            "'Test-AzsBackupLocation').",
            failure=True,
        ),
        _d(
            "external-copy-damaged",
            CRIT,
            "A backup's copy on the external location is damaged",
            "The copy of backup {{ backup_id }} on {{ path }} does not match its signed manifest when read back: "
            "{{ error }}.",
            "The copy in the internal store is not affected. Run 'azsbackup backup start' (PowerShell: "
            "'Start-AzsBackup'): its export copies every damaged or missing backup again from the internal store, "
            "and the scheduler verifies the new copy after its next backup, or check it at once with "
            "'azsbackup location verify --backup {{ backup_id }}' (PowerShell: "
            "'Test-AzsBackupExternalCopy -BackupId {{ backup_id }}'). The alert closes when no copy is known "
            "to be damaged. If copies keep getting damaged, check the file server's disks.",
        ),
        _d(
            "partial-backup",
            WARN,
            "Backup only partially completed because of an unexpected error",
            "Backup {{ backup_id }} completed for {{ succeeded }} of {{ total }} components; failed: {{ failed }}.",
            "See why each component failed with 'azsbackup backup show {{ backup_id }}' (PowerShell: "
            "'Get-AzsBackup -Id {{ backup_id }}'), fix it, then run 'azsbackup backup start' (PowerShell: "
            "'Start-AzsBackup').",
            failure=True,
        ),
        _d(
            "share-almost-full",
            WARN,
            "The backup file share is almost full",
            "{{ path }} has {{ free }} free; the {{ kept }} backups the retention keeps need about {{ needed }}.",
            "Add capacity to the share, or lower the retention period with 'azsbackup config set "
            "--retention-days N' (PowerShell: 'Set-AzsBackupConfiguration -BackupRetentionPeriodInDays N'), "
            "before backups start failing.",
        ),
        _d(
            "backup-skipped",
            WARN,
            "The scheduled backup was skipped due to a conflict with unfinished or failed operations",
            "The backup scheduled for {{ scheduled }} did not start: {{ reason }}.",
            "Wait for the running operation to finish: 'azsbackup job list' (PowerShell: 'Get-AzsBackupJob') "
            "shows it. Then run 'azsbackup backup start' (PowerShell: 'Start-AzsBackup') or let the next "
            "scheduled backup at {{ next }} run.",
        ),
        _d(
            "scheduler-disabled",
            WARN,
            "Infrastructure backups are paused",
            "Scheduled backups are disabled; the last backup was {{ last_backup }}.",
            "Enable them with 'azsbackup config set --scheduler' (PowerShell: 'Set-AzsBackupConfiguration "
            "-IsBackupSchedulerEnabled $true'), or take on-demand backups with 'azsbackup backup start' "
            "(PowerShell: 'Start-AzsBackup').",
        ),
        _d(
            "backup-overdue",
            WARN,
            "No successful backup within the backup frequency",
            "The last successful backup was {{ last_backup }}, more than {{ frequency_hours }} hours ago.",
            "Check that scheduled backups are enabled with 'azsbackup config get' (PowerShell: "
            "'Get-AzsBackupConfiguration'), that the scheduler service runs on the controller (azsbackup scheduler "
            "status there; no cmdlet reports it), and why recent jobs failed with 'azsbackup job list --status Failed' "
            "(PowerShell: 'Get-AzsBackupJob -Status Failed'), then run 'azsbackup backup start' (PowerShell: "
            "'Start-AzsBackup').",
        ),
        _d(
            "certificate-expiring",
            WARN,
            "The backup encryption certificate expires soon",
            "The certificate {{ thumbprint }} ({{ subject }}) expires on {{ not_after }}.",
            "Create a new pair with 'azsbackup cert new' (PowerShell: 'New-AzsBackupEncryptionCertificate'), "
            "configure the .cer with 'azsbackup config set --encryption-cert FILE.cer' (PowerShell: "
            "'Set-AzsBackupConfiguration -EncryptionCertPath FILE.cer'), and keep the old .pfx: older backups "
            "still need it.",
        ),
        _d(
            "certificate-expired",
            CRIT,
            "The backup encryption certificate has expired",
            "The certificate {{ thumbprint }} ({{ subject }}) expired on {{ not_after }}.",
            "Create a new pair with 'azsbackup cert new' (PowerShell: 'New-AzsBackupEncryptionCertificate') "
            "and configure the .cer with 'azsbackup config set --encryption-cert FILE.cer' (PowerShell: "
            "'Set-AzsBackupConfiguration -EncryptionCertPath FILE.cer'). Keep the old .pfx for the backups "
            "made with it.",
        ),
        _d(
            "retention-failed",
            WARN,
            "Backup could not be deleted",
            "Retention could not delete backup {{ backup_id }} from {{ location }}: {{ error }}.",
            "Check the account's delete permission on {{ location }}, then run 'azsbackup prune' (PowerShell: "
            "'Invoke-AzsPruneBackupLocationExternalStore').",
        ),
    )
}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)  # noqa: S701 - plain text


@dataclass(frozen=True)
class RenderedAlert:
    code: str
    severity: str
    title: str
    description: str
    remediation: str


def render(code: str, facts: dict[str, Any]) -> RenderedAlert:
    """The alert ``code`` with its texts filled in from ``facts`` (every named fact is required)."""
    definition = CATALOGUE[code]
    env = _environment()
    return RenderedAlert(
        code=code,
        severity=str(definition.severity),
        title=definition.title,
        description=env.from_string(definition.description).render(facts),
        remediation=env.from_string(definition.remediation).render(facts),
    )


FAILURE_CODES = frozenset(code for code, d in CATALOGUE.items() if d.backup_failure)


def catalogue_markdown() -> str:
    """The alert table of docs/operations.md, generated from :data:`CATALOGUE`."""
    rows = [
        "| code | severity | title | what to do | closes after a successful backup |",
        "| --- | --- | --- | --- | --- |",
    ]
    for alert in CATALOGUE.values():
        remediation = alert.remediation.replace("{{ ", "<").replace(" }}", ">").replace("|", "\\|")
        closes = "yes" if alert.backup_failure else "no"
        rows.append(f"| `{alert.code}` | {alert.severity} | {alert.title} | {remediation} | {closes} |")
    return "\n".join(rows)


COMPONENT: dict[str, str] = {
    "unknown-error": "backup",
    "backup-failed": "backup",
    "partial-backup": "backup",
    "share-unreachable": "external-location",
    "invalid-path": "external-location",
    "authentication-failed": "external-location",
    "cannot-write": "external-location",
    "share-full": "external-location",
    "export-failed": "external-location",
    "share-almost-full": "external-location",
    "external-copy-damaged": "external-location",
    "blob-unreachable": "external-location",
    "blob-connection-lost": "external-location",
    "blob-authentication-failed": "external-location",
    "blob-sas-expired": "external-location",
    "blob-permission-denied": "external-location",
    "blob-container-missing": "external-location",
    "blob-tls-error": "external-location",
    "blob-api-version-unsupported": "external-location",
    "blob-throttled": "external-location",
    "retention-failed": "retention",
    "backup-skipped": "scheduler",
    "scheduler-disabled": "scheduler",
    "backup-overdue": "scheduler",
    "certificate-expiring": "encryption-certificate",
    "certificate-expired": "encryption-certificate",
}
"""The part of the service each alert is about: the ``component`` label of Alertmanager alerts (a test holds
it to the catalogue: a new code needs its entry)."""
