"""The messages ``python -m azsbackup.pwsh`` writes for the PowerShell module: one JSON object per line.

Each message has a ``kind`` and every field of its kind, always (``null`` or ``-1``
where there is no value), so the module reads them under
``Set-StrictMode -Version Latest`` without checking for presence
(docs/powershell.md, *The module ↔ engine protocol*):

* ``progress``: for ``Write-Progress``; ``activity`` and ``status`` are never empty,
  ``percent_complete`` and ``seconds_remaining`` are ``-1`` when unknown, as PowerShell's
  ProgressRecord takes them; ``completed`` ends the activity's bar.
* ``warning``: for ``Write-Warning``.
* ``verbose``: for ``Write-Verbose``.
* ``result``: the last line: the objects, their PowerShell type name, the properties to turn into
  DateTime values, and the error (``null``, or every field of :data:`ERROR_FIELDS`).
"""

from __future__ import annotations

import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Message = dict[str, Any]

PROTOCOL = 1

MESSAGE_FIELDS: dict[str, tuple[str, ...]] = {
    "progress": (
        "kind",
        "activity",
        "status",
        "percent_complete",
        "seconds_remaining",
        "bytes_done",
        "bytes_total",
        "bytes_per_second",
        "completed",
    ),
    "warning": ("kind", "message", "code"),
    "verbose": ("kind", "message"),
    "result": ("kind", "exit_code", "type_name", "objects", "dates", "error"),
}

ERROR_FIELDS = ("code", "message", "hint", "exit_code", "category", "terminating", "target")


def _int_or_minus_one(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return -1
    return max(-1, int(value))


def progress(event: dict[str, Any]) -> Message:
    percent = _int_or_minus_one(event.get("percent"))
    return {
        "kind": "progress",
        "activity": str(event.get("activity") or "azsbackup"),
        "status": str(event.get("status") or "working"),
        "percent_complete": min(percent, 100),
        "seconds_remaining": _int_or_minus_one(event.get("seconds_remaining")),
        "bytes_done": event.get("bytes_done"),
        "bytes_total": event.get("bytes_total"),
        "bytes_per_second": event.get("rate"),
        "completed": percent >= 100 or event.get("completed") is True,
    }


def warning(message: str, code: str = "") -> Message:
    return {"kind": "warning", "message": message, "code": code}


def verbose(message: str) -> Message:
    return {"kind": "verbose", "message": message}


def error(
    code: str, message: str, hint: str, exit_code: int, category: str, terminating: bool, target: str
) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "hint": hint,
        "exit_code": exit_code,
        "category": category,
        "terminating": terminating,
        "target": target,
    }


def result(
    exit_code: int, type_name: str, objects: list[dict[str, Any]], dates: list[str], failure: dict[str, Any] | None
) -> Message:
    return {
        "kind": "result",
        "exit_code": exit_code,
        "type_name": type_name,
        "objects": objects,
        "dates": dates,
        "error": failure,
    }


def from_event(event: dict[str, Any]) -> Message | None:
    """The message for one engine event (``--log-json``), or None for the final error echo."""
    kind = event.get("type")
    if kind == "progress":
        return progress(event)
    if kind == "warning":
        return warning(str(event.get("message") or ""), str(event.get("code") or ""))
    if kind == "alert":
        action, code = event.get("action"), event.get("code")
        text = f"alert {code} {action} (Get-AzsBackupAlert shows what to do)"
        return warning(text, str(code or "")) if action in ("raised", "updated") else verbose(text)
    if kind == "component_status":
        component = event.get("component") or {}
        return verbose(f"{component.get('name')}: {component.get('status')}")
    if kind == "error":
        if "component" not in event:
            return None  # the command's own error: the result carries it
        return verbose(f"{event.get('component')}: {event.get('code')}: {event.get('message')}")
    if kind == "log":
        return verbose(str(event.get("message") or ""))
    return verbose(json.dumps(event, ensure_ascii=False, default=str))


def encode(message: Message) -> bytes:
    """One line of UTF-8 JSON (non-ASCII kept as is: the module decodes UTF-8)."""
    return (json.dumps(message, ensure_ascii=False, default=str) + "\n").encode("utf-8")
