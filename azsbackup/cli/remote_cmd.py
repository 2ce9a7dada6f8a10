"""``azsbackup --computer-name HOST COMMAND``: parse COMMAND as locally, run its cmdlet on HOST."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from azsbackup.cli.app import App
from azsbackup.errors import ExitCode, NotConfigured
from azsbackup.jsontext import dumps

if TYPE_CHECKING:
    from azsbackup.remote.commands import ParsedCommand


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


def run_remote(ctx: click.Context) -> int:
    from azsbackup.remote.client import RemoteClient, RemoteSettings
    from azsbackup.remote.commands import local_document, remote_call

    app: App = ctx.obj
    parsed = _leaf(ctx)
    password = app.secret("remote_password", from_stdin_line=False, field_name="remote password")
    if not password:
        raise NotConfigured(
            field="remote password", how="--secrets-stdin with remote_password, or AZSBACKUP_REMOTE_PASSWORD"
        )
    cmdlet, variant, arguments = remote_call(parsed, lambda key: app.secret(key, from_stdin_line=False, field_name=key))
    settings = RemoteSettings(password=password, **app.remote)
    with RemoteClient(settings, on_warning=lambda message: app.events.warning("remote-warning", message)) as client:
        output = client.invoke(cmdlet.name, arguments)
        errors = client.errors
    document = local_document(variant, output)
    app.result(document, _human(parsed.words, document))
    status = document.get("status") if isinstance(document, dict) else None
    code = int({"PartialSucceeded": ExitCode.PARTIAL, "Failed": ExitCode.ERROR}.get(str(status), ExitCode.OK))
    for error_id, message in errors:  # e.g. an export that failed after a good backup: its exit code
        app.events.warning("remote-error", message, error_id)
        code = code or _exit_code_of(error_id)
    return code


def _exit_code_of(error_id: str) -> int:
    """The exit code of a remote AzsBackup.<code> error, as a local run of the same command exits."""
    from azsbackup.errors import iter_error_classes

    code = error_id.split(",", 1)[0].removeprefix("AzsBackup.")
    return next((int(c.exit_code) for c in iter_error_classes() if c.code == code), int(ExitCode.ERROR))
