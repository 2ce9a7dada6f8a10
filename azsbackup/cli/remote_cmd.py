"""``azsbackup --computer-name HOST[,HOST…] COMMAND``: parse COMMAND as locally, run its cmdlet on every HOST.

One host named once prints what a local run prints. Several hosts (repeated,
comma-separated or ``@FILE``) print one table with a HOST column, or with
``--json`` one array of ``{host, ok, result | error}``, and exit with the worst
host's code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from azsbackup.cli.app import App, table
from azsbackup.errors import ExitCode, NotConfigured
from azsbackup.jsontext import dumps

if TYPE_CHECKING:
    from azsbackup.remote.commands import ParsedCommand
    from azsbackup.remote.fleet import Fleet, HostResult, HostSession


def _leaf(ctx: click.Context) -> ParsedCommand:
    """Resolve the sub-command chain without running it: its words, arguments and the options given."""
    from azsbackup.remote.commands import ParsedCommand

    path: list[str] = []
    command: click.Command = ctx.command
    current = ctx
    while isinstance(command, click.Group):
        args = [*current._protected_args, *current.args]
        name, sub, rest = command.resolve_command(current, args)
        if sub is None or name is None:
            raise click.UsageError("missing command", ctx=current)
        path.append(name)
        current = sub.make_context(name, rest, parent=current)
        command = sub
    arguments = [current.params[p.name] for p in command.params if isinstance(p, click.Argument) and p.name]
    options: dict[str, object] = {}
    for param in command.params:
        given = current.get_parameter_source(param.name or "") is not ParameterSource.DEFAULT
        if not isinstance(param, click.Option) or not given:
            continue
        value = current.params[param.name or ""]
        if param.secondary_opts and value is False:  # --no-scheduler: the flag that was given
            options.update(dict.fromkeys(param.secondary_opts, True))
        else:
            options.update(dict.fromkeys(param.opts, value))
    return ParsedCommand(tuple(path), arguments, options)


def _human(path: tuple[str, ...], document: dict[str, Any]) -> str:
    """The same rendering a local run prints, where the command has one; indented JSON otherwise."""
    from azsbackup.cli.backup_cmd import backup_human, backup_list_human
    from azsbackup.cli.config_cmd import config_human
    from azsbackup.cli.ops_cmd import alerts_human, jobs_human, location_human

    renderers: dict[tuple[str, ...], Callable[[dict[str, Any]], str]] = {
        ("config", "get"): config_human,
        ("config", "set"): config_human,
        ("config", "clear"): config_human,
        ("backup", "start"): backup_human,
        ("backup", "show"): backup_human,
        ("backup", "list"): backup_list_human,
        ("job", "list"): jobs_human,
        ("alert", "list"): alerts_human,
        ("location", "test"): location_human,
    }
    renderer = renderers.get(path)
    return renderer(document) if renderer else dumps(document, indent=2)


FLEET_COMMANDS = {("fleet", "status"), ("report",)}
"""Commands that run in this console and call the hosts themselves (several cmdlets per host)."""


def run_remote(ctx: click.Context) -> int | None:
    """Run COMMAND's cmdlet on every host; None for the commands in :data:`FLEET_COMMANDS` (run locally)."""
    from azsbackup.remote.commands import local_document, remote_call

    app: App = ctx.obj
    parsed = _leaf(ctx)
    if parsed.words in FLEET_COMMANDS:
        return None
    cmdlet, variant, arguments = remote_call(parsed, lambda key: app.secret(key, from_stdin_line=False, field_name=key))

    def work(session: HostSession) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        output = session.invoke(cmdlet.name, arguments)
        return local_document(variant, output), session.errors

    with open_fleet(app) as fleet:
        outcomes = fleet.run(work)
    fan_out = is_fan_out(app)
    results: list[HostResult] = []
    codes: list[int] = []
    for outcome in outcomes:
        if outcome.error is not None:
            results.append(outcome)
            codes.append(int(outcome.error.exit_code))
            continue
        document, errors = outcome.result
        code = document_exit_code(document)
        for error_id, message in errors:  # e.g. an export that failed after a good backup: its exit code
            app.events.warning("remote-error", f"{outcome.host}: {message}" if fan_out else message, error_id)
            code = code or _exit_code_of(error_id)
        results.append(replace(outcome, result=document))
        codes.append(code)
    if not fan_out:
        (only,) = results
        if only.error is not None:
            raise only.error
        app.result(only.result, _human(parsed.words, only.result))
        return codes[0]
    app.result([r.to_dict() for r in results], fleet_table(parsed.words, results))
    return worst_exit_code(codes)


def _exit_code_of(error_id: str) -> int:
    """The exit code of a remote AzsBackup.<code> error, as a local run of the same command exits."""
    from azsbackup.errors import iter_error_classes

    code = error_id.split(",", 1)[0].removeprefix("AzsBackup.")
    return next((int(c.exit_code) for c in iter_error_classes() if c.code == code), int(ExitCode.ERROR))


def is_fan_out(app: App) -> bool:
    """Several hosts were asked for (repeated, comma-separated or @FILE), even if they name one host."""
    values = app.remote.get("hosts") or ()
    return len(values) > 1 or any("," in v or v.strip().startswith("@") for v in values)


def open_fleet(app: App) -> Fleet:
    """The hosts of ``--computer-name`` with the connection options and the remote password."""
    from azsbackup.remote.fleet import Credential, Fleet, parse_hosts

    remote = app.remote
    hosts = parse_hosts(remote.get("hosts") or ())
    password = app.secret("remote_password", from_stdin_line=False, field_name="remote password")
    if not password:
        raise NotConfigured(
            field="remote password", how="--secrets-stdin with remote_password, or AZSBACKUP_REMOTE_PASSWORD"
        )
    fan_out = is_fan_out(app)

    def warn(host: str, message: str) -> None:
        app.events.warning("remote-warning", f"{host}: {message}" if fan_out else message)

    return Fleet(
        hosts,
        Credential(remote["username"], password),
        remote["throttle"],
        port=remote["port"],
        ssl=remote["ssl"],
        cert_validation=remote["cert_validation"],
        auth=remote["auth"],
        operation_timeout=remote["operation_timeout"],
        on_warning=warn,
    )


# --- exit codes ---------------------------------------------------------------------------------

_STATUS_EXIT = {"PartialSucceeded": ExitCode.PARTIAL, "Failed": ExitCode.ERROR}


def document_exit_code(document: dict[str, Any]) -> int:
    """The exit code a local run gives for this result document."""
    error = document.get("error")
    if isinstance(error, dict) and isinstance(error.get("exit_code"), int):  # location test
        return int(error["exit_code"])
    return int(_STATUS_EXIT.get(str(document.get("status")), ExitCode.OK))


def host_exit_code(result: HostResult) -> int:
    if result.error is not None:
        return int(result.error.exit_code)
    return document_exit_code(result.result) if isinstance(result.result, dict) else int(ExitCode.OK)


def worst_exit_code(codes: Iterable[int]) -> int:
    """The worst of the hosts' exit codes: 0 < 1 (warnings) < 3 (partial) < errors (2, 10-18; the highest of
    them) < 130 (interrupted). Documented in docs/json-api.md."""

    def severity(code: int) -> tuple[int, int]:
        ranks = {int(ExitCode.OK): 0, int(ExitCode.WARNINGS): 1, int(ExitCode.PARTIAL): 2, int(ExitCode.INTERRUPTED): 4}
        rank = ranks.get(code, 3)
        return rank, code

    return max(codes, key=severity, default=int(ExitCode.OK))


# --- the fan-out table --------------------------------------------------------------------------

Rows = Callable[[dict[str, Any]], list[list[str]]]


def _fleet_columns(path: tuple[str, ...]) -> tuple[list[str], Rows]:
    """Headers and rows of one host's result in the fan-out table (a local command's own table where it has one)."""
    from azsbackup.cli.backup_cmd import BACKUP_LIST_HEADERS, backup_list_rows
    from azsbackup.cli.ops_cmd import JOB_HEADERS, job_rows

    def backup(doc: dict[str, Any]) -> list[list[str]]:
        components = [c for c in doc.get("components", []) if c.get("type") != "controller"]
        ok = sum(1 for c in components if c.get("status") == "Succeeded")
        export = (doc.get("export") or {}).get("status") or "-"
        return [[doc["id"], doc["status"], f"{ok}/{len(components)}", export]]

    def config(doc: dict[str, Any]) -> list[list[str]]:
        return [
            [
                doc.get("path") or "(not set)",
                f"{doc['frequency_hours']} h",
                f"{doc['retention_days']} days",
                "enabled" if doc["scheduler_enabled"] else "disabled",
                doc.get("last_backup") or "(none)",
            ]
        ]

    config_columns = (["PATH", "FREQUENCY", "RETENTION", "SCHEDULER", "LAST BACKUP"], config)
    tables: dict[tuple[str, ...], tuple[list[str], Rows]] = {
        ("backup", "list"): (BACKUP_LIST_HEADERS, backup_list_rows),
        ("backup", "start"): (["ID", "STATUS", "COMPONENTS OK", "EXPORT"], backup),
        ("backup", "show"): (["ID", "STATUS", "COMPONENTS OK", "EXPORT"], backup),
        ("job", "list"): (JOB_HEADERS, job_rows),
        ("alert", "list"): (
            ["ID", "SEVERITY", "CODE", "TITLE"],
            lambda d: [[str(a["id"]), a["severity"], a["code"], a["title"]] for a in d["alerts"]],
        ),
        ("component", "list"): (
            ["NAME", "TYPE", "ENABLED"],
            lambda d: [[c["name"], c["type"], "yes" if c.get("enabled", True) else "no"] for c in d["components"]],
        ),
        ("location", "test"): (
            ["STATUS", "DETAIL"],
            lambda d: [[d["status"], next((c["detail"] for c in d["checks"] if not c["ok"]), "")]],
        ),
        ("config", "get"): config_columns,
        ("config", "set"): config_columns,
        ("config", "clear"): config_columns,
    }
    return tables.get(path, (["RESULT"], lambda d: [[str(d.get("status") or "ok")]]))


def fleet_table(path: tuple[str, ...], results: list[HostResult]) -> str:
    """One table for every host: a HOST column, then the command's columns; a failed host shows its error."""
    headers, rows_of = _fleet_columns(path)
    rows: list[list[str]] = []
    for result in results:
        if result.error is not None:
            blank = [""] * (len(headers) - 1)
            rows.append([result.host, f"error {result.error.code}: {result.error.message}", *blank])
        else:
            rows += [[result.host, *row] for row in rows_of(result.result)]
    failed = sum(1 for r in results if not r.ok)
    summary = f"{len(results)} hosts: {len(results) - failed} answered, {failed} failed"
    return table(rows, ["HOST", *headers]) + "\n" + summary
