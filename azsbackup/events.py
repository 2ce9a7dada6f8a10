"""Events an operation reports while it runs: log lines, progress, warnings, component results.

The service layer reports through an :class:`EventSink`; the CLI renders the
events as JSON lines (``--log-json``) or for people, the scheduler logs them,
and the job recorder stores them with the job. Every event is a flat JSON
object with a ``type`` among ``log``, ``progress``, ``component_status``,
``warning`` and ``error``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Event = dict[str, Any]
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
