"""What every command gets: output rendering, event rendering, secrets input, the controller.

Output contract (docs/json-api.md): with ``--json`` stdout carries exactly
one JSON document; with ``--log-json`` stderr carries one JSON object per line
for every event. Without them people get tables and a progress line on a
terminal. Secrets come from ``--secrets-stdin`` (one JSON object), from
``--password-stdin``/``--key-password-stdin`` (one line) or from the
environment; never from argv.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from azsbackup.errors import AzsBackupError, InvalidValue
from azsbackup.events import Event, EventSink
from azsbackup.jsontext import dumps, printable
from azsbackup.model import human_size
from azsbackup.state.secrets import SuppliedSecrets, parse_secrets_json

if TYPE_CHECKING:
    from azsbackup.service.controller import Controller


@dataclass
class App:
    """Per-invocation state, attached to the click context."""

    json_output: bool = False
    log_json: bool = False
    debug: bool = False
    secrets_stdin: bool = False
    home: Path | None = None
    events: EventSink = field(default_factory=EventSink)
    remote: dict[str, Any] = field(default_factory=dict)
    """Connection settings for commands run on other hosts (--computer-name and the options beside it)."""
    _secrets: SuppliedSecrets | None = None
    _stdin_line_used: bool = False
    _controllers: list[Controller] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.events.subscribe(self._render_event)

    # --- secrets ----------------------------------------------------------------------

    def secrets(self) -> SuppliedSecrets:
        if self._secrets is None:
            self._secrets = parse_secrets_json(sys.stdin.read()) if self.secrets_stdin else SuppliedSecrets()
        return self._secrets

    def secret(self, key: str, *, from_stdin_line: bool, field_name: str, env: str | None = None) -> str | None:
        """A secret from one stdin line (if the command's ``--…-stdin`` flag was given), else JSON/env."""
        if from_stdin_line:
            if self.secrets_stdin:
                raise InvalidValue(
                    field=field_name,
                    value="--secrets-stdin and a --…-stdin flag",
                    allowed="one way of passing secrets on stdin",
                )
            if self._stdin_line_used:
                raise InvalidValue(field=field_name, value="two --…-stdin flags", allowed="one secret line on stdin")
            self._stdin_line_used = True
            line = sys.stdin.readline().rstrip("\r\n")
            if not line:
                raise InvalidValue(field=field_name, value="an empty line on stdin", allowed="a non-empty password")
            return line
        return self.secrets().get(key, env)

    # --- controller ---------------------------------------------------------------------

    def controller(self) -> Controller:
        from azsbackup.service.controller import Controller  # lazy: keeps start-up of query commands fast

        controller = Controller(self.home)
        self._controllers.append(controller)
        return controller

    def close(self) -> None:
        """Release what the command opened (called when the click context closes)."""
        for controller in self._controllers:
            controller.close()
        self._controllers.clear()

    # --- output -------------------------------------------------------------------------

    def result(self, document: dict[str, Any] | list[Any], human: str | None = None) -> None:
        """Print the command's result: the JSON document, or the human rendering."""
        if self.json_output:
            click.echo(dumps(document))
        elif human is not None:
            click.echo(printable(human))

    def _render_event(self, event: Event) -> None:
        if self.log_json:
            _write_line(sys.stderr, dumps(event))
            return
        kind = event.get("type")
        if kind == "warning":
            _write_line(sys.stderr, click.style("warning: ", fg="yellow") + str(event.get("message")))
        elif kind == "progress" and sys.stderr.isatty() and not self.json_output:
            width = shutil.get_terminal_size().columns
            sys.stderr.write("\r\033[K" + progress_line(event)[: max(width - 1, 20)])
            if event.get("percent") == 100:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif kind == "log" and self.debug:
            _write_line(sys.stderr, str(event.get("message")))

    def error(self, exc: AzsBackupError) -> None:
        doc = exc.to_dict()
        if self.json_output:
            click.echo(dumps(doc))
        if self.log_json:
            _write_line(sys.stderr, dumps(doc))
        elif not self.json_output:
            _write_line(sys.stderr, click.style("error: ", fg="red", bold=True) + exc.message)
            if exc.hint:
                _write_line(sys.stderr, click.style("hint: ", fg="cyan") + exc.hint)


BAR_WIDTH = 24


def progress_line(event: Event) -> str:
    """A progress event as one terminal line: ``Backup: tree (1/3) [#####-----]  42% 1.2/2.9 GiB 85.0 MiB/s 0:20``."""
    line = f"{event.get('activity')}: {event.get('status')}"
    percent = event.get("percent")
    if percent is not None:
        filled = BAR_WIDTH * percent // 100
        line += f" [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {percent:3d}%"
    done, total = event.get("bytes_done"), event.get("bytes_total")
    if done is not None:
        line += f" {human_size(done)}" + (f" of {human_size(total)}" if total is not None else "")
    if event.get("rate"):
        line += f" {human_size(event['rate'])}/s"
    remaining = event.get("seconds_remaining")
    if remaining is not None and percent != 100:
        minutes, seconds = divmod(int(remaining), 60)
        line += f" {minutes}:{seconds:02d} left"
    return line


def _write_line(stream: TextIO, text: str) -> None:
    stream.write(printable(text) + "\n")
    stream.flush()


pass_app = click.make_pass_decorator(App)


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain text table, column widths fitted to the content."""
    if not rows:
        return "(none)"
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)
