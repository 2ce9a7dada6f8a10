"""Events an operation reports while it runs: log lines, progress, warnings, component results.

The service layer reports through an :class:`EventSink`; the CLI renders the
events as JSON lines (``--log-json``) or for people, the scheduler logs them,
and the job recorder stores them with the job. Every event is a flat JSON
object with a ``type`` among ``log``, ``progress``, ``component_status``,
``warning`` and ``error``.

Progress events always carry every field (``None`` when unknown): the step
(``done`` of ``total``, e.g. the component's index among all of them) and,
within the step, the bytes (``bytes_done`` of ``bytes_total``, with ``rate``
in bytes per second and ``seconds_remaining``). :class:`ByteProgress` reports
the bytes of one step: at most one event every ``progress_interval`` seconds,
then one final event whose ``bytes_done`` equals its ``bytes_total``.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

Event = dict[str, Any]
TRACEBACK_FRAMES = 30
"""Frames kept of each exception in a chain (the innermost ones)."""
Listener = Callable[[Event], None]

PROGRESS_INTERVAL_S = 0.25
"""Least time between two progress events of one step: a few a second, whatever the speed."""


class EventSink:
    """Fans events out to any number of listeners. A listener that fails is dropped, never fatal."""

    def __init__(self, *listeners: Listener, progress_interval: float = PROGRESS_INTERVAL_S) -> None:
        self._listeners: list[Listener] = list(listeners)
        self.progress_interval = progress_interval

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

    def progress(
        self,
        activity: str,
        status: str,
        done: int,
        total: int | None = None,
        *,
        component: str | None = None,
        bytes_done: int | None = None,
        bytes_total: int | None = None,
        rate: int | None = None,
        seconds_remaining: int | None = None,
    ) -> None:
        """One progress event. ``percent`` counts the bytes of the step when it reports bytes (None while
        their total is unknown), else the steps."""
        percent: int | None
        if bytes_done is not None:
            percent = None if bytes_total is None else _percent(bytes_done, bytes_total)
        else:
            percent = None if not total else min(100, round(done * 100 / total))
        self.emit(
            {
                "type": "progress",
                "activity": activity,
                "status": status,
                "done": done,
                "total": total,
                "percent": percent,
                "component": component,
                "bytes_done": bytes_done,
                "bytes_total": bytes_total,
                "rate": rate,
                "seconds_remaining": seconds_remaining,
            }
        )

    def byte_progress(
        self,
        activity: str,
        status: str,
        done: int,
        total: int,
        *,
        component: str | None = None,
        bytes_total: int | None = None,
    ) -> ByteProgress:
        """Progress in bytes within step ``done`` of ``total``; use it as a context manager."""
        return ByteProgress(self, activity, status, done, total, component, bytes_total)

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


def _percent(done: int, total: int) -> int:
    return 100 if done >= total else done * 100 // total


class ByteProgress:
    """Bytes done of bytes expected within one step, reported at most every ``sink.progress_interval`` s.

    :meth:`update` costs a clock read and a comparison, so callers may call it
    for every block they move. An event goes out when the step starts, when
    the interval has passed since the last one, and at :meth:`finish` (also
    called by a ``with`` block that ends without an exception), where the
    total becomes exactly what was done. A step that fails gets no final
    event: the error event says how it ended.
    """

    def __init__(
        self,
        sink: EventSink,
        activity: str,
        status: str,
        done: int,
        total: int,
        component: str | None,
        bytes_total: int | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sink = sink
        self._step = (activity, status, done, total, component)
        self._clock = clock
        self._started = clock()
        self._next = self._started + sink.progress_interval
        self.bytes_done = 0
        self.bytes_total = bytes_total
        self._last: tuple[int, int | None] | None = None
        self._emit(self._started)

    def expect(self, bytes_total: int | None) -> None:
        """Set the bytes the step will move, once it is known (a provider's scan)."""
        self.bytes_total = bytes_total

    def update(self, bytes_done: int) -> None:
        """Record the bytes done so far (a running total)."""
        self.bytes_done = bytes_done
        now = self._clock()
        if now >= self._next:
            self._next = now + self._sink.progress_interval
            self._emit(now)

    def advance(self, count: int) -> None:
        self.update(self.bytes_done + count)

    def finish(self) -> None:
        self.bytes_total = self.bytes_done
        if self._last != (self.bytes_done, self.bytes_total):  # not when the last update said it all
            self._emit(self._clock(), final=True)

    def _emit(self, now: float, *, final: bool = False) -> None:
        elapsed = now - self._started
        rate = round(self.bytes_done / elapsed) if elapsed > 0 and self.bytes_done else None
        remaining = 0 if final else None
        if rate and self.bytes_total is not None and not final:
            remaining = round(max(0, self.bytes_total - self.bytes_done) / rate)
        activity, status, done, total, component = self._step
        self._last = (self.bytes_done, self.bytes_total)
        self._sink.progress(
            activity,
            status,
            done,
            total,
            component=component,
            bytes_done=self.bytes_done,
            bytes_total=self.bytes_total,
            rate=rate,
            seconds_remaining=remaining,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.finish()
