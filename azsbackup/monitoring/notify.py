"""Alert notifications: SMTP e-mail and an HTTP webhook with a JSON body.

Both are plain standard-library clients with timeouts. A failure raises
:class:`NotificationError`; the caller logs it and carries on, because a
notification problem must never fail a backup.
"""

from __future__ import annotations

import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from azsbackup import __version__
from azsbackup.jsontext import dumps, printable

TIMEOUT_S = 10.0


class NotificationError(Exception):
    """A notification could not be delivered (logged as a warning, never fatal)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "azsbackup@localhost"
    recipients: tuple[str, ...] = ()
    starttls: bool = False
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        return f"SmtpSettings(host={self.host!r}, port={self.port}, recipients={self.recipients!r})"


def subject_of(action: str, alert: dict[str, Any]) -> str:
    state = "RESOLVED" if action == "closed" else alert["severity"].upper()
    return f"[azsbackup {state}] {alert['title']}"


def send_email(settings: SmtpSettings, action: str, alert: dict[str, Any], controller: str) -> None:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Subject"] = printable(subject_of(action, alert))
    message.set_content(
        printable(
            f"Controller: {controller}\nAlert {alert['id']} ({alert['code']}) {action}.\n\n"
            f"{alert['description']}\n\nWhat to do:\n{alert['remediation']}\n\n"
            f"First seen {alert['first_seen']}, last seen {alert['last_seen']}, {alert['count']} time(s).\n"
        )
    )
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_S) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username and settings.password:
                smtp.login(settings.username, settings.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise NotificationError(f"e-mail to {settings.host}:{settings.port} failed: {type(exc).__name__}") from exc


def post_webhook(url: str, action: str, alert: dict[str, Any], controller: str) -> None:
    body = dumps(
        {"schema": "azsbackup/1", "event": f"alert.{action}", "controller": controller, "alert": alert}
    ).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 - the operator configures an http(s) URL; the scheme is checked
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": f"azsbackup/{__version__}"},
    )
    if not url.startswith(("http://", "https://")):
        raise NotificationError("webhook URL must start with http:// or https://")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            response.read(1024)
    except (OSError, urllib.error.URLError) as exc:
        raise NotificationError(f"webhook POST failed: {type(exc).__name__}") from exc
