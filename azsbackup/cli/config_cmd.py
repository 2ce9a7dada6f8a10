"""``config``, ``cert`` and ``trust`` commands."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from azsbackup.cli.app import App, pass_app, table
from azsbackup.state.config import FREQUENCY_HOURS, RETENTION_DAYS

CERT_FILE = click.Path(dir_okay=False, path_type=Path)


@click.group("config")
def config_group() -> None:
    """Show and change the backup configuration."""


@config_group.command("get")
@pass_app
def config_get(app: App) -> None:
    """Show the configuration (never the password; certificates by thumbprint)."""
    from azsbackup.service.configure import configuration_document

    doc = configuration_document(app.controller())
    app.result(doc, config_human(doc))


def config_human(doc: dict[str, Any]) -> str:
    cert = doc["encryption_cert"]
    lines = [
        ("External path", doc["path"] or "(not set)"),
        ("User name", doc["username"] or "(not set)"),
        ("Password", "set" if doc["password_set"] else "(not set)"),
        (
            "Encryption certificate",
            f"{cert['thumbprint']} {cert['subject']} (until {cert['not_after']})" if cert else "(not set)",
        ),
        ("Additional recipients", ", ".join(r["thumbprint"] for r in doc["recipient_certs"]) or "(none)"),
        ("Frequency", f"{doc['frequency_hours']} h"),
        ("Retention", f"{doc['retention_days']} days"),
        ("Scheduler", "enabled" if doc["scheduler_enabled"] else "disabled"),
        ("Read-back", "on" if doc["read_back"] else "off"),
        ("Verification budget", f"{doc['verify_max_bytes']} bytes per scheduled run"),
        ("Last backup", doc["last_backup"] or "(none)"),
        ("Controller", doc["controller_home"]),
        ("Controller name", doc.get("controller_name") or ""),
        ("Signing key", doc["signing_key_fingerprint"]),
    ]
    width = max(len(k) for k, _ in lines)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in lines)


@config_group.command("set")
@click.option(
    "--path",
    help=r"External location: \\server\share\folder, smb://server[:port]/share/folder, a local path, or a blob "
    "container https://ACCOUNT.blob.SUFFIX/CONTAINER[/PREFIX] (path style: https://HOST[:PORT]/ACCOUNT/CONTAINER).",
)
@click.option("--username", help=r"Share account: DOMAIN\user or user@domain (none for a blob container).")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the share password, or the blob account key or SAS token, from one line of stdin.",
)
@click.option("--encryption-cert", type=CERT_FILE, help="Certificate (.cer, PEM or DER) backups are encrypted to.")
@click.option("--add-recipient-cert", type=CERT_FILE, multiple=True, help="Also encrypt to this certificate (escrow).")
@click.option("--clear-recipient-certs", is_flag=True, help="Remove all additional recipient certificates.")
@click.option(
    "--frequency-hours",
    type=click.IntRange(FREQUENCY_HOURS.start, FREQUENCY_HOURS.stop - 1),
    help="Hours between scheduled backups (4-12).",
)
@click.option(
    "--retention-days",
    type=click.IntRange(RETENTION_DAYS.start, RETENTION_DAYS.stop - 1),
    help="Days backups are kept (2-14).",
)
@click.option("--scheduler/--no-scheduler", default=None, help="Enable or disable scheduled backups.")
@click.option(
    "--allow-unencrypted/--require-encryption",
    default=None,
    help="Allow SMB shares without SMB3 encryption (backups stay encrypted at rest).",
)
@click.option(
    "--allow-insecure-http/--require-https",
    default=None,
    help="Allow a blob location on plain http:// (test setups; warned; backups stay encrypted at rest).",
)
@click.option(
    "--blob-api-version",
    help="Blob REST API version to ask for (default 2019-02-02, which Azure Stack Hub serves; '' for the default).",
)
@click.option("--smtp-server", help="Send alert e-mails through HOST[:PORT] (password: AZSBACKUP_SMTP_PASSWORD).")
@click.option("--smtp-from", help="Sender address of alert e-mails.")
@click.option("--smtp-to", multiple=True, help="Recipient of alert e-mails (repeatable).")
@click.option("--smtp-starttls/--no-smtp-starttls", default=None, help="Use STARTTLS with the SMTP server.")
@click.option("--smtp-username", help="SMTP login (the password comes from AZSBACKUP_SMTP_PASSWORD).")
@click.option("--webhook-url", help="POST alert JSON to this http(s) URL.")
@click.option(
    "--alertmanager-url",
    multiple=True,
    help="Post alerts to this Alertmanager (repeat for each member of a cluster; replaces the list).",
)
@click.option("--clear-notifications", is_flag=True, help="Stop all alert notifications.")
@click.option("--controller-name", help="Name of this controller in metrics and alerts (default: the host name).")
@click.option(
    "--read-back/--no-read-back",
    default=None,
    help="Read every file written (to the internal store and on export) back and compare its SHA-256 "
    "before it gets its name (default: off).",
)
@click.option(
    "--verify-max-bytes",
    help="Bytes of exported backups the scheduler's 'location verify' reads back per run (K, M, G, T; "
    "default 10G; 0: none).",
)
@pass_app
def config_set(
    app: App,
    path: str | None,
    username: str | None,
    password_stdin: bool,
    encryption_cert: Path | None,
    add_recipient_cert: tuple[Path, ...],
    clear_recipient_certs: bool,
    frequency_hours: int | None,
    retention_days: int | None,
    scheduler: bool | None,
    allow_unencrypted: bool | None,
    allow_insecure_http: bool | None,
    blob_api_version: str | None,
    smtp_server: str | None,
    smtp_from: str | None,
    smtp_to: tuple[str, ...],
    smtp_starttls: bool | None,
    smtp_username: str | None,
    webhook_url: str | None,
    alertmanager_url: tuple[str, ...],
    clear_notifications: bool,
    controller_name: str | None,
    read_back: bool | None,
    verify_max_bytes: str | None,
) -> None:
    """Change the given settings; everything not given keeps its value."""
    from azsbackup.service.configure import apply_update, configuration_document, configuration_warnings
    from azsbackup.state.config import UNSET, ConfigUpdate, NotificationUpdate

    password = app.secret("password", from_stdin_line=password_stdin, field_name="password")

    def given(value: object) -> object:
        return UNSET if value is None else value

    update = ConfigUpdate(
        path=given(path),
        username=given(username),
        password=given(password),
        encryption_cert=given(encryption_cert),
        add_recipient_certs=list(add_recipient_cert) if add_recipient_cert else UNSET,
        clear_recipient_certs=clear_recipient_certs,
        frequency_hours=given(frequency_hours),
        retention_days=given(retention_days),
        scheduler_enabled=given(scheduler),
        allow_unencrypted=given(allow_unencrypted),
        allow_insecure_http=given(allow_insecure_http),
        blob_api_version=given(blob_api_version),
        notifications=NotificationUpdate(
            smtp_server=smtp_server,
            smtp_from=smtp_from,
            smtp_to=list(smtp_to) or None,
            smtp_starttls=smtp_starttls,
            smtp_username=smtp_username,
            smtp_password=os.environ.get("AZSBACKUP_SMTP_PASSWORD"),
            webhook_url=webhook_url,
            alertmanager_urls=list(alertmanager_url) or None,
            clear=clear_notifications,
        ),
        controller_name=given(controller_name),
        read_back=given(read_back),
        verify_max_bytes=given(verify_max_bytes),
    )
    controller = app.controller()
    for code, message in configuration_warnings(apply_update(controller, update)):
        app.events.warning(code, message)
    doc = configuration_document(controller)
    app.result(doc, config_human(doc))


@config_group.command("clear")
@pass_app
def config_clear(app: App) -> None:
    """Reset the configuration to its defaults (components and backups are kept)."""
    from azsbackup.service.configure import clear_configuration, configuration_document

    controller = app.controller()
    clear_configuration(controller)
    doc = configuration_document(controller)
    app.result(doc, config_human(doc))


@click.group("cert")
def cert_group() -> None:
    """Encryption certificates."""


@cert_group.command("new")
@click.option("--name", required=True, help="File name stem: writes NAME.cer and NAME.pfx.")
@click.option("--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Where to write.")
@click.option("--password-stdin", is_flag=True, help="Read the .pfx password from one line of stdin.")
@click.option("--days", type=click.IntRange(1, 3650), default=730, show_default=True, help="Validity in days.")
@click.option(
    "--key-size",
    type=click.Choice(["3072", "4096"]),
    default="3072",
    show_default=True,
    help="RSA key size in bits.",
)
@pass_app
def cert_new(app: App, name: str, out_dir: Path, password_stdin: bool, days: int, key_size: str) -> None:
    """Create a self-signed RSA certificate: NAME.cer to configure, NAME.pfx to keep safe for restores."""
    from azsbackup.service.certificates import create_certificate

    password = app.secret(
        "password", from_stdin_line=password_stdin, field_name="pfx password", env="AZSBACKUP_PFX_PASSWORD"
    )
    doc = create_certificate(name, out_dir, password, days=days, key_size=int(key_size))
    app.result(
        doc,
        f"wrote {doc['cer']} (configure it) and {doc['pfx']} (keep it safe: restores need it)\n"
        f"thumbprint {doc['thumbprint']}",
    )


@click.group("trust")
def trust_group() -> None:
    """Signing keys whose backups this controller accepts."""


@trust_group.command("add")
@click.argument("fingerprint")
@click.option("--note", default="", help="Where the key comes from (e.g. the original controller's name).")
@pass_app
def trust_add(app: App, fingerprint: str, note: str) -> None:
    """Pin the signing key FINGERPRINT (compare it with `config get` on the controller that made the backups)."""
    from azsbackup.service.configure import add_trusted_key, trust_document

    controller = app.controller()
    add_trusted_key(controller, fingerprint, note)
    app.result(trust_document(controller), f"trusted {fingerprint}")


@trust_group.command("list")
@pass_app
def trust_list(app: App) -> None:
    """List trusted signing keys."""
    from azsbackup.service.configure import trust_document

    doc = trust_document(app.controller())
    rows = [[k["fingerprint"], k["source"], k["added"] or ""] for k in doc["keys"]]
    app.result(doc, table(rows, ["FINGERPRINT", "SOURCE", "ADDED"]))


@trust_group.command("remove")
@click.argument("fingerprint")
@pass_app
def trust_remove(app: App, fingerprint: str) -> None:
    """Stop trusting FINGERPRINT."""
    from azsbackup.service.configure import remove_trusted_key, trust_document

    controller = app.controller()
    remove_trusted_key(controller, fingerprint)
    app.result(trust_document(controller), f"removed {fingerprint}")


COMMANDS = [config_group, cert_group, trust_group]
