"""``component`` commands."""

from __future__ import annotations

import click

from azsbackup.cli.app import App, pass_app, table

COMPONENT_TYPES = ["directory", "sqlite", "command", "winrm"]


@click.group("component")
def component_group() -> None:
    """Register the infrastructure components to back up."""


@component_group.command("add")
@click.argument("name")
@click.option("--type", "type_name", required=True, type=click.Choice(COMPONENT_TYPES), help="Provider type.")
@click.option("--path", help="directory: the tree; sqlite: the database file.")
@click.option("--include", multiple=True, help="directory: glob of relative paths to include (repeatable).")
@click.option("--exclude", multiple=True, help="directory: glob of relative paths to leave out (repeatable).")
@click.option("--dump-command", help="command: prints the component's data on stdout.")
@click.option("--restore-command", help="command: reads the data back on stdin.")
@click.option("--timeout", type=click.IntRange(1, 86400), help="command: seconds before the command is stopped.")
@click.option("--host", help="winrm: the Windows host.")
@click.option("--remote-path", help="winrm: the directory on the host.")
@click.option("--remote-username", help="winrm: account on the host (password: remote_password secret).")
@click.option("--remote-port", type=click.IntRange(1, 65535), help="winrm: port (default 5986).")
@click.option("--remote-ca-cert", help="winrm: CA bundle or certificate that validates the host.")
@click.option(
    "--remote-auth",
    type=click.Choice(["negotiate", "ntlm", "kerberos", "credssp"]),
    help="winrm: authentication (default negotiate).",
)
@pass_app
def component_add(app: App, /, name: str, type_name: str, **options: object) -> None:
    """Register component NAME of the given type."""
    from azsbackup.service.components import add_component

    settings = _settings_from_options(type_name, options)
    password = app.secret("remote_password", from_stdin_line=False, field_name="remote password")
    component = add_component(
        app.controller(), name, type_name, settings, password=password if type_name == "winrm" else None
    )
    app.result({"schema": "azsbackup/1", **component.to_dict()}, f"added {name}: {component.provider.describe()}")


def _settings_from_options(type_name: str, options: dict[str, object]) -> dict[str, object]:
    """Map CLI options to provider settings; options a type does not take are rejected by the provider."""
    renames = {
        "remote_username": "username",
        "remote_port": "port",
        "remote_ca_cert": "cert_validation",
        "remote_auth": "auth",
    }
    settings: dict[str, object] = {}
    for key, value in options.items():
        if value is None or value == ():
            continue
        settings[renames.get(key, key)] = list(value) if isinstance(value, tuple) else value
    return settings


@component_group.command("list")
@pass_app
def component_list(app: App) -> None:
    """List the registered components (the controller itself is always backed up too)."""
    from azsbackup.service.components import list_components

    components = list_components(app.controller())
    doc = {"schema": "azsbackup/1", "components": [c.to_dict() for c in components]}
    rows = [[c.name, c.type, "yes" if c.enabled else "no", c.provider.describe()] for c in components]
    app.result(doc, table(rows, ["NAME", "TYPE", "ENABLED", "WHAT"]))


@component_group.command("remove")
@click.argument("name")
@pass_app
def component_remove(app: App, name: str) -> None:
    """Unregister component NAME (its existing backups are kept)."""
    from azsbackup.service.components import remove_component

    remove_component(app.controller(), name)
    app.result({"schema": "azsbackup/1", "removed": name}, f"removed {name}")


COMMANDS = [component_group]
