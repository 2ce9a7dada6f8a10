"""Alerts into Prometheus Alertmanager through its v2 API (``POST /api/v2/alerts``).

An azsbackup alert becomes one Alertmanager alert whose identity is its label
set: ``alertname`` (the alert code), ``controller``, ``severity`` and
``component`` (the part of the service the alert is about). Those labels do
not change while the alert is open, so a repeat, a re-send and the final
resolve all address the same Alertmanager alert. The texts travel as
annotations: ``summary`` (the title), ``description`` and ``remediation``.

Alertmanager forgets an alert when its ``endsAt`` passes, so a raised alert is
posted with ``endsAt`` one :data:`ALERT_TTL` ahead and the scheduler re-posts
every open alert each :data:`RESEND_INTERVAL` (what Prometheus does with its
own alerts); a closed alert is posted once more with ``endsAt`` set to the
moment it closed, which resolves it at once.

Every configured URL (the members of an Alertmanager cluster) gets every post,
as Prometheus does. A failure raises :class:`NotificationError`, which the
caller logs: a notification problem never fails a backup.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from azsbackup import __version__
from azsbackup.model import iso, parse_iso, utc_now
from azsbackup.monitoring.alerts import COMPONENT
from azsbackup.monitoring.notify import TIMEOUT_S, NotificationError

API_PATH = "/api/v2/alerts"
ALERT_TTL = dt.timedelta(hours=1)
RESEND_INTERVAL = dt.timedelta(minutes=5)


def alert_labels(alert: dict[str, Any], controller: str) -> dict[str, str]:
    """The label set that identifies ``alert`` in Alertmanager."""
    return {
        "alertname": alert["code"],
        "controller": controller,
        "severity": str(alert["severity"]).lower(),
        "component": COMPONENT.get(alert["code"], "engine"),
    }


def alertmanager_alert(action: str, alert: dict[str, Any], controller: str, now: dt.datetime) -> dict[str, Any]:
    """The postable alert for ``alert`` being raised (or re-sent) or, with ``action == "closed"``, resolved."""
    closed = parse_iso(alert.get("closed")) if action == "closed" else None
    ends = closed or now + ALERT_TTL
    return {
        "labels": alert_labels(alert, controller),
        "annotations": {
            "summary": alert["title"],
            "description": alert["description"],
            "remediation": alert["remediation"],
            "alert_id": str(alert["id"]),
        },
        "startsAt": alert["first_seen"],
        "endsAt": iso(ends),
    }


def post_alerts(
    urls: Sequence[str], action: str, alerts: Sequence[dict[str, Any]], controller: str, now: dt.datetime | None = None
) -> None:
    """Post ``alerts`` to every Alertmanager in ``urls``; raise if any of them did not take them."""
    moment = now or utc_now()
    body = json.dumps([alertmanager_alert(action, a, controller, moment) for a in alerts]).encode("utf-8")
    failed = []
    for url in urls:
        try:
            _post(url.rstrip("/") + API_PATH, body)
        except NotificationError as exc:
            failed.append(str(exc))
    if failed:
        raise NotificationError("; ".join(failed))


def _post(endpoint: str, body: bytes) -> None:
    if not endpoint.startswith(("http://", "https://")):
        raise NotificationError("Alertmanager URL must start with http:// or https://")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        endpoint,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": f"azsbackup/{__version__}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            response.read(4096)
    except urllib.error.HTTPError as exc:
        raise NotificationError(f"Alertmanager {endpoint} answered HTTP {exc.code}") from exc
    except (OSError, urllib.error.URLError) as exc:
        raise NotificationError(f"Alertmanager {endpoint} unreachable: {type(exc).__name__}") from exc
