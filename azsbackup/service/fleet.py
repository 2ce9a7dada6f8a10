"""The fleet view: one row per controller, each read by its own engine, gathered and sorted worst first.

On every host the AzsBackup module's ``Get-AzsBackupFleetStatus`` runs the
engine's ``fleet status``, which answers for its own controller from its state
database alone (:mod:`azsbackup.service.health`). The console gathers the rows
through :class:`~azsbackup.remote.fleet.Fleet` (the HTML report also takes each
host's active alerts, over the same pool), adds a row for every host that did
not answer, and sorts: unreachable, critical, warning, healthy; within each,
the oldest last backup first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from azsbackup import __version__
from azsbackup.jsontext import printable
from azsbackup.model import iso, utc_now
from azsbackup.osutil import write_file_atomic, writing_output
from azsbackup.remote.commands import find_variant, local_document
from azsbackup.remote.fleet import Fleet, HostResult, HostSession
from azsbackup.service.controller import Controller
from azsbackup.service.health import HEALTH_ORDER, read_health, status_document


def local_status(controller: Controller) -> dict[str, Any]:
    """``fleet status`` on one controller: its row of the fleet view."""
    return status_document(read_health(controller), utc_now())


def collect(fleet: Fleet, *, with_alerts: bool = False) -> list[HostResult]:
    """Every host's row (and, for the report, its active alerts), in the order of the hosts."""

    status_cmdlet, status = find_variant(("fleet", "status"))
    alerts_cmdlet, alerts = find_variant(("alert", "list"))

    def work(session: HostSession) -> dict[str, Any]:
        row = local_document(status, session.invoke(status_cmdlet.name))
        if with_alerts:
            row["active_alerts"] = local_document(alerts, session.invoke(alerts_cmdlet.name))["alerts"]
        return row

    return fleet.run(work)


def health_of(result: HostResult) -> str:
    if not result.ok or not isinstance(result.result, dict):
        return "Unreachable"
    health = result.result.get("health")
    return health if health in HEALTH_ORDER else "Critical"


def worst_first(results: list[HostResult]) -> list[HostResult]:
    def key(result: HostResult) -> tuple[int, float]:
        age = result.result.get("age_s") if result.ok and isinstance(result.result, dict) else None
        return HEALTH_ORDER.index(health_of(result)), -(age if age is not None else float("inf"))

    return sorted(results, key=key)


def fleet_report_html(results: list[HostResult]) -> str:
    from azsbackup.monitoring.report import render_fleet_report

    rows = [
        {"host": r.host, "health": health_of(r), "status": r.result if r.ok else None, "error": r.error}
        for r in worst_first(results)
    ]
    page = render_fleet_report(rows=rows, generated=iso(utc_now()) or "", version=__version__)
    return printable(page)  # a name that is not UTF-8, quoted in an error, must not break the page


def write_fleet_report(results: list[HostResult], path: Path) -> None:
    page = fleet_report_html(results).encode("utf-8")
    with writing_output(path):
        write_file_atomic(path, page)
