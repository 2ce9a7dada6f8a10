"""The alertmanager notifier against Debian's Alertmanager: raised alerts arrive with their labels and
remediation, a good backup resolves them, every member of a cluster gets them, and a dead one never
fails a backup."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from azsbackup.events import EventSink
from azsbackup.monitoring.alerts import CATALOGUE, COMPONENT
from azsbackup.service.alerting import resend_to_alertmanager
from azsbackup.service.controller import Controller
from tests.engine import Engine
from tests.fixtures.listeners import WebhookSink, free_port
from tests.fixtures.prometheus import Server, get_json, wait_until


def failing_component(engine: Engine, name: str = "etcd") -> None:
    dump = f"{sys.executable} -c \"import sys; sys.stderr.write('etcd unavailable'); sys.exit(4)\""
    engine.run("component", "add", name, "--type", "command", "--dump-command", dump)


def active_alerts(server: Server) -> list[dict[str, Any]]:
    return [a for a in get_json(f"{server.url}/api/v2/alerts") if a["status"]["state"] == "active"]


def test_every_alert_code_names_its_component() -> None:
    assert set(COMPONENT) == set(CATALOGUE)


def test_alerts_are_raised_then_resolved_in_alertmanager(
    configured: Engine,
    tmp_path: Path,
    alertmanager_factory: Callable[..., Server],
    webhook_server: WebhookSink,
) -> None:
    first = alertmanager_factory(webhook_server.url)
    second = alertmanager_factory()
    configured.run(
        "config",
        "set",
        "--controller-name",
        "azs-ctl07",
        "--alertmanager-url",
        first.url,
        "--alertmanager-url",
        second.url + "/",
    )
    assert configured.run("config", "get").json["notifications"]["alertmanager"] == [first.url, second.url + "/"]
    failing_component(configured)
    configured.run("backup", "start", expect=2)

    for server in (first, second):  # an Alertmanager cluster: each member is told
        alert = wait_until(lambda s=server: active_alerts(s), 10, "the raised alert")[0]
        assert alert["labels"] == {
            "alertname": "backup-failed",
            "controller": "azs-ctl07",
            "severity": "critical",
            "component": "backup",
        }
        assert alert["annotations"]["summary"] == "Backup failed"
        assert "etcd unavailable" in alert["annotations"]["description"]
        assert "azsbackup component list" in alert["annotations"]["remediation"]
        assert dt.datetime.fromisoformat(alert["endsAt"]) > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
    assert wait_until(lambda: webhook_server.bodies, 10, "the firing notification")[0]["status"] == "firing"

    configured.run("component", "remove", "etcd")
    configured.run("backup", "start")
    for server in (first, second):
        wait_until(lambda s=server: not active_alerts(s), 10, "the alert to resolve")
    resolved = wait_until(
        lambda: [b for b in webhook_server.bodies if b["status"] == "resolved"], 10, "the resolved notification"
    )
    assert resolved[0]["alerts"][0]["labels"]["alertname"] == "backup-failed"
    assert resolved[0]["alerts"][0]["labels"]["controller"] == "azs-ctl07"


def test_open_alerts_are_re_sent_before_they_expire(
    configured: Engine, alertmanager_factory: Callable[..., Server]
) -> None:
    server = alertmanager_factory()
    configured.run("config", "set", "--alertmanager-url", server.url)
    failing_component(configured)
    configured.run("backup", "start", expect=2)
    before = wait_until(lambda: active_alerts(server), 10, "the raised alert")[0]["endsAt"]

    time.sleep(1.1)  # endsAt has whole seconds: the re-sent one is later
    controller = Controller(configured.home)
    try:
        assert resend_to_alertmanager(controller, EventSink()) == 1
    finally:
        controller.close()
    after = wait_until(
        lambda: [a["endsAt"] for a in active_alerts(server) if a["endsAt"] != before], 10, "a later endsAt"
    )[0]
    assert dt.datetime.fromisoformat(after) > dt.datetime.fromisoformat(before)


def test_a_dead_alertmanager_only_warns(configured: Engine) -> None:
    configured.run("config", "set", "--alertmanager-url", f"http://127.0.0.1:{free_port()}")
    failing_component(configured)
    result = configured.run("backup", "start", expect=2)
    warnings = [e for e in result.events() if e["type"] == "warning" and e["code"] == "notification-failed"]
    assert len(warnings) == 1 and "Alertmanager" in warnings[0]["message"]
    assert result.json["status"] == "Failed"


def test_alertmanager_url_and_controller_name_are_validated(configured: Engine) -> None:
    before = configured.run("config", "get").json
    bad_url = configured.error("config", "set", "--alertmanager-url", "ftp://am", code="invalid-value", exit_code=10)
    assert "alertmanager-url" in bad_url["message"]
    secret = "S3cret-In-Url"
    with_password = configured.error(
        "config", "set", "--alertmanager-url", f"http://ops:{secret}@am:9093", code="invalid-value", exit_code=10
    )
    assert secret not in json.dumps(with_password)
    bad_name = configured.error("config", "set", "--controller-name", "has space", code="invalid-value", exit_code=10)
    assert "controller-name" in bad_name["message"]
    assert configured.run("config", "get").json == before
