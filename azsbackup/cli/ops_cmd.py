"""Operations commands: ``job`` (and, as they land, alerts, scheduler, location, prune, report, metrics)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from azsbackup.cli.app import App, pass_app, table
from azsbackup.errors import ExitCode
from azsbackup.service.queries import JOB_KINDS, JOB_PAGE_DEFAULT, JOB_PAGE_MAX, JOB_STATUSES


@click.group("job")
def job_group() -> None:
    """The history of backups, exports, prunes, verifies and restores."""


@job_group.command("list")
@click.option("--kind", type=click.Choice(JOB_KINDS), help="Only jobs of this kind.")
@click.option("--status", type=click.Choice(JOB_STATUSES), help="Only jobs with this status.")
@click.option("--since", help="Only jobs started at or after this ISO 8601 time.")
@click.option(
    "--limit", type=click.IntRange(1, JOB_PAGE_MAX), default=JOB_PAGE_DEFAULT, show_default=True, help="Page size."
)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True, help="Jobs to skip (paging).")
@pass_app
def job_list(app: App, kind: str | None, status: str | None, since: str | None, limit: int, offset: int) -> None:
    """List jobs, newest first."""
    from azsbackup.service.queries import job_list as list_query

    # The lean start (azsbackup/fastpath.py) runs the same query.
    doc = list_query(app.controller(), kind=kind, status=status, since=since, limit=limit, offset=offset)
    app.result(doc, jobs_human(doc))


JOB_HEADERS = ["ID", "KIND", "TRIGGER", "STATUS", "STARTED", "BACKUP"]


def job_rows(doc: dict[str, Any]) -> list[list[str]]:
    return [[j["id"], j["kind"], j["trigger"], j["status"], j["started"], j["backup_id"] or ""] for j in doc["jobs"]]


def jobs_human(doc: dict[str, Any]) -> str:
    return table(job_rows(doc), JOB_HEADERS)


@job_group.command("show")
@click.argument("job_id")
@pass_app
def job_show(app: App, job_id: str) -> None:
    """Show one job with its events."""
    from azsbackup.service.jobs import show_job

    doc = show_job(app.controller(), job_id)
    head = f"job {doc['id']}: {doc['kind']} ({doc['trigger']}) {doc['status']}, {doc['started']} → {doc['ended']}"
    lines = [
        f"  {e['time']} {e['type']}: {e.get('message') or e.get('status') or e.get('name') or ''}"
        for e in doc["events"]
        if e["type"] != "progress"
    ]
    app.result(doc, "\n".join([head, *lines]))


@click.group("alert")
def alert_group() -> None:
    """Alerts raised by failed or risky conditions, with what to do about them."""


@alert_group.command("list")
@click.option("--all", "include_closed", is_flag=True, help="Include closed alerts.")
@pass_app
def alert_list(app: App, include_closed: bool) -> None:
    """List active alerts (with --all, closed ones too)."""
    from azsbackup.service.queries import alert_list as list_query

    doc = list_query(app.controller(), include_closed=include_closed)  # the lean start runs the same query
    app.result(doc, alerts_human(doc))


def alerts_human(doc: dict[str, Any]) -> str:
    blocks = [
        f"[{a['id']}] {a['severity']} {a['state']}: {a['title']} (x{a['count']}, last {a['last_seen']})\n"
        f"    {a['description']}\n    Fix: {a['remediation']}"
        for a in doc["alerts"]
    ]
    return "\n".join(blocks) or "no active alerts"


@alert_group.command("close")
# Alert ids are SQLite rowids: signed 64-bit, assigned from 1.
@click.argument("alert_id", type=click.IntRange(1, 2**63 - 1))
@pass_app
def alert_close(app: App, alert_id: int) -> None:
    """Close alert ALERT_ID by hand (failure alerts also close by themselves after a successful backup)."""
    from azsbackup.model import SCHEMA
    from azsbackup.service.alerting import close_alert_by_id

    doc = close_alert_by_id(app.controller(), alert_id, app.events)
    app.result({"schema": SCHEMA, **doc}, f"closed alert {alert_id}")


@click.group("scheduler")
def scheduler_group() -> None:
    """Scheduled backups."""


@scheduler_group.command("run")
@pass_app
def scheduler_run(app: App) -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl+C (for systemd or a Windows service)."""
    from azsbackup.service.scheduler import Scheduler

    scheduler = Scheduler(app.controller(), app.events)
    with scheduler.signals():
        scheduler.run()


@scheduler_group.command("status")
@pass_app
def scheduler_status(app: App) -> None:
    """Show whether scheduled backups are enabled, and the last and next backup times."""
    from azsbackup.service.scheduler import scheduler_status as status

    doc = status(app.controller())
    lines = [
        f"Scheduler:    {'enabled' if doc['enabled'] else 'disabled'} (every {doc['frequency_hours']:g} h)",
        f"Last backup:  {doc['last_backup'] or '(none)'}",
        f"Next backup:  {doc['next_backup']}",
    ]
    app.result(doc, "\n".join(lines))


@click.group("metrics", invoke_without_command=True)
@click.pass_context
def metrics(ctx: click.Context) -> None:
    """Print Prometheus metrics (text format) for the node exporter's textfile collector;
    `metrics serve` runs an exporter instead."""
    if ctx.invoked_subcommand is not None:
        return
    from azsbackup.service.status import metrics_text

    app = ctx.ensure_object(App)
    click.echo(metrics_text(app.controller()), nl=False)


@metrics.command("serve")
@click.option(
    "--listen",
    default="127.0.0.1:9782",
    show_default=True,
    help="HOST:PORT to serve /metrics on ([::1]:PORT for IPv6).",
)
@pass_app
def metrics_serve(app: App, listen: str) -> None:
    """Serve the metrics on http://HOST:PORT/metrics until SIGTERM or Ctrl+C. Every scrape reads the
    state database afresh, without the controller lock: a running backup never delays it."""
    from azsbackup.service.status import serve_metrics

    host, port = listen_address(listen)
    serve_metrics(app.controller().home, host, port, app.events)


def listen_address(value: str) -> tuple[str, int]:
    from azsbackup.errors import InvalidValue

    host, _, port = value.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidValue(field="listen", value=repr(value), allowed="HOST:PORT, e.g. 127.0.0.1:9782 or [::1]:9782")
    return host, int(port)


@click.command("report")
@click.option(
    "--html",
    "html_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the self-contained HTML status page.",
)
@pass_app
def report(app: App, html_path: Path) -> int:
    """Write an HTML status page: last backups, sizes over time, active alerts with their fixes.
    With --computer-name, one page for every host's controller, worst first."""
    from azsbackup.model import SCHEMA

    if app.remote.get("hosts"):
        from azsbackup.cli.remote_cmd import open_fleet, worst_exit_code
        from azsbackup.service.fleet import collect, write_fleet_report

        with open_fleet(app) as fleet:
            results = collect(fleet, with_alerts=True)
        write_fleet_report(results, html_path)
        doc = {"schema": SCHEMA, "path": str(html_path), "hosts": [r.to_dict() for r in results]}
        failed = [r.host for r in results if not r.ok]
        app.result(doc, f"wrote {html_path}" + (f" ({len(failed)} hosts did not answer)" if failed else ""))
        return worst_exit_code(int(r.error.exit_code) for r in results if r.error is not None)
    from azsbackup.service.status import write_report

    write_report(app.controller(), html_path)
    app.result({"schema": SCHEMA, "path": str(html_path)}, f"wrote {html_path}")
    return 0


@click.group("fleet")
def fleet_group() -> None:
    """Many controllers at once (with --computer-name)."""


@fleet_group.command("status")
@click.option(
    "--computer-name",
    "computer_names",
    multiple=True,
    help="Hosts to ask (as the global --computer-name: repeat, commas or @FILE); none: this controller.",
)
@pass_app
def fleet_status(app: App, computer_names: tuple[str, ...]) -> int:
    """One row per controller: last backup and its status, age, export, open alerts by severity,
    next scheduled backup, free space on the external location and the days it lasts; worst first."""
    from azsbackup.cli.remote_cmd import host_exit_code, is_fan_out, open_fleet, worst_exit_code
    from azsbackup.remote.fleet import HostResult
    from azsbackup.service.fleet import collect, local_status, worst_first

    if computer_names:
        app.remote["hosts"] = (*(app.remote.get("hosts") or ()), *computer_names)
    if not app.remote.get("hosts"):
        doc = local_status(app.controller())
        app.result(doc, fleet_status_table([HostResult(doc["controller"], True, result=doc)]))
        return 0
    with open_fleet(app) as fleet:
        results = worst_first(collect(fleet))
    if not is_fan_out(app):
        (only,) = results
        if only.error is not None:
            raise only.error
        app.result(only.result, fleet_status_table(results))
        return 0
    app.result([r.to_dict() for r in results], fleet_status_table(results))
    return worst_exit_code(host_exit_code(r) for r in results if not r.ok)


def fleet_status_table(results: list[Any]) -> str:
    from azsbackup.model import human_size
    from azsbackup.monitoring.report import human_age
    from azsbackup.service.fleet import health_of

    headers = ["HOST", "HEALTH", "LAST BACKUP", "STATUS", "AGE", "EXPORT", "CRIT", "WARN", "NEXT BACKUP", "FREE"]
    rows = []
    for r in results:
        if not r.ok:
            rows.append([r.host, "Unreachable", f"{r.error.code}: {r.error.message}", *[""] * 7])
            continue
        s, last = r.result, r.result.get("last_backup") or {}
        location = s.get("location") or {}
        days = location.get("days_left")
        export = s["export"]["status"] or ("pending" if s["export"]["configured"] else "-")
        rows.append(
            [
                r.host,
                health_of(r),
                last.get("id") or "(none)",
                last.get("status") or "-",
                human_age(s.get("age_s")),
                export,
                str(s["alerts"].get("critical", 0)),
                str(s["alerts"].get("warning", 0)),
                s.get("next_backup") or ("-" if s.get("scheduler_enabled") else "off"),
                (human_size(location["free"]) + (f" ({days:g} days)" if days is not None else "")) if location else "-",
            ]
        )
    return table(rows, headers)


@click.command("prune")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
@pass_app
def prune(app: App, dry_run: bool) -> None:
    """Remove leftovers of interrupted writes from the internal store and the external location."""
    from azsbackup.service.prune import prune as run_prune

    report = run_prune(app.controller(), app.events, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    lines = [f"{verb} {path}" for path in report.relative_paths] or ["nothing to prune"]
    app.result(report.to_dict(), "\n".join(lines))


@click.group("location")
def location_group() -> None:
    """The external location (SMB share or local path)."""


@location_group.command("test")
@click.option(
    "--path", "candidate_path", help="Test this share or folder instead of the configured one (nothing is saved)."
)
@click.option("--username", help="Account for --path (DOMAIN\\user); the password as for config set.")
@click.option("--password-stdin", is_flag=True, help="Read the password for --path from one line of stdin.")
@pass_app
def location_test(app: App, candidate_path: str | None, username: str | None, password_stdin: bool) -> int:
    """Check the external location: connect, log on, encryption, write/read/rename/delete, space, forecast.

    With --path, check a candidate location before it is configured; the configuration is not changed.
    """
    from azsbackup.errors import InvalidValue
    from azsbackup.service.location_check import check_location
    from azsbackup.storage.paths import Credentials

    candidate = None
    if candidate_path is not None:
        password = app.secret("password", from_stdin_line=password_stdin, field_name="password")
        candidate = (candidate_path, Credentials(username or "", password or ""))
    elif username is not None or password_stdin:
        raise InvalidValue(field="--username/--password-stdin", value="given without --path", allowed="--path P")
    report = check_location(app.controller(), candidate)
    doc = report.to_dict()
    app.result(doc, location_human(doc))
    error = report.probe.error
    return int(error.exit_code if error is not None else ExitCode.OK)


@location_group.command("verify")
@click.option("--all", "verify_all", is_flag=True, help="Verify every copy, whatever the byte budget.")
@click.option("--max-bytes", help="Byte budget of this run (K, M, G, T; default: the configured verify-max-bytes).")
@click.option("--backup", "backup_id", help="Verify only the copy of this backup.")
@pass_app
def location_verify(app: App, verify_all: bool, max_bytes: str | None, backup_id: str | None) -> int:
    """Read exported backups back from the external location and check them against their signed manifests.

    By default: copies not verified since export first, then the least recently verified, as many as the
    byte budget allows. A damaged or missing copy raises the alert external-copy-damaged (exit 15).
    """
    from azsbackup.errors import InvalidValue
    from azsbackup.model import human_size
    from azsbackup.service.external_copies import Selection, run_verification
    from azsbackup.state.config import parse_byte_size

    if sum((verify_all, max_bytes is not None, backup_id is not None)) > 1:
        raise InvalidValue(
            field="--all/--max-bytes/--backup", value="more than one given", allowed="at most one of them"
        )
    budget = parse_byte_size("max-bytes", max_bytes) if max_bytes is not None else None
    report = run_verification(app.controller(), app.events, Selection(backup_id, verify_all, budget))
    doc = report.to_dict()
    rows = [[c["backup_id"], c["result"], human_size(c["bytes"]), c["detail"] or ""] for c in doc["verified"]]
    human = table(rows, ["BACKUP", "RESULT", "READ", "DETAIL"]) if rows else "no copies to verify"
    app.result(doc, f"{human}\n{doc['not_selected']} copies left for later runs")
    error = report.error
    return int(error.exit_code if error is not None else ExitCode.OK)


@location_group.command("copies")
@pass_app
def location_copies(app: App) -> None:
    """List each backup's copy on the external location: when it was exported, last verified, and the result."""
    from azsbackup.model import human_size
    from azsbackup.service.external_copies import copies_document

    doc = copies_document(app.controller())
    rows = [
        [
            c["backup_id"],
            human_size(c["size"]),
            c["exported_at"] or "-",
            c["verified_at"] or "never",
            c["result"] or "-",
        ]
        for c in doc["copies"]
    ]
    app.result(doc, table(rows, ["BACKUP", "SIZE", "EXPORTED", "VERIFIED", "RESULT"]))


def location_human(doc: dict[str, Any]) -> str:
    lines = [f"{'ok  ' if c['ok'] else 'FAIL'} {c['name']:<18} {c['detail']}" for c in doc["checks"]]
    if doc.get("error"):
        lines.append(f"hint: {doc['error']['hint']}")
    return "\n".join(lines)


COMMANDS = [job_group, alert_group, scheduler_group, metrics, report, fleet_group, prune, location_group]
