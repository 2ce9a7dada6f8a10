"""Raising, updating and closing alerts, and telling operators about it.

An alert is raised for a code from the catalogue with the facts of the
occurrence. While an alert of that code is Active, a repeat updates it (count,
last seen, texts rendered with the newest facts) instead of opening another.
Every backup-failure alert closes when a backup succeeds. Notifications go
out when an alert opens and when it closes; a notifier that fails is logged,
never fatal.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from azsbackup.errors import AzsBackupError, NotFound
from azsbackup.events import EventSink
from azsbackup.model import iso, parse_iso, utc_now
from azsbackup.monitoring.alerts import CATALOGUE, FAILURE_CODES, render
from azsbackup.service.controller import Controller
from azsbackup.service.queries import alert_list, alert_view
from azsbackup.state.db import transaction

Notifier = Callable[[str, dict[str, Any]], None]
"""Called with ("raised" | "closed", the alert document)."""


def raise_alert(
    controller: Controller,
    code: str,
    facts: dict[str, Any],
    events: EventSink,
    notifiers: list[Notifier] | None = None,
) -> dict[str, Any]:
    """Open the alert ``code`` or update the active one; return its document."""
    rendered = render(code, facts)
    now = iso(utc_now())
    db = controller.db
    with transaction(db):
        row = db.execute("SELECT * FROM alerts WHERE code = ? AND state = 'Active'", (code,)).fetchone()
        if row is None:
            cursor = db.execute(
                """INSERT INTO alerts (code, severity, state, title, description, remediation, facts,
                                       first_seen, last_seen, count)
                   VALUES (?, ?, 'Active', ?, ?, ?, ?, ?, ?, 1)""",
                (
                    code,
                    rendered.severity,
                    rendered.title,
                    rendered.description,
                    rendered.remediation,
                    json.dumps(facts, default=str),
                    now,
                    now,
                ),
            )
            alert_id, opened = cursor.lastrowid, True
        else:
            db.execute(
                """UPDATE alerts SET description = ?, remediation = ?, facts = ?, last_seen = ?, count = count + 1
                   WHERE id = ?""",
                (rendered.description, rendered.remediation, json.dumps(facts, default=str), now, row["id"]),
            )
            alert_id, opened = row["id"], False
        doc = alert_view(db.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone())
    events.emit({"type": "alert", "action": "raised" if opened else "updated", "code": code, "id": alert_id})
    if opened:
        _notify(notifiers, "raised", doc, events)
    return doc


def close_alerts(
    controller: Controller,
    codes: frozenset[str] | set[str],
    events: EventSink,
    notifiers: list[Notifier] | None = None,
) -> list[dict[str, Any]]:
    """Close every active alert whose code is in ``codes``."""
    db = controller.db
    now = iso(utc_now())
    if not any(r["code"] in codes for r in db.execute("SELECT code FROM alerts WHERE state = 'Active'")):
        return []  # the usual case on every scheduler wake-up: no write lock taken
    with transaction(db):
        rows = [r for r in db.execute("SELECT * FROM alerts WHERE state = 'Active'") if r["code"] in codes]
        for row in rows:
            db.execute("UPDATE alerts SET state = 'Closed', closed = ? WHERE id = ?", (now, row["id"]))
        closed = [alert_view(db.execute("SELECT * FROM alerts WHERE id = ?", (r["id"],)).fetchone()) for r in rows]
    for doc in closed:
        events.emit({"type": "alert", "action": "closed", "code": doc["code"], "id": doc["id"]})
        _notify(notifiers, "closed", doc, events)
    return closed


def close_failure_alerts(controller: Controller, events: EventSink, notifiers: list[Notifier] | None = None) -> None:
    close_alerts(controller, FAILURE_CODES, events, notifiers)


def close_alert_by_id(controller: Controller, alert_id: int, events: EventSink) -> dict[str, Any]:
    # Outside SQLite's rowid range the driver would raise OverflowError; no such alert can exist.
    in_range = 1 <= alert_id < 2**63
    row = controller.db.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone() if in_range else None
    if row is None or row["state"] != "Active":
        raise NotFound(kind="active alert", name=str(alert_id), how="azsbackup alert list")
    close_alerts(controller, {row["code"]}, events)
    return alert_view(controller.db.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone())


def alert_code_for(error: AzsBackupError) -> str:
    """The alert that reports a failed backup or export caused by ``error``."""
    return error.code if error.code in CATALOGUE and CATALOGUE[error.code].backup_failure else "unknown-error"


def _notify(notifiers: list[Notifier] | None, action: str, doc: dict[str, Any], events: EventSink) -> None:
    for notifier in notifiers or []:
        try:
            notifier(action, doc)
        except Exception as exc:  # a notification problem never fails a backup
            events.warning("notification-failed", f"could not send the alert notification: {exc}")


def notifiers_for(controller: Controller) -> list[Notifier]:
    """The notifiers the configuration asks for (SMTP e-mail, webhook, Alertmanager)."""
    from azsbackup.monitoring.notify import SmtpSettings, post_webhook, send_email

    settings = controller.config().notifications
    name = str(controller.home)
    notifiers: list[Notifier] = []
    smtp = settings.get("smtp")
    if smtp:
        smtp_settings = SmtpSettings(
            host=smtp["host"],
            port=int(smtp.get("port", 25)),
            sender=smtp.get("sender", "azsbackup@localhost"),
            recipients=tuple(smtp.get("recipients", ())),
            starttls=bool(smtp.get("starttls")),
            username=smtp.get("username"),
            password=controller.secrets.get("smtp_password"),
        )
        notifiers.append(lambda action, doc: send_email(smtp_settings, action, doc, name))
    url = settings.get("webhook")
    if url:
        notifiers.append(lambda action, doc: post_webhook(url, action, doc, name))
    alertmanagers = settings.get("alertmanager")
    if alertmanagers:
        from azsbackup.monitoring.alertmanager import post_alerts

        label = controller.name
        notifiers.append(lambda action, doc: post_alerts(alertmanagers, action, [doc], label))
    return notifiers


def resend_to_alertmanager(controller: Controller, events: EventSink) -> int:
    """Post every active alert to the configured Alertmanagers again (they expire unless re-sent)."""
    from azsbackup.monitoring.alertmanager import post_alerts
    from azsbackup.monitoring.notify import NotificationError

    urls = controller.config().notifications.get("alertmanager")
    active = alert_list(controller)["alerts"]
    if not urls or not active:
        return 0
    try:
        post_alerts(urls, "raised", active, controller.name)
    except NotificationError as exc:
        events.warning("notification-failed", f"could not re-send the active alerts: {exc}")
    return len(active)


def failure_facts(controller: Controller, *, backup_id: str, job_id: str, error: str) -> dict[str, Any]:
    """Facts every backup-failure template may use."""
    from azsbackup.storage.paths import parse_location

    config = controller.config()
    port: int | str = "445"
    if config.path:
        try:
            port = parse_location(config.path).port or 445
        except AzsBackupError:
            port = 445
    return {
        "backup_id": backup_id,
        "job_id": job_id,
        "error": error,
        "path": config.path or "(no external path)",
        "username": config.username or "(no user name)",
        "port": port,
        "free": "unknown",
    }


CERT_WARNING_DAYS = 30


def check_certificate(
    controller: Controller, events: EventSink, now: dt.datetime, notifiers: list[Notifier] | None = None
) -> None:
    """Raise certificate-expiring (30 days ahead) or certificate-expired; close them once a good one is set."""
    cert = controller.config().encryption_cert
    if cert is None:
        return
    not_after = parse_iso(cert.not_after)
    facts = {"thumbprint": cert.thumbprint, "subject": cert.subject, "not_after": cert.not_after}
    if not_after is None:
        return
    if not_after <= now:
        raise_alert(
            controller,
            "certificate-expired",
            facts,
            events,
            notifiers if notifiers is not None else notifiers_for(controller),
        )
    elif not_after - now <= dt.timedelta(days=CERT_WARNING_DAYS):
        raise_alert(
            controller,
            "certificate-expiring",
            facts,
            events,
            notifiers if notifiers is not None else notifiers_for(controller),
        )
    else:
        close_alerts(controller, {"certificate-expiring", "certificate-expired"}, events)
