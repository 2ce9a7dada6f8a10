"""What every command gets: output rendering, event rendering, secrets input, the controller.

Output contract (docs/json-api.md): with ``--json`` stdout carries exactly
one JSON document; with ``--log-json`` stderr carries one JSON object per line
for every event. Without them people get tables and a progress line on a
terminal. Secrets come from ``--secrets-stdin`` (one JSON object), from
``--password-stdin``/``--key-password-stdin`` (one line) or from the
environment; never from argv.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from azsbackup.errors import AzsBackupError, InvalidValue
from azsbackup.events import Event, EventSink
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
            click.echo(json.dumps(document, ensure_ascii=False, default=str))
        elif human is not None:
            click.echo(human)

    def _render_event(self, event: Event) -> None:
        if self.log_json:
            _write_line(sys.stderr, json.dumps(event, ensure_ascii=False, default=str))
            return
        kind = event.get("type")
        if kind == "warning":
            _write_line(sys.stderr, click.style("warning: ", fg="yellow") + str(event.get("message")))
        elif kind == "progress" and sys.stderr.isatty() and not self.json_output:
            percent = event.get("percent")
            text = f"{event.get('activity')}: {event.get('status')}" + (f" [{percent}%]" if percent is not None else "")
            sys.stderr.write("\r\033[K" + text)
            if percent == 100:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif kind == "log" and self.debug:
            _write_line(sys.stderr, str(event.get("message")))

    def error(self, exc: AzsBackupError) -> None:
        doc = exc.to_dict()
        if self.json_output:
            click.echo(json.dumps(doc, ensure_ascii=False))
        if self.log_json:
            _write_line(sys.stderr, json.dumps(doc, ensure_ascii=False))
        elif not self.json_output:
            _write_line(sys.stderr, click.style("error: ", fg="red", bold=True) + exc.message)
            if exc.hint:
                _write_line(sys.stderr, click.style("hint: ", fg="cyan") + exc.hint)


def _write_line(stream: TextIO, text: str) -> None:
    stream.write(text + "\n")
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
