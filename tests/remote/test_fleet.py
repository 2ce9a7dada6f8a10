"""Fan-out over the WSMan/PSRP test double serving 22 controllers, one endpoint each, plus a host with
another password and an address where nothing listens: every host's answer, the throttle as the
endpoints saw it, the per-host timeout and Ctrl+C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import html5lib
import pytest

from azsbackup.cli.remote_cmd import worst_exit_code
from azsbackup.errors import InvalidValue
from azsbackup.remote.fleet import Credential, Fleet, parse_hosts
from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.fixtures.fleet import FleetUnderTest
from tests.fixtures.winrm import PASSWORD, USER
from tests.winrm_endpoint.fleet import LongCommand


def connect(fleet: FleetUnderTest) -> list[str]:
    return ["--port", str(fleet.port), "--ca-cert", str(fleet.ca), "--username", USER, "--auth", "ntlm"]


SECRETS = json.dumps({"remote_password": PASSWORD})


def wait_for(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_every_host_answers_for_itself_and_faulty_hosts_fail_alone(winrm_fleet: FleetUnderTest, tmp_path: Path) -> None:
    slow = winrm_fleet.served[-1]
    healthy = winrm_fleet.served[:-1]  # 21 controllers
    winrm_fleet.endpoints.set_policy(slow, LongCommand(120))
    hosts_file = tmp_path / "hosts.txt"
    hosts_file.write_text("# the region's scale units\n" + "\n".join(healthy[2:]) + "\n\n")
    argv = [
        *connect(winrm_fleet),
        "--computer-name",
        healthy[0],
        "--computer-name",
        f"{healthy[1]},{winrm_fleet.wrong_password}",
        "--computer-name",
        f"@{hosts_file}",
        "--computer-name",
        f"{slow},{winrm_fleet.down}",
        "--throttle-limit",
        "4",
        "--operation-timeout",
        "15",
        "--secrets-stdin",
    ]
    log = winrm_fleet.endpoints.log
    started = time.monotonic()
    try:
        run = Engine(tmp_path / "console").run(*argv, "config", "get", input=SECRETS, expect=12, timeout=240)
    finally:
        winrm_fleet.endpoints.set_policy(slow, None)
    answers = run.json
    order = [healthy[0], healthy[1], winrm_fleet.wrong_password, *healthy[2:], slow, winrm_fleet.down]
    assert [a["host"] for a in answers] == order
    by_host = {a["host"]: a for a in answers}
    for host in healthy:
        assert by_host[host]["ok"] is True, by_host[host]
        result = by_host[host]["result"]
        assert result["controller_name"] == winrm_fleet.names[host]
        assert result["controller_home"] == str(winrm_fleet.homes[host])
    assert by_host[winrm_fleet.wrong_password]["error"]["code"] == "remote-authentication-failed"
    assert by_host[winrm_fleet.wrong_password]["error"]["exit_code"] == 12
    assert by_host[winrm_fleet.down]["error"]["code"] == "remote-unreachable"
    assert by_host[slow]["error"]["code"] == "remote-timeout"
    assert PASSWORD not in run.stdout + run.stderr

    peak = log.peak(since=started)
    assert 2 <= peak <= 4, f"{peak} connections were open at once at the endpoints (throttle 4)"
    wait_for(lambda: log.open_now() == 0, 10, "every connection to close")


def test_one_pool_per_host_serves_every_call(winrm_fleet: FleetUnderTest) -> None:
    log = winrm_fleet.endpoints.log
    hosts = winrm_fleet.served[:4]
    opened = {h: log.opened_at(h) for h in hosts}
    credential = Credential(USER, PASSWORD)
    with Fleet(hosts, credential, 8, port=winrm_fleet.port, cert_validation=str(winrm_fleet.ca), auth="ntlm") as fleet:
        configs = fleet.invoke("Get-AzsBackupConfiguration")
        backups = fleet.invoke("Get-AzsBackup")
    assert [r.host for r in configs] == hosts and all(r.ok for r in configs + backups)
    assert [r.result[0]["ControllerName"] for r in configs] == [winrm_fleet.names[h] for h in hosts]
    assert all(r.result == [] for r in backups)  # no backups yet; a list per host
    assert {h: log.opened_at(h) - opened[h] for h in hosts} == dict.fromkeys(hosts, 1)


def test_more_hosts_than_the_throttle_share_its_connections(winrm_fleet: FleetUnderTest) -> None:
    log = winrm_fleet.endpoints.log
    hosts = winrm_fleet.served[4:10]
    started = time.monotonic()
    credential = Credential(USER, PASSWORD)
    with Fleet(hosts, credential, 2, port=winrm_fleet.port, cert_validation=str(winrm_fleet.ca), auth="ntlm") as fleet:
        for _ in range(2):
            results = fleet.invoke("Get-AzsBackupConfiguration")
            assert [r.result[0]["ControllerName"] for r in results] == [winrm_fleet.names[h] for h in hosts]
    assert log.peak(since=started) == 2


def _ctrl_c_as_at_a_terminal() -> None:
    """Start the console with SIGINT's default action, as an operator's shell does.

    A suite started as a background job of a non-interactive shell (``cmd &``) inherits SIGINT
    ignored, and Python leaves an ignored SIGINT ignored: the console would never see this Ctrl+C.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_every_host(winrm_fleet: FleetUnderTest, tmp_path: Path) -> None:
    hosts = winrm_fleet.served[10:14]
    for host in hosts:
        winrm_fleet.endpoints.set_policy(host, LongCommand(300))
    log = winrm_fleet.endpoints.log
    engine = Engine(tmp_path / "console")
    argv = [sys.executable, "-m", "azsbackup", "--json", *connect(winrm_fleet), "--secrets-stdin"]
    argv += ["--computer-name", ",".join(hosts), "--throttle-limit", "2", "config", "get"]
    try:
        process = subprocess.Popen(
            argv,
            env=engine.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_ctrl_c_as_at_a_terminal,
        )
        assert process.stdin is not None
        process.stdin.write(SECRETS)
        process.stdin.close()
        process.stdin = None  # written and closed: communicate() below only reads
        started = [winrm_fleet.endpoints.host(h).endpoint for h in hosts[:2]]
        wait_for(lambda: all(e is not None and e.shells for e in started), 30, "two commands to run")
        time.sleep(1.5)  # the commands are running: their output polls are being held
        stopped = time.monotonic()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
        assert time.monotonic() - stopped < 15
    finally:
        for host in hosts:
            winrm_fleet.endpoints.set_policy(host, None)
    assert process.returncode == 130, stderr
    answers = json.loads(stdout)
    assert [a["host"] for a in answers] == hosts
    assert [a["error"]["code"] for a in answers] == ["interrupted"] * 4
    assert "Traceback" not in stderr
    for host in hosts:  # the running pipelines' pools were closed at the hosts (WSMan Delete)
        endpoint = winrm_fleet.endpoints.host(host).endpoint
        assert endpoint is not None and not endpoint.shells, host
    wait_for(lambda: log.open_now() == 0, 10, "every connection to close")


def test_human_output_is_one_table_with_a_host_column(winrm_fleet: FleetUnderTest, tmp_path: Path) -> None:
    hosts = winrm_fleet.served[14:17]
    run = Engine(tmp_path / "console").run(
        *connect(winrm_fleet),
        "--computer-name",
        ",".join([*hosts, winrm_fleet.down]),
        "--secrets-stdin",
        "backup",
        "list",
        input=SECRETS,
        json_mode=False,
        expect=11,
    )
    lines = run.stdout.splitlines()
    assert lines[0].split()[:3] == ["HOST", "ID", "STATUS"]
    assert f"{winrm_fleet.down}  error remote-unreachable" in run.stdout
    assert lines[-1] == "4 hosts: 3 answered, 1 failed"


def test_worst_exit_code_orders_outcomes() -> None:
    assert worst_exit_code([]) == 0
    assert worst_exit_code([0, 1, 0]) == 1
    assert worst_exit_code([1, 3, 0]) == 3
    assert worst_exit_code([3, 2]) == 2
    assert worst_exit_code([2, 11, 12, 3]) == 12
    assert worst_exit_code([12, 130, 0]) == 130


def test_host_lists_are_parsed_and_checked(tmp_path: Path) -> None:
    listing = tmp_path / "hosts"
    listing.write_text("azs-ctl03  # rack 2\n\nazs-ctl01\n")
    assert parse_hosts(["azs-ctl01", "azs-ctl02, 10.0.0.7", f"@{listing}", "[fe80::1]"]) == [
        "azs-ctl01",
        "azs-ctl02",
        "10.0.0.7",
        "azs-ctl03",
        "[fe80::1]",
    ]
    for bad in (["a b"], ["a,,b"], [f"@{tmp_path / 'missing'}"], ["host/x"], []):
        with pytest.raises(InvalidValue) as caught:
            parse_hosts(bad)
        assert caught.value.facts["field"] == "computer-name"


def test_fleet_status_and_report_put_the_worst_first(
    winrm_fleet: FleetUnderTest, cert_pair: CertPair, tmp_path: Path
) -> None:
    healthy, failed, partial = winrm_fleet.served[17:20]
    source = tmp_path / "src"
    source.mkdir()
    (source / "f").write_text("x")
    engines = {host: Engine(winrm_fleet.homes[host]) for host in (healthy, failed, partial)}
    for engine in engines.values():
        engine.run("component", "add", "src", "--type", "directory", "--path", str(source))
        engine.run("backup", "start")
    for host in (failed, partial):
        engines[host].run("component", "add", "etcd", "--type", "command", "--dump-command", "false")
    engines[failed].run("component", "remove", "src")
    engines[failed].run("backup", "start", expect=2)
    engines[partial].run("backup", "start", expect=3)

    console = Engine(tmp_path / "console")
    hosts = ",".join([healthy, failed, partial, winrm_fleet.down])
    status = console.run(
        *connect(winrm_fleet), "--secrets-stdin", "fleet", "status", "--computer-name", hosts, input=SECRETS, expect=11
    ).json
    assert [row["host"] for row in status] == [winrm_fleet.down, failed, partial, healthy]
    assert status[0]["error"]["code"] == "remote-unreachable"
    rows = {row["host"]: row["result"] for row in status[1:]}
    assert [rows[h]["health"] for h in (failed, partial, healthy)] == ["Critical", "Warning", "Healthy"]
    assert rows[failed]["controller"] == winrm_fleet.names[failed]
    assert rows[failed]["last_backup"]["status"] == "Failed" and rows[failed]["alerts"]["critical"] == 1
    assert rows[partial]["last_backup"]["status"] == "PartialSucceeded" and rows[partial]["alerts"]["warning"] == 1
    assert rows[healthy]["alerts"] == {"critical": 0, "warning": 0} and rows[healthy]["age_s"] < 600

    page = tmp_path / "fleet.html"
    report = console.run(
        *connect(winrm_fleet), "--computer-name", hosts, "--secrets-stdin", "report", "--html", str(page),
        input=SECRETS, expect=11,
    )  # fmt: skip
    assert report.json["path"] == str(page)
    html = page.read_text()
    html5lib.HTMLParser(strict=True).parse(html)
    order = [html.index(f"<td>{h}</td>") for h in (winrm_fleet.down, failed, partial, healthy)]
    assert order == sorted(order)
    assert "azsbackup component list" in html  # the failed backup's alert, with what to do
    one = console.run(
        *connect(winrm_fleet), "--computer-name", healthy, "--secrets-stdin", "fleet", "status", input=SECRETS
    )
    local = engines[healthy].run("fleet", "status").json
    assert {k: v for k, v in one.json.items() if k != "age_s"} == {k: v for k, v in local.items() if k != "age_s"}
