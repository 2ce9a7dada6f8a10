"""Notifications reach a real SMTP server and a real HTTP listener; failures are reported, not raised further."""

from __future__ import annotations

import pytest

from azsbackup.monitoring.notify import NotificationError, SmtpSettings, post_webhook, send_email
from tests.fixtures.listeners import (
    SMTP_PASSWORD,
    SMTP_USER,
    LoopbackCA,
    SecureSmtpSink,
    SmtpSink,
    WebhookSink,
    free_port,
)

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


def test_email_over_starttls_with_a_login(
    secure_smtp_server: SecureSmtpSink, loopback_ca: LoopbackCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(loopback_ca.ca_file))  # OpenSSL's default trust: no product switch
    settings = SmtpSettings(
        "127.0.0.1", secure_smtp_server.port, "a@contoso.com", ("ops@contoso.com",), True, SMTP_USER, SMTP_PASSWORD
    )
    send_email(settings, "raised", ALERT, "ctl")
    assert secure_smtp_server.received.wait(10)
    assert secure_smtp_server.logins == [(SMTP_USER, True)]
    assert secure_smtp_server.messages[0]["Subject"] == "[azsbackup CRITICAL] Backup failed because file share is full"


@pytest.mark.parametrize("fault", ["wrong password", "no STARTTLS", "untrusted certificate"])
def test_smtp_faults_raise_a_notification_error_without_the_password(
    secure_smtp_server: SecureSmtpSink, loopback_ca: LoopbackCA, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    if fault != "untrusted certificate":
        monkeypatch.setenv("SSL_CERT_FILE", str(loopback_ca.ca_file))
    password = "Wrong-S3cret" if fault == "wrong password" else SMTP_PASSWORD
    settings = SmtpSettings(
        "127.0.0.1", secure_smtp_server.port, "a@b.c", ("ops@b.c",), fault != "no STARTTLS", SMTP_USER, password
    )
    with pytest.raises(NotificationError) as caught:
        send_email(settings, "raised", ALERT, "ctl")
    assert password not in str(caught.value)
    assert secure_smtp_server.messages == []
    assert secure_smtp_server.logins == ([(SMTP_USER, False)] if fault == "wrong password" else [])


def test_https_webhook_with_a_trusted_and_an_untrusted_certificate(
    https_webhook_server: WebhookSink, loopback_ca: LoopbackCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(NotificationError):  # the CA is not trusted yet: certificate verification fails
        post_webhook(https_webhook_server.url, "raised", ALERT, "ctl")
    monkeypatch.setenv("SSL_CERT_FILE", str(loopback_ca.ca_file))
    post_webhook(https_webhook_server.url, "raised", ALERT, "ctl")
    assert https_webhook_server.received.wait(10)
    assert [b["alert"]["code"] for b in https_webhook_server.bodies] == ["share-full"]
