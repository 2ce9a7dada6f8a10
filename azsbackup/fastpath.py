"""The lean start for the PowerShell module's read-only calls: ``config get``, ``backup list``,
``backup show ID``, ``job list`` and ``alert list``, each with ``--json``.

Every cmdlet call starts the engine anew (``Get-AzsBackupConfiguration``,
``Get-AzsBackup``, ``Get-AzsBackupJob``, ``Get-AzsBackupAlert``, locally or over
WinRM), so its start-up time is what an operator feels. Loading the
command-line framework alone costs several times the interpreter's own start,
so this module serves exactly these queries (``--json [--log-json] [--home
DIR] WORDS [ARGUMENT] [OPTIONS]``, global options in any order: the PowerShell
module sends ``--json --log-json``) with the same service functions and the
same JSON as the full command line, importing neither click nor the
cryptography stack. An option is served only in the form and with the values
the full command line accepts (``--kind backup``, ``--limit=20``); any other argv
(``backup list --external``, ``--help``, a value it cannot vouch for), and any
failure, returns ``None``: the caller then runs the full command line, which
also renders errors, so behaviour never differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

# typing is not imported at run time: importing it costs a tenth of a query's start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeAlias

    from azsbackup.service.controller import Controller

    Options: TypeAlias = dict[str, Any]
    Query: TypeAlias = Callable[[Controller, list[str], Options], dict[str, Any]]


def _config_get(controller: Controller, arguments: list[str], options: Options) -> dict[str, Any]:
    from azsbackup.service.configure import configuration_document

    return configuration_document(controller)


def _backup_list(controller: Controller, arguments: list[str], options: Options) -> dict[str, Any]:
    from azsbackup.service.queries import backup_list

    return backup_list(controller)


def _backup_show(controller: Controller, arguments: list[str], options: Options) -> dict[str, Any]:
    from azsbackup.service.queries import backup_show

    return backup_show(controller, arguments[0])


def _job_list(controller: Controller, arguments: list[str], options: Options) -> dict[str, Any]:
    from azsbackup.service.queries import JOB_PAGE_DEFAULT, job_list

    return job_list(
        controller,
        kind=options.get("--kind"),
        status=options.get("--status"),
        since=options.get("--since"),
        limit=options.get("--limit", JOB_PAGE_DEFAULT),
        offset=options.get("--offset", 0),
    )


def _alert_list(controller: Controller, arguments: list[str], options: Options) -> dict[str, Any]:
    from azsbackup.service.queries import alert_list

    return alert_list(controller, include_closed=bool(options.get("--all")))


def _one_of(*allowed: str) -> Callable[[str], Any]:
    return lambda value: value if value in allowed else None


def _whole_number(low: int, high: int | None = None) -> Callable[[str], Any]:
    """click's ``IntRange``, for plain decimal digits only (anything else goes to the full command line)."""

    def parse(value: str) -> int | None:
        if not (value.isascii() and value.isdigit()):
            return None
        number = int(value)
        return number if low <= number and (high is None or number <= high) else None

    return parse


def _any_text(value: str) -> str:
    return value


def _job_list_options() -> dict[str, Callable[[str], Any]]:
    from azsbackup.service.queries import JOB_KINDS, JOB_PAGE_MAX, JOB_STATUSES

    return {
        "--kind": _one_of(*JOB_KINDS),
        "--status": _one_of(*JOB_STATUSES),
        "--since": _any_text,  # checked by the query, which fails (and so falls back) on a bad time
        "--limit": _whole_number(1, JOB_PAGE_MAX),
        "--offset": _whole_number(0),
    }


class Command:
    """One query: its words, how many arguments it takes, its value options (each a parser that gives
    ``None`` for a value the full command line would refuse) and its flags."""

    __slots__ = ("arguments", "flags", "query", "value_options")

    def __init__(
        self,
        query: Query,
        *,
        arguments: int = 0,
        value_options: Callable[[], dict[str, Callable[[str], Any]]] | None = None,
        flags: tuple[str, ...] = (),
    ) -> None:
        self.query = query
        self.arguments = arguments
        self.value_options = value_options
        self.flags = flags

    def parse(self, words: list[str]) -> tuple[list[str], Options] | None:
        """The arguments and options in ``words``, or ``None`` if the full command line should read them."""
        parsers = self.value_options() if self.value_options else {}
        arguments: list[str] = []
        options: Options = {}
        index = 0
        while index < len(words):
            word = words[index]
            name, equals, value = word.partition("=")
            if name in parsers and name not in options:
                if not equals:
                    index += 1
                    if index == len(words):
                        return None
                    value = words[index]
                parsed = parsers[name](value) if value and not value.startswith("-") else None
                if parsed is None:
                    return None
                options[name] = parsed
            elif word in self.flags and word not in options:
                options[word] = True
            elif not word.startswith("-") and len(arguments) < self.arguments:
                arguments.append(word)
            else:  # an unknown or repeated option, --help, "--", one argument too many
                return None
            index += 1
        return (arguments, options) if len(arguments) == self.arguments else None


COMMANDS: dict[tuple[str, ...], Command] = {
    ("config", "get"): Command(_config_get),
    ("backup", "list"): Command(_backup_list),
    ("backup", "show"): Command(_backup_show, arguments=1),
    ("job", "list"): Command(_job_list, value_options=_job_list_options),
    ("alert", "list"): Command(_alert_list, flags=("--all",)),
}


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
    command = COMMANDS.get(tuple(rest[:2]))
    parsed_words = command.parse(rest[2:]) if command is not None else None
    if command is None or parsed_words is None:
        return None
    arguments, options = parsed_words
    try:
        document = _run(command.query, home, arguments, options)
    except Exception:  # the full command line runs the query again and reports the error properly
        return None
    from azsbackup.jsontext import dumps

    sys.stdout.write(dumps(document) + "\n")
    sys.stdout.flush()
    return 0


def _run(query: Query, home: Path | None, arguments: list[str], options: Options) -> dict[str, Any]:
    from azsbackup.service.controller import Controller

    controller = Controller(home)
    try:
        return query(controller, arguments, options)
    finally:
        controller.close()


def main() -> None:
    """Console entry point (``azsbackup`` and ``python -m azsbackup``)."""
    code = answer(sys.argv[1:])
    if code is None:
        from azsbackup.cli import main as full_command_line

        full_command_line()
    sys.exit(code)
