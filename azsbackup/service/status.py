"""What monitoring shows: Prometheus metrics and the HTML status report, from one snapshot of state."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azsbackup import __version__
from azsbackup.events import EventSink
from azsbackup.jsontext import printable
from azsbackup.model import BackupStatus, iso, parse_iso, utc_now
from azsbackup.monitoring.metrics import Metric, Sample, gauge, render, with_labels
from azsbackup.osutil import write_file_atomic, writing_output
from azsbackup.service.capacity import SpaceOutlook
from azsbackup.service.catalog import list_backups
from azsbackup.service.configure import configuration_document
from azsbackup.service.controller import Controller
from azsbackup.service.health import ControllerHealth, read_health
from azsbackup.service.queries import alert_list

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
        alerts=alert_list(controller)["alerts"],
        generated=iso(utc_now()) or "",
    )


def metrics_of(health: ControllerHealth) -> list[Metric]:
    """The controller's gauges, each sample labelled with the controller's name."""
    last = health.newest
    metrics: list[Metric] = [
        gauge("azsbackup_info", "Engine version.", samples=[Sample({"version": __version__}, 1)]),
        gauge("azsbackup_backups", "Backups in the internal store's catalogue.", health.backups),
        gauge(
            "azsbackup_last_success_timestamp_seconds",
            "Creation time of the newest Succeeded backup (0: none).",
            health.last_success.timestamp() if health.last_success else 0,
        ),
        gauge(
            "azsbackup_active_alerts",
            "Active alerts by severity.",
            samples=[Sample({"severity": s}, n) for s, n in sorted(health.alert_counts().items())],
        ),
        gauge("azsbackup_scheduler_enabled", "1 when scheduled backups are enabled.", int(health.scheduler_enabled)),
        gauge("azsbackup_backup_frequency_seconds", "Time between scheduled backups.", health.frequency_hours * 3600),
    ]
    if health.next_backup is not None:
        metrics.append(
            gauge(
                "azsbackup_next_backup_timestamp_seconds",
                "When the next scheduled backup is due.",
                health.next_backup.timestamp(),
            )
        )
    if last is not None:
        metrics += _last_backup_metrics(last)
    if health.space is not None:
        metrics += _location_metrics(health.space)
    return with_labels(metrics, {"controller": health.name})


def _last_backup_metrics(last: dict[str, Any]) -> list[Metric]:
    created = parse_iso(last["created"])
    metrics = [
        gauge(
            "azsbackup_last_backup_timestamp_seconds",
            "Creation time of the newest backup, whatever its status.",
            created.timestamp() if created else 0,
        ),
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
    if last["export_status"] is not None:
        metrics.append(
            gauge(
                "azsbackup_last_backup_export_status",
                "Export of the newest backup to the external location: 0 Succeeded, 2 Failed.",
                0 if last["export_status"] == "Succeeded" else 2,
            )
        )
    return metrics


def _location_metrics(space: SpaceOutlook) -> list[Metric]:
    metrics = [
        gauge("azsbackup_location_free_bytes", "Free space the external location reported last.", space.free),
        gauge("azsbackup_location_size_bytes", "Total size the external location reported last.", space.total),
        gauge(
            "azsbackup_location_observed_timestamp_seconds",
            "When the external location's space was last observed (at each export).",
            space.observed.timestamp(),
        ),
    ]
    days = space.days_left
    if days is not None:
        metrics.append(
            gauge("azsbackup_location_days_left", "Days until the external location is full at the current rate.", days)
        )
    return metrics


def metrics_text(controller: Controller) -> str:
    """The metrics in the text exposition format, for the node exporter's textfile collector."""
    return render(metrics_of(read_health(controller)))


def metrics_source(home: Path) -> Callable[[], list[Metric]]:
    """What ``metrics serve`` collects at every scrape: a fresh read of the state database at ``home``."""

    def collect() -> list[Metric]:
        controller = Controller(home)
        try:
            return metrics_of(read_health(controller))
        finally:
            controller.close()

    return collect


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


def serve_metrics(home: Path, host: str, port: int, events: EventSink, stop: threading.Event | None = None) -> None:
    """Run the exporter until ``stop`` is set, or SIGTERM / SIGINT when called from the main thread."""
    from azsbackup.errors import ConfigError, NotFound
    from azsbackup.monitoring.metrics import serve

    if not (home / "state.db").exists():
        raise NotFound(kind="controller", name=str(home), how="azsbackup config get (creates the controller)")
    stop = stop or threading.Event()
    try:
        server = serve(metrics_source(home), host, port)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    events.log(f"serving metrics on http://{host}:{port}/metrics", controller=str(home))
    handled = [signal.SIGTERM, signal.SIGINT] if threading.current_thread() is threading.main_thread() else []
    previous = {sig: signal.signal(sig, lambda _s, _f: stop.set()) for sig in handled}
    try:
        while not stop.wait(1.0):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.shutdown()
        server.server_close()
    events.log("metrics exporter stopped")
