"""The ``azsbackup`` command line: the only place that knows exit codes and renders JSON.

Every command is a thin shell over one function of :mod:`azsbackup.service`:
parse options, call the service, render the result. Errors from the one
hierarchy in :mod:`azsbackup.errors` become their documented exit code and, with
``--json``/``--log-json``, the JSON error object; anything else is a bug and is
reported as ``unknown-error`` without a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import traceback
from pathlib import Path

import click

from azsbackup import __version__
from azsbackup.cli.app import App
from azsbackup.errors import AzsBackupError, ExitCode, Interrupted, StateUnavailable, UsageError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="azsbackup")
@click.option("--json", "json_output", is_flag=True, help="Print one JSON document on stdout.")
@click.option("--log-json", is_flag=True, help="Print events as JSON lines on stderr.")
@click.option("--secrets-stdin", is_flag=True, help='Read secrets as one JSON object on stdin: {"password": …}.')
@click.option("--debug", is_flag=True, help="Show log lines and tracebacks of unexpected errors.")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="AZSBACKUP_HOME",
    help="Controller directory (default: AZSBACKUP_HOME, else the platform's data directory).",
)
@click.option(
    "--computer-name",
    multiple=True,
    help="Run the command on this Windows host through its AzsBackup cmdlets (WinRM). Several hosts: repeat it, "
    "separate names with commas, or give @FILE (one host a line); results then come as one table or JSON array.",
)
@click.option(
    "--throttle-limit",
    type=click.IntRange(1, 1024),
    default=16,
    show_default=True,
    help="Hosts worked on (and WinRM connections open) at once.",
)
@click.option(
    "--operation-timeout",
    type=click.IntRange(1, 7 * 86400),
    default=3600,
    show_default=True,
    help="Seconds each host may take; a host past it fails with remote-timeout.",
)
@click.option("--port", type=click.IntRange(1, 65535), help="WinRM port (default 5986 with HTTPS, 5985 without).")
@click.option("--no-ssl", is_flag=True, help="Use WinRM over HTTP with message encryption instead of HTTPS.")
@click.option("--no-cert-validation", is_flag=True, help="Do not validate the host's TLS certificate (test networks).")
@click.option("--ca-cert", type=click.Path(dir_okay=False), help="CA bundle or certificate to validate the host with.")
@click.option(
    "--username",
    "remote_username",
    help="Account on the host (password: remote_password secret, or AZSBACKUP_REMOTE_PASSWORD).",
)
@click.option(
    "--auth",
    "--transport",
    "auth",
    type=click.Choice(["negotiate", "ntlm", "kerberos", "credssp"]),
    default="negotiate",
    show_default=True,
    help="WinRM authentication.",
)
@click.pass_context
def cli(
    ctx: click.Context,
    json_output: bool,
    log_json: bool,
    secrets_stdin: bool,
    debug: bool,
    home: Path | None,
    computer_name: tuple[str, ...],
    throttle_limit: int,
    operation_timeout: int,
    port: int | None,
    no_ssl: bool,
    no_cert_validation: bool,
    ca_cert: str | None,
    remote_username: str | None,
    auth: str,
) -> None:
    """azsbackup: encrypted, signed backups of infrastructure components."""
    ctx.obj = App(json_output=json_output, log_json=log_json, secrets_stdin=secrets_stdin, debug=debug, home=home)
    ctx.call_on_close(ctx.obj.close)
    ctx.obj.remote = {
        "hosts": computer_name,
        "throttle": throttle_limit,
        "operation_timeout": operation_timeout,
        "port": port,
        "ssl": not no_ssl,
        "username": remote_username or "",
        "cert_validation": False if no_cert_validation else (ca_cert or True),
        "auth": auth,
    }


def _register() -> None:
    from azsbackup.cli import backup_cmd, component_cmd, config_cmd, misc_cmd, ops_cmd

    for module in (config_cmd, component_cmd, backup_cmd, ops_cmd, misc_cmd):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def _app_of(ctx: click.Context | None) -> App:
    obj = ctx.obj if ctx is not None else None
    return obj if isinstance(obj, App) else App(json_output="--json" in sys.argv, log_json="--log-json" in sys.argv)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI and exit with the code from the documented table."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    ctx: click.Context | None = None
    try:
        with cli.make_context("azsbackup", list(sys.argv[1:] if argv is None else argv)) as ctx:
            if ctx.params.get("computer_name"):
                from azsbackup.cli.remote_cmd import run_remote

                ctx.invoke(cli.callback or (lambda **_: None), **ctx.params)  # sets up ctx.obj, runs no sub-command
                code = run_remote(ctx)
                if code is not None:
                    return code
            result = cli.invoke(ctx)
        return int(result) if isinstance(result, int) else ExitCode.OK
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        error = UsageError(exc.format_message(), command=exc.ctx.command_path if exc.ctx else "azsbackup")
        _app_of(ctx or exc.ctx).error(error)
        return int(error.exit_code)
    except click.Abort:
        _app_of(ctx).error(Interrupted())
        return int(ExitCode.INTERRUPTED)
    except AzsBackupError as exc:
        app = _app_of(ctx)
        if app.debug:
            traceback.print_exc()
        app.error(exc)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        _app_of(ctx).error(Interrupted())
        return int(ExitCode.INTERRUPTED)
    except sqlite3.Error as exc:  # the file system failed the state database: the operator can fix that
        from azsbackup.service.controller import default_home
        from azsbackup.state.db import unavailable_reason

        reason = unavailable_reason(exc)
        app = _app_of(ctx)
        if reason is None:
            return _internal_error(app, exc)
        unavailable = StateUnavailable(home=app.home or default_home(), detail=reason)
        app.error(unavailable)
        return int(unavailable.exit_code)
    except Exception as exc:  # a bug: say so without dumping internals (which could hold secrets)
        return _internal_error(_app_of(ctx), exc)


def _internal_error(app: App, exc: Exception) -> int:
    """A bug: say so without dumping internals (which could hold secrets)."""
    if app.debug or os.environ.get("AZSBACKUP_DEBUG"):
        traceback.print_exc()
    internal = AzsBackupError(f"internal error ({type(exc).__name__}); run with --debug for details")
    app.error(internal)
    return int(internal.exit_code)
