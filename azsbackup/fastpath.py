"""The lean start for the engine's most frequent call: ``azsbackup --json config get``.

The PowerShell module asks for JSON on every call, and ``Get-AzsBackupConfiguration``
(locally or over WinRM) is the call made most often, so its start-up time is
what an operator feels. Loading the command-line framework alone costs several
times the interpreter's own start, so this module serves exactly that query
(``--json [--log-json] [--home DIR] config get``, global options in any order:
the PowerShell module sends ``--json --log-json``) with the same service
function and the same JSON as the full command line, importing neither click nor the cryptography
stack. Any other argv, and any failure, returns ``None``: the caller then runs
the full command line, which also renders errors, so behaviour never differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

# typing is not imported at run time: importing it costs a tenth of this query's start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeAlias

    Query: TypeAlias = Callable[[Path | None], dict[str, Any]]


def _config_get(home: Path | None) -> dict[str, Any]:
    from azsbackup.service.configure import configuration_document
    from azsbackup.service.controller import Controller

    controller = Controller(home)
    try:
        return configuration_document(controller)
    finally:
        controller.close()


QUERIES: dict[tuple[str, ...], Query] = {("config", "get"): _config_get}


def _global_options(argv: list[str]) -> tuple[Path | None, list[str]] | None:
    """``--home`` and the rest, if ``argv`` starts with global options that include ``--json``
    and that a query can honour: ``--log-json`` (a query logs nothing) and ``--home DIR``."""
    json_output, home, index = False, None, 0
    while index < len(argv):
        word = argv[index]
        if word == "--json":
            json_output = True
        elif word == "--log-json":
            pass
        elif word == "--home" and index + 1 < len(argv):
            index += 1
            home = Path(argv[index])
        elif word.startswith("--home=") and word != "--home=":
            home = Path(word.partition("=")[2])
        else:
            break
        index += 1
    return (home, argv[index:]) if json_output else None


def answer(argv: list[str]) -> int | None:
    """Serve ``argv`` if it is a query this module knows; ``None`` means "use the full command line"."""
    parsed = _global_options(argv)
    if parsed is None:
        return None
    home, rest = parsed
    query = QUERIES.get(tuple(rest))
    if query is None:
        return None
    try:
        document = query(home)
    except Exception:  # the full command line runs the query again and reports the error properly
        return None
    from azsbackup.jsontext import dumps

    sys.stdout.write(dumps(document) + "\n")
    sys.stdout.flush()
    return 0


def main() -> None:
    """Console entry point (``azsbackup`` and ``python -m azsbackup``)."""
    code = answer(sys.argv[1:])
    if code is None:
        from azsbackup.cli import main as full_command_line

        full_command_line()
    sys.exit(code)
