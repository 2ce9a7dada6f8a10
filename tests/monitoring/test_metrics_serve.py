"""``metrics`` and ``metrics serve``: promtool accepts the output, every sample names its controller, a real
Prometheus scrapes two exporters and sees each controller's series, and a scrape never waits for (or
takes) the controller lock."""

from __future__ import annotations

import datetime as dt
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from azsbackup.service.capacity import record_space, space_outlook
from azsbackup.service.controller import Controller
from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.fixtures.listeners import free_port
from tests.fixtures.prometheus import Server, binary, prometheus_query, wait_until


def controller(tmp_path: Path, cert_pair: CertPair, name: str) -> Engine:
    engine = Engine(tmp_path / name)
    share = tmp_path / f"{name}-share"
    share.mkdir()
    engine.run("config", "set", "--encryption-cert", str(cert_pair.cer), "--controller-name", name)
    engine.run("config", "set", "--path", str(share))
    return engine


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return str(response.read().decode("utf-8"))


class Exporter:
    def __init__(self, engine: Engine, port: int) -> None:
        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "azsbackup", "--log-json", "metrics", "serve", "--listen", f"127.0.0.1:{port}"],
            env=engine.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_until(lambda: self.process.poll() is None and scrape(port), 20, f"the exporter on {port}")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(10)


@pytest.fixture
def exporters() -> Iterator[Callable[[Engine], Exporter]]:
    started: list[Exporter] = []

    def start(engine: Engine) -> Exporter:
        started.append(Exporter(engine, free_port()))
        return started[-1]

    try:
        yield start
    finally:
        for exporter in started:
            if exporter.process.poll() is None:
                exporter.process.kill()
                exporter.process.wait(5)


def test_metrics_pass_promtool_and_name_their_controller(cert_pair: CertPair, tmp_path: Path) -> None:
    engine = controller(tmp_path, cert_pair, "azs-ctl01")
    (tmp_path / "src").mkdir()
    engine.run("component", "add", "src", "--type", "directory", "--path", str(tmp_path / "src"))
    engine.run("component", "add", "bad", "--type", "command", "--dump-command", "false")
    engine.run("backup", "start", expect=3)
    text = engine.run("metrics", json_mode=False).stdout

    check = subprocess.run([binary("promtool"), "check", "metrics"], input=text, capture_output=True, text=True)
    assert check.returncode == 0 and not check.stdout.strip(), check.stdout + check.stderr
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert all(s.labels["controller"] == "azs-ctl01" for f in families.values() for s in f.samples)
    value = {name: f.samples[0].value for name, f in families.items() if len(f.samples) == 1}
    assert value["azsbackup_last_backup_export_status"] == 0  # exported to the local path
    assert value["azsbackup_backup_frequency_seconds"] == 12 * 3600
    usage = shutil.disk_usage(tmp_path)  # what the local location reported at the export, give or take others' writes
    assert value["azsbackup_location_free_bytes"] == pytest.approx(usage.free, rel=0.05)
    assert value["azsbackup_location_size_bytes"] == usage.total


def test_prometheus_scrapes_two_exporters_and_sees_each_controller(
    cert_pair: CertPair,
    tmp_path: Path,
    exporters: Callable[[Engine], Exporter],
    prometheus_factory: Callable[..., Server],
) -> None:
    engines = [controller(tmp_path, cert_pair, name) for name in ("azs-ctl01", "azs-ctl02")]
    engines[0].run("backup", "start")
    engines[0].run("backup", "start")
    engines[1].run("component", "add", "bad", "--type", "command", "--dump-command", "false")
    engines[1].run("backup", "start", expect=2)
    running = [exporters(e) for e in engines]
    prometheus = prometheus_factory([f"127.0.0.1:{e.port}" for e in running])

    def series() -> dict[str, float]:
        found = prometheus_query(prometheus, "azsbackup_backups")
        return {r["metric"]["controller"]: float(r["value"][1]) for r in found}

    assert wait_until(lambda: len(series()) == 2 and series(), 30, "both controllers' series") == {
        "azs-ctl01": 2.0,
        "azs-ctl02": 1.0,
    }
    status = {
        r["metric"]["controller"]: float(r["value"][1])
        for r in prometheus_query(prometheus, "azsbackup_last_backup_status")
    }
    assert status == {"azs-ctl01": 0.0, "azs-ctl02": 2.0}
    critical = prometheus_query(prometheus, 'azsbackup_active_alerts{severity="Critical"} > 0')
    assert [r["metric"]["controller"] for r in critical] == ["azs-ctl02"]
    assert {r["metric"]["instance"] for r in prometheus_query(prometheus, "up == 1")} == {
        f"127.0.0.1:{e.port}" for e in running
    }

    engines[1].run("component", "remove", "bad")
    engines[1].run("backup", "start")  # the next scrape reads the new state
    wait_until(lambda: series().get("azs-ctl02") == 2.0, 30, "the new backup in Prometheus")
    for exporter in running:
        assert exporter.stop() == 0


def test_a_scrape_does_not_wait_for_the_controller_lock(
    cert_pair: CertPair, tmp_path: Path, exporters: Callable[[Engine], Exporter]
) -> None:
    engine = controller(tmp_path, cert_pair, "azs-ctl03")
    engine.run("backup", "start")
    exporter = exporters(engine)
    held = Controller(engine.home)
    try:
        with held.exclusive("backup"):
            assert engine.run("backup", "start", expect=13).json["code"] == "locked"
            started = time.monotonic()
            text = scrape(exporter.port)
            assert time.monotonic() - started < 2
            assert 'azsbackup_backups{controller="azs-ctl03"} 1.0' in text
    finally:
        held.close()


def test_metrics_serve_refuses_bad_input(engine: Engine, tmp_path: Path) -> None:
    engine.run("config", "get")
    for listen in ("9782", "127.0.0.1:", "127.0.0.1:70000", "[::1]"):
        doc = engine.error("metrics", "serve", "--listen", listen, code="invalid-value", exit_code=10)
        assert "listen" in doc["message"]
    missing = Engine(tmp_path / "nowhere")
    missing.error("metrics", "serve", "--listen", f"127.0.0.1:{free_port()}", code="not-found", exit_code=14)
    assert not (tmp_path / "nowhere").exists()


def test_days_left_follow_the_current_growth(tmp_path: Path) -> None:
    controller = Controller(tmp_path / "c")
    try:
        start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        assert space_outlook(controller.db) is None
        record_space(controller.db, 1000, 4000, start)
        assert space_outlook(controller.db).days_left is None  # type: ignore[union-attr]  # one sample
        for day in range(1, 5):  # 100 bytes a day
            record_space(controller.db, 1000 - 100 * day, 4000, start + dt.timedelta(days=day))
        outlook = space_outlook(controller.db)
        assert outlook is not None and outlook.free == 600 and outlook.total == 4000
        assert outlook.used_per_day == pytest.approx(100) and outlook.days_left == pytest.approx(6)
        record_space(controller.db, 5000, 8000, start + dt.timedelta(days=20))  # grown: older samples age out
        assert space_outlook(controller.db).days_left is None  # type: ignore[union-attr]
    finally:
        controller.close()
