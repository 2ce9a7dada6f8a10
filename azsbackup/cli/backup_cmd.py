"""``backup``, ``restore`` and ``rekey`` commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from azsbackup.cli.app import App, pass_app, table
from azsbackup.errors import ExitCode
from azsbackup.model import SCHEMA, human_size

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

KEY_FILE = click.Path(exists=False, dir_okay=False, path_type=Path)
EXIT_BY_STATUS = {"Succeeded": ExitCode.OK, "PartialSucceeded": ExitCode.PARTIAL, "Failed": ExitCode.ERROR}


F = TypeVar("F", bound=Callable[..., Any])


def key_options(required: bool) -> Callable[[F], F]:
    """``--key F`` and ``--key-password-stdin``, shared by restore, verify and rekey."""

    def decorate(func: F) -> F:
        func = click.option(
            "--key-password-stdin", is_flag=True, help="Read the .pfx/key password from one line of stdin."
        )(func)
        return click.option(
            "--key",
            "key_path",
            type=KEY_FILE,
            required=required,
            help="Private key: .pfx/.p12 (password via --key-password-stdin or AZSBACKUP_PFX_PASSWORD) or PEM.",
        )(func)

    return decorate


def load_key(app: App, key_path: Path, key_password_stdin: bool) -> RSAPrivateKey:
    from azsbackup.crypto.certs import load_private_key

    password = app.secret("key_password", from_stdin_line=key_password_stdin, field_name="key password")
    key, _cert = load_private_key(key_path, password.encode("utf-8") if password is not None else None)
    return key


@click.group("backup")
def backup_group() -> None:
    """Start, list, show, verify and delete backups."""


@backup_group.command("start")
@click.option(
    "--no-wait",
    is_flag=True,
    help="Run the backup in a process of its own: print its job id and return at once (follow it: job show ID).",
)
@click.option("--detached", is_flag=True, hidden=True, help="The process --no-wait starts.")
@pass_app
def backup_start(app: App, no_wait: bool, detached: bool) -> int:
    """Back up every component now (does not move the next scheduled backup)."""
    from azsbackup.cli.detach import announce_started, start_detached
    from azsbackup.service.backup import BackupOptions, run_backup

    if no_wait:
        doc = start_detached(app.controller().home)
        app.result(doc, f"backup started as job {doc['job_id']}; follow it with: azsbackup job show {doc['job_id']}")
        return ExitCode.OK
    options = BackupOptions(on_started=announce_started if detached else None)
    record = run_backup(app.controller(), app.events, options)
    doc = {"schema": SCHEMA, **record.to_dict()}
    app.result(doc, backup_human(doc))
    exit_code = EXIT_BY_STATUS[record.status]
    export_error = record.export.get("error")
    if exit_code is ExitCode.OK and export_error:
        return int(export_error["exit_code"])
    if exit_code is ExitCode.OK and any(c.get("warnings") for c in record.components):
        return ExitCode.WARNINGS
    return exit_code


def backup_human(doc: dict[str, Any]) -> str:
    """A backup document (backup start/show) for people."""
    head = (
        f"backup {doc['id']}: {doc['status']} in {doc['duration_s']:.1f} s, "
        f"{human_size(doc['size'])} stored as {human_size(doc['stored_size'])}\n"
        f"signed by {doc['signer']} ({'trusted' if doc['trusted'] else 'NOT TRUSTED'})\n"
    )
    rows = [
        [
            c["name"],
            c["type"],
            c["status"],
            human_size(c["size"]),
            human_size(c["stored_size"]),
            c["error"]["code"] if c.get("error") else "",
        ]
        for c in doc["components"]
    ]
    return head + table(rows, ["COMPONENT", "TYPE", "STATUS", "SIZE", "STORED", "ERROR"])


BACKUP_LIST_HEADERS = ["ID", "STATUS", "TRIGGER", "STORED", "TRUSTED", "EXPORT"]


def backup_list_rows(doc: dict[str, Any]) -> list[list[str]]:
    return [
        [
            b["id"],
            b["status"],
            b["trigger"],
            human_size(b["stored_size"]),
            "yes" if b["trusted"] else "NO",
            (b.get("export") or {}).get("status") or "-",
        ]
        for b in doc["backups"]
    ]


def backup_list_human(doc: dict[str, Any]) -> str:
    return table(backup_list_rows(doc), BACKUP_LIST_HEADERS)


@backup_group.command("list")
@click.option("--external", is_flag=True, help="List the backups on the external location instead (recovery).")
@pass_app
def backup_list(app: App, external: bool) -> None:
    """List complete backups, oldest first."""
    from azsbackup.service.queries import backup_list as list_query

    controller = app.controller()
    if external:
        from azsbackup.service.catalog import list_document, list_location
        from azsbackup.service.export import external_location

        with external_location(controller, create_root=False) as location:  # read-only access is enough
            doc = list_document(list_location(controller, location))
    else:
        doc = list_query(controller)  # the lean start (azsbackup/fastpath.py) runs the same query
    app.result(doc, backup_list_human(doc))


@backup_group.command("show")
@click.argument("backup_id")
@pass_app
def backup_show(app: App, backup_id: str) -> None:
    """Show one backup with its components."""
    from azsbackup.service.queries import backup_show as show_query

    doc = show_query(app.controller(), backup_id)  # the lean start (azsbackup/fastpath.py) runs the same query
    app.result(doc, backup_human(doc))


@backup_group.command("delete")
@click.argument("backup_id")
@pass_app
def backup_delete(app: App, backup_id: str) -> None:
    """Delete one backup from the internal store."""
    from azsbackup.service.maintenance import delete_backup

    delete_backup(app.controller(), backup_id)
    app.result({"schema": SCHEMA, "deleted": backup_id}, f"deleted {backup_id}")


@backup_group.command("verify")
@click.argument("backup_id")
@click.option("--deep", is_flag=True, help="Also decrypt and read everything (a restore drill that writes nothing).")
@key_options(required=False)
@pass_app
def backup_verify(app: App, backup_id: str, deep: bool, key_path: Path | None, key_password_stdin: bool) -> None:
    """Verify BACKUP_ID: signature, trust, sizes and hashes; with --deep --key, every encrypted byte."""
    from azsbackup.errors import InvalidValue
    from azsbackup.service.locate import backup_location
    from azsbackup.service.verify import verify_backup

    if deep and key_path is None:
        raise InvalidValue(field="--key", value="(missing)", allowed="a .pfx or PEM key file with --deep")
    key = load_key(app, key_path, key_password_stdin) if deep and key_path else None
    controller = app.controller()
    with backup_location(controller, backup_id) as location:
        report = verify_backup(controller, backup_id, app.events, private_key=key, location=location)
    app.result(
        report.to_dict(),
        f"backup {backup_id}: verified{' (deep)' if deep else ''}, "
        f"{len(report.archives)} archives, signed by {report.signer}",
    )


@click.command("restore")
@click.argument("backup_id")
@key_options(required=True)
@click.option("--component", "components", multiple=True, help="Restore only this component (repeatable).")
@click.option(
    "--to",
    "to",
    type=click.Path(file_okay=False, path_type=Path),
    help="Restore into DIR/<component>/ instead of where each component came from.",
)
@click.option("--force", is_flag=True, help="Replace existing data at the destination.")
@pass_app
def restore(
    app: App,
    backup_id: str,
    key_path: Path,
    key_password_stdin: bool,
    components: tuple[str, ...],
    to: Path | None,
    force: bool,
) -> None:
    """Restore components of BACKUP_ID (needs the private key of a certificate it was encrypted to)."""
    from azsbackup.service.locate import backup_location
    from azsbackup.service.restore import restore_backup

    key = load_key(app, key_path, key_password_stdin)
    controller = app.controller()
    with backup_location(controller, backup_id) as location:
        report = restore_backup(
            controller,
            backup_id,
            key,
            app.events,
            components=list(components) or None,
            to=to,
            force=force,
            location=location,
        )
    rows = [[c["name"], c["destination"]] for c in report.components]
    app.result(report.to_dict(), table(rows, ["COMPONENT", "RESTORED TO"]))


@click.command("rekey")
@click.argument("backup_id", required=False)
@click.option("--all", "all_backups", is_flag=True, help="Rekey every backup in the internal store.")
@key_options(required=True)
@click.option("--new-cert", type=KEY_FILE, required=True, help="Certificate (.cer) to encrypt the data keys to.")
@pass_app
def rekey(
    app: App,
    backup_id: str | None,
    all_backups: bool,
    key_path: Path,
    key_password_stdin: bool,
    new_cert: Path,
) -> None:
    """Re-wrap the data keys of BACKUP_ID (or --all) for a new certificate, without touching the data."""
    from azsbackup.errors import InvalidValue
    from azsbackup.service.maintenance import rekey_backups

    if bool(backup_id) == all_backups:
        raise InvalidValue(field="backup", value=backup_id or "(none)", allowed="one BACKUP_ID or --all")
    key = load_key(app, key_path, key_password_stdin)
    doc = rekey_backups(app.controller(), None if all_backups else backup_id, key, new_cert, app.events)
    app.result(doc, f"rekeyed {len(doc['backups'])} backups to {doc['thumbprint']}")


COMMANDS = [backup_group, restore, rekey]
