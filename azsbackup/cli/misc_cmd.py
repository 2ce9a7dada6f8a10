"""``quickstart`` and ``psmodule`` commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from azsbackup.cli.app import App, pass_app


@click.command("quickstart")
@click.option(
    "--dir",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("azsbackup-quickstart"),
    show_default=True,
    help="Directory for the demo controller, certificate, sample data and restore.",
)
@pass_app
def quickstart(app: App, root: Path) -> None:
    """Create a local controller with a generated certificate, back up sample components,
    verify them and restore-drill them, and print what was done."""
    from azsbackup.service.quickstart import run_quickstart

    report = run_quickstart(root, app.events)
    lines = [f"azsbackup quickstart in {report.root}", ""]
    lines += [f"  {i + 1}. {s['step']:<14} {s['detail']}" for i, s in enumerate(report.steps)]
    program = Path(sys.argv[0]).absolute() if Path(sys.argv[0]).name == "azsbackup" else "python -m azsbackup"
    lines += [
        "",
        "Try next (with the same controller):",
        f"  export AZSBACKUP_HOME={report.root / 'controller'}",
        f"  {program} backup list",
        f"  {program} config get",
        f"  {program} report --html {report.root / 'status.html'}",
    ]
    app.result(report.to_dict(), "\n".join(lines))


@click.group("psmodule")
def psmodule_group() -> None:
    """The AzsBackup PowerShell module shipped with the engine."""


def module_path() -> Path:
    """The installed package's copy, else the source tree's ``psmodule/AzsBackup``."""
    packaged = Path(__file__).resolve().parent.parent / "psmodule" / "AzsBackup"
    if (packaged / "AzsBackup.psd1").exists():
        return packaged
    return Path(__file__).resolve().parents[2] / "psmodule" / "AzsBackup"


@psmodule_group.command("path")
@pass_app
def psmodule_path(app: App) -> None:
    """Print the folder that holds AzsBackup.psd1 (Import-Module takes it)."""
    path = module_path()
    app.result({"schema": "azsbackup/1", "path": str(path)}, str(path))


@psmodule_group.command("install")
@click.option(
    "--scope",
    type=click.Choice(["CurrentUser", "AllUsers"]),
    default="CurrentUser",
    show_default=True,
    help="Which PSModulePath folder to copy the module into.",
)
@pass_app
def psmodule_install(app: App, scope: str) -> None:
    """Copy the module into the PSModulePath folders of SCOPE so `Import-Module AzsBackup` finds it.

    On Windows, into the folder of Windows PowerShell 5.1 and into that of PowerShell 7.
    """
    from azsbackup.service.psmodule import install_module

    targets = [str(t) for t in install_module(module_path(), scope)]
    document = {"schema": "azsbackup/1", "path": targets[0], "paths": targets, "scope": scope}
    app.result(document, "\n".join(f"installed to {t}" for t in targets))


COMMANDS = [quickstart, psmodule_group]
