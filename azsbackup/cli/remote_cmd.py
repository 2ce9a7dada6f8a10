"""``azsbackup --computer-name HOST COMMAND``: parse COMMAND as locally, run its cmdlet on HOST."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from azsbackup.cli.app import App
from azsbackup.errors import ExitCode, NotConfigured
from azsbackup.jsontext import dumps


def _leaf(ctx: click.Context) -> tuple[tuple[str, ...], dict[str, object]]:
    """Resolve the sub-command chain without running it: its path and parsed parameters."""
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
    return tuple(path), dict(current.params)


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
    path, params = _leaf(ctx)
    password = app.secret("remote_password", from_stdin_line=False, field_name="remote password")
    if not password:
        raise NotConfigured(
            field="remote password", how="--secrets-stdin with remote_password, or AZSBACKUP_REMOTE_PASSWORD"
        )
    command, arguments = remote_call(path, params, lambda key: app.secret(key, from_stdin_line=False, field_name=key))
    settings = RemoteSettings(password=password, **app.remote)
    with RemoteClient(settings, on_warning=lambda message: app.events.warning("remote-warning", message)) as client:
        output = client.invoke(command.cmdlet, arguments)
    document = local_document(command, output)
    app.result(document, _human(path, document))
    status = document.get("status") if isinstance(document, dict) else None
    return int({"PartialSucceeded": ExitCode.PARTIAL, "Failed": ExitCode.ERROR}.get(str(status), ExitCode.OK))
