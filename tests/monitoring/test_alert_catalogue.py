"""The alert catalogue renders with real facts, and refuses to render with missing ones."""

from __future__ import annotations

import jinja2
import pytest

from azsbackup.monitoring.alerts import CATALOGUE, FAILURE_CODES, render

FACTS = {
    "backup_id": "20261124T101010Z-0badc0de",
    "job_id": "20261124T101010Z-abcdef",
    "error": "STATUS_DISK_FULL",
    "path": r"\\fs01\AzSBackups\nyc",
    "port": 445,
    "username": r"CONTOSO\backup",
    "free": "1.2 GiB",
    "succeeded": 2,
    "total": 3,
    "failed": "etcd",
    "kept": 14,
    "needed": "280 GiB",
    "scheduled": "2026-11-24T12:00:00Z",
    "reason": "a backup is already running",
    "next": "2026-11-25T00:00:00Z",
    "last_backup": "2026-11-23T12:00:00Z",
    "frequency_hours": 12,
    "thumbprint": "AB" * 20,
    "subject": "CN=backup",
    "not_after": "2026-12-01T00:00:00Z",
    "location": "internal store",
}


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_alert_renders_its_facts(code: str) -> None:
    alert = render(code, FACTS)
    assert alert.title and alert.description and alert.remediation
    assert "{{" not in alert.description + alert.remediation
    assert alert.severity in {"Critical", "Warning"}


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_missing_fact_fails_loudly(code: str) -> None:
    definition = CATALOGUE[code]
    assert "{{" in definition.description, "every alert states the concrete facts of its occurrence"
    with pytest.raises(jinja2.UndefinedError):
        render(code, {})


def test_failure_codes_are_the_backup_failures() -> None:
    assert {"share-unreachable", "authentication-failed", "share-full", "partial-backup"} <= FAILURE_CODES
    assert "certificate-expiring" not in FAILURE_CODES and "backup-skipped" not in FAILURE_CODES
