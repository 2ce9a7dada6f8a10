"""Events an operation reports while it runs: log lines, progress, warnings, component results.

The service layer reports through an :class:`EventSink`; the CLI renders the
events as JSON lines (``--log-json``) or for people, the scheduler logs them,
and the job recorder stores them with the job. Every event is a flat JSON
object with a ``type`` among ``log``, ``progress``, ``component_status``,
``warning`` and ``error``.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]
TRACEBACK_FRAMES = 30
"""Frames kept of each exception in a chain (the innermost ones)."""
Listener = Callable[[Event], None]


class EventSink:
    """Fans events out to any number of listeners. A listener that fails is dropped, never fatal."""

    def __init__(self, *listeners: Listener) -> None:
        self._listeners: list[Listener] = list(listeners)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken renderer must not break a backup
                self._listeners.remove(listener)

    def log(self, message: str, level: str = "info", **fields: Any) -> None:
        self.emit({"type": "log", "level": level, "message": message, **fields})

    def progress(self, activity: str, status: str, done: int, total: int | None = None) -> None:
        percent = None if not total else min(100, round(done * 100 / total))
        self.emit(
            {
                "type": "progress",
                "activity": activity,
                "status": status,
                "done": done,
                "total": total,
                "percent": percent,
            }
        )

    def warning(self, code: str, message: str, subject: str = "") -> None:
        self.emit({"type": "warning", "code": code, "message": message, "subject": subject})


def where_raised(exc: BaseException) -> list[str]:
    """The traceback of ``exc`` and of the exceptions it was raised from or while handling.

    Exception types and, for each frame, file, line and function: enough to
    find the bug. Never an exception's message or any value, which may hold
    a secret (a password in a connection string, say).
    """
    lines: list[str] = []
    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        lines.append(("" if current is exc else "from ") + f"{kind.__module__}.{kind.__qualname__}, raised at:")
        frames = traceback.extract_tb(current.__traceback__, limit=-TRACEBACK_FRAMES)
        lines += [f"  {frame.filename}:{frame.lineno} in {frame.name}" for frame in reversed(frames)]
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return lines
