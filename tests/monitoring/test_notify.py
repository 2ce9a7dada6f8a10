"""Notifications reach a real SMTP server and a real HTTP listener; failures are reported, not raised further."""

from __future__ import annotations

import pytest

from azsbackup.monitoring.notify import NotificationError, SmtpSettings, post_webhook, send_email
from tests.fixtures.listeners import SmtpSink, WebhookSink, free_port

ALERT = {
    "id": 7,
    "code": "share-full",
    "severity": "Critical",
    "state": "Active",
    "title": "Backup failed because file share is full",
    "description": r"\\fs01\backups ran out of space",
    "remediation": "Add capacity to the share.",
    "first_seen": "2026-11-24T10:00:00Z",
    "last_seen": "2026-11-24T10:00:00Z",
    "count": 1,
    "closed": None,
}


def test_email_reaches_the_smtp_server(smtp_server: SmtpSink) -> None:
    settings = SmtpSettings(smtp_server.host, smtp_server.port, "azsbackup@contoso.com", ("ops@contoso.com",))
    send_email(settings, "raised", ALERT, "/var/lib/azsbackup")
    assert smtp_server.received.wait(10)
    message = smtp_server.messages[0]
    assert message["Subject"] == "[azsbackup CRITICAL] Backup failed because file share is full"
    assert message["To"] == "ops@contoso.com"
    body = message.get_payload(decode=True).decode()
    assert "Add capacity to the share." in body and r"\\fs01\backups" in body


def test_webhook_receives_the_alert_json(webhook_server: WebhookSink) -> None:
    post_webhook(webhook_server.url, "closed", ALERT, "ctl-1")
    assert webhook_server.received.wait(10)
    body = webhook_server.bodies[0]
    assert body["event"] == "alert.closed" and body["alert"]["code"] == "share-full"
    assert body["controller"] == "ctl-1" and body["schema"] == "azsbackup/1"


def test_unreachable_notifiers_raise_a_notification_error_without_secrets() -> None:
    settings = SmtpSettings("127.0.0.1", free_port(), recipients=("a@b.c",), username="u", password="S3cret-smtp")
    with pytest.raises(NotificationError) as caught:
        send_email(settings, "raised", ALERT, "ctl")
    assert "S3cret-smtp" not in str(caught.value) and "S3cret-smtp" not in repr(settings)
    with pytest.raises(NotificationError):
        post_webhook(f"http://127.0.0.1:{free_port()}/x", "raised", ALERT, "ctl")
