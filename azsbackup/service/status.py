"""What monitoring shows: Prometheus metrics and the HTML status report, from one snapshot of state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azsbackup import __version__
from azsbackup.jsontext import printable
from azsbackup.model import BackupStatus, iso, parse_iso, utc_now
from azsbackup.monitoring.metrics import Metric, Sample, gauge, render
from azsbackup.osutil import write_file_atomic, writing_output
from azsbackup.service.alerting import list_alerts
from azsbackup.service.catalog import list_backups
from azsbackup.service.configure import configuration_document
from azsbackup.service.controller import Controller

STATUS_VALUE = {BackupStatus.SUCCEEDED: 0, BackupStatus.PARTIAL_SUCCEEDED: 1, BackupStatus.FAILED: 2}


@dataclass
class StatusSnapshot:
    config: dict[str, Any]
    backups: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    generated: str


def snapshot(controller: Controller, recent: int = 30) -> StatusSnapshot:
    records = list_backups(controller)
    return StatusSnapshot(
        config=configuration_document(controller),
        backups=[r.to_dict() for r in records[-recent:]],
        alerts=list_alerts(controller)["alerts"],
        generated=iso(utc_now()) or "",
    )


def metrics_text(controller: Controller) -> str:
    state = snapshot(controller)
    last = state.backups[-1] if state.backups else None
    succeeded = [b for b in state.backups if b["status"] == BackupStatus.SUCCEEDED]
    last_ok = parse_iso(succeeded[-1]["created"]) if succeeded else None
    by_severity = {"Critical": 0, "Warning": 0}
    for alert in state.alerts:
        by_severity[alert["severity"]] = by_severity.get(alert["severity"], 0) + 1
    metrics: list[Metric] = [
        gauge("azsbackup_info", "Engine version.", samples=[Sample({"version": __version__}, 1)]),
        gauge("azsbackup_backups", "Complete backups in the internal store.", len(state.backups)),
        gauge(
            "azsbackup_last_success_timestamp_seconds",
            "Creation time of the newest Succeeded backup.",
            last_ok.timestamp() if last_ok else 0,
        ),
        gauge(
            "azsbackup_active_alerts",
            "Active alerts by severity.",
            samples=[Sample({"severity": s}, n) for s, n in sorted(by_severity.items())],
        ),
        gauge(
            "azsbackup_scheduler_enabled",
            "1 when scheduled backups are enabled.",
            1 if state.config["scheduler_enabled"] else 0,
        ),
    ]
    if last is not None:
        metrics += [
            gauge(
                "azsbackup_last_backup_status",
                "Status of the newest backup: 0 Succeeded, 1 Partial, 2 Failed.",
                STATUS_VALUE[BackupStatus(last["status"])],
            ),
            gauge("azsbackup_last_backup_duration_seconds", "Duration of the newest backup.", last["duration_s"]),
            gauge("azsbackup_last_backup_size_bytes", "Size of the newest backup before compression.", last["size"]),
            gauge("azsbackup_last_backup_stored_bytes", "Stored size of the newest backup.", last["stored_size"]),
            gauge(
                "azsbackup_last_backup_component_status",
                "Per-component status of the newest backup (0 ok, 2 failed).",
                samples=[
                    Sample({"component": c["name"], "type": c["type"]}, 0 if c["status"] == "Succeeded" else 2)
                    for c in last["components"]
                ],
            ),
        ]
    return render(metrics)


def report_html(controller: Controller) -> str:
    from azsbackup.monitoring.report import render_report

    state = snapshot(controller)
    page = render_report(
        config=state.config,
        backups=state.backups,
        alerts=state.alerts,
        generated=state.generated,
        version=__version__,
    )
    return printable(page)  # a file name that is not UTF-8, quoted in an error, must not break the page


def write_report(controller: Controller, path: Path) -> None:
    """Write :func:`report_html` to ``path``, atomically: a reader sees the old page or the new one."""
    page = report_html(controller).encode("utf-8")
    with writing_output(path):
        write_file_atomic(path, page)
