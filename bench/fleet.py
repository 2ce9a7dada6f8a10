"""Fan-out figures: ``backup list`` and ``backup start`` across N loopback controllers at several throttles.

    python bench/fleet.py --controllers 50 [--throttles 1,8,32] [--latency-ms 500] [--out DIR]

Every controller has its own AZSBACKUP_HOME behind its own endpoint of the WSMan/PSRP test double
(127.0.0.10…, one port, HTTPS and NTLM, as tests/winrm_endpoint/fleet.py sets up). The console is the real
command line, ``azsbackup --json --computer-name @hosts --throttle-limit T …``, in its own process under
GNU time, so its CPU time and peak RSS are the console's alone. (Not ``wait4`` from here: a child forked
from this process, which holds every endpoint, starts with this process's peak RSS as its own.)

Two runs of every command and throttle:

* ``engine``: the real engine answers every call on this machine, so the controllers' engines share
  the console's two cores (a real fleet runs them on their own hosts).
* ``latency``: each controller answers with what its engine answered in a first, untimed call, held
  ``--latency-ms`` at the endpoint (a wait on the socket, no CPU): what a far host costs the console.

Figures: wall time, the console's CPU milliseconds per host and call, its peak RSS, and (latency) the
speed-up of each throttle over throttle 1. Results go to DIR/fleet.json and DIR/fleet.md.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures.fleet import make_controllers
from tests.fixtures.winrm import self_signed
from tests.winrm_endpoint.fleet import FleetEndpoints, Latency, addresses, serve_fleet
from tests.winrm_endpoint.server import write_user_file

USER, PASSWORD = "bench", "Bench-Passw0rd!"
COMMANDS = {"backup list": ["backup", "list"], "backup start": ["backup", "start"]}
CMDLETS = ("get-azsbackup", "start-azsbackup")
TIME_MARK = "azsbackup-console-time"


def make_certificate(directory: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "azsbackup", "cert", "new", "--name", "bench", "--out-dir", str(directory)],
        env={**os.environ, "AZSBACKUP_HOME": str(directory / "unused"), "AZSBACKUP_PFX_PASSWORD": "bench-pfx-pw"},
        check=True,
        capture_output=True,
    )
    return directory / "bench.cer"


@contextmanager
def fleet(work: Path, count: int) -> Iterator[FleetEndpoints]:
    write_user_file(work, {USER: PASSWORD})
    cert, key = self_signed(work, ("127.0.0.1", *addresses(count)))
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    homes = make_controllers(work / "controllers", make_certificate(work), [f"ctl{i + 1:03d}" for i in range(count)])
    with serve_fleet(homes, tls, {USER: PASSWORD}) as endpoints:
        endpoints.log.files = []
        (work / "ca.pem").write_bytes(cert.read_bytes())
        yield endpoints


def replaying(handler: Callable[[dict[str, Any]], list[Any]]) -> Callable[[dict[str, Any]], list[Any]]:
    """The handler's first answer, given again to every later call (the engine runs once)."""
    answers: list[list[Any]] = []

    def replay(parameters: dict[str, Any]) -> list[Any]:
        if not answers:
            answers.append(handler(parameters))
        return answers[0]

    return replay


def console(work: Path, endpoints: FleetEndpoints, throttle: int, words: list[str]) -> dict[str, Any]:
    """Run the console once; its wall time, CPU time and peak RSS, and how many hosts answered."""
    hosts = work / "hosts.txt"
    hosts.write_text("\n".join(h.address for h in endpoints.hosts) + "\n")
    argv = [
        "/usr/bin/time",
        "-f",
        f"{TIME_MARK} %M %U %S",
        sys.executable,
        "-m",
        "azsbackup",
        "--json",
        "--secrets-stdin",
        "--computer-name",
        f"@{hosts}",
        "--port",
        str(endpoints.port),
        "--ca-cert",
        str(work / "ca.pem"),
        "--username",
        USER,
        "--auth",
        "ntlm",
        "--throttle-limit",
        str(throttle),
        *words,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZSBACKUP_")}
    env["AZSBACKUP_HOME"] = str(work / "console")
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    process.stdin.write(json.dumps({"remote_password": PASSWORD}).encode())
    process.stdin.close()
    stdout, stderr = process.stdout.read(), process.stderr.read()
    process.wait()
    wall = time.perf_counter() - started
    mark = next(line for line in stderr.decode().splitlines() if line.startswith(TIME_MARK))
    max_rss_kib, user_s, system_s = (float(v) for v in mark.split()[1:])
    answers = json.loads(stdout)
    if not isinstance(answers, list):
        raise SystemExit(f"the console failed: {answers}\n{stderr.decode()[-2000:]}")
    ok = sum(1 for a in answers if a["ok"])
    if ok != len(endpoints.hosts):
        failed = [a for a in answers if not a["ok"]][:3]
        raise SystemExit(f"{len(endpoints.hosts) - ok} hosts failed: {failed}\n{stderr.decode()[-2000:]}")
    cpu = user_s + system_s
    return {
        "wall_s": round(wall, 3),
        "console_cpu_s": round(cpu, 3),
        "cpu_ms_per_host_call": round(1000 * cpu / len(endpoints.hosts), 1),
        "peak_rss_mib": round(max_rss_kib / 1024, 1),
        "hosts_ok": ok,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="azsbackup-fleet-bench-") as directory:
        return measure(Path(directory), args)


def measure(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    throttles = [int(t) for t in args.throttles.split(",")]
    results: list[dict[str, Any]] = []
    with fleet(work, args.controllers) as endpoints:
        for mode in ("engine", "latency"):
            if mode == "latency":
                for host in endpoints.hosts:
                    assert host.endpoint is not None
                    for name in CMDLETS:
                        host.endpoint.handlers[name] = replaying(host.endpoint.handlers[name])
                    endpoints.set_policy(host.address, Latency(args.latency_ms / 1000))
                for words in COMMANDS.values():  # the answers to replay: one untimed call per controller
                    console(work, endpoints, max(throttles), words)
            for command, words in COMMANDS.items():
                for throttle in throttles:
                    figures = console(work, endpoints, throttle, words)
                    results.append({"mode": mode, "command": command, "throttle": throttle, **figures})
                    print(json.dumps(results[-1]), file=sys.stderr)
    for row in results:
        base = next(
            r
            for r in results
            if (r["mode"], r["command"], r["throttle"]) == (row["mode"], row["command"], throttles[0])
        )
        row["speedup_vs_first"] = round(base["wall_s"] / row["wall_s"], 2)
    return {
        "controllers": args.controllers,
        "latency_ms": args.latency_ms,
        "throttles": throttles,
        "load_before": os.getloadavg(),
        "results": results,
    }


def markdown(doc: dict[str, Any]) -> str:
    lines = [
        f"`python bench/fleet.py --controllers {doc['controllers']} --throttles "
        f"{','.join(map(str, doc['throttles']))} --latency-ms {doc['latency_ms']}`"
        f" (load average before: {doc['load_before'][0]:.2f})",
        "",
        "| mode | command | throttle | wall s | speed-up | console CPU ms per host and call | console peak RSS MiB |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in doc["results"]:
        lines.append(
            f"| {r['mode']} | {r['command']} | {r['throttle']} | {r['wall_s']:.2f} | {r['speedup_vs_first']:.2f}× "
            f"| {r['cpu_ms_per_host_call']:.1f} | {r['peak_rss_mib']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--controllers", type=int, default=50)
    parser.add_argument("--throttles", default="1,8,32")
    parser.add_argument("--latency-ms", type=int, default=500)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args()
    if not 1 <= args.controllers <= 240:
        parser.error("--controllers: 1 to 240 (one loopback address each)")
    doc = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fleet.json").write_text(json.dumps(doc, indent=2) + "\n")
    (args.out / "fleet.md").write_text(markdown(doc))
    print(markdown(doc))


if __name__ == "__main__":
    main()
