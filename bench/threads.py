"""CPU seconds per thread of one azsbackup command, run in this process.

    AZSBACKUP_HOME=... python bench/threads.py backup start

Runs the command line in-process while a sampler reads each thread's utime + stime from
``/proc/self/task`` every 20 ms, then prints the wall time, the process's CPU time and the CPU
time of each thread name (the seal workers summed): what feeds the archive (MainThread), what
compresses and seals (azsbackup-seal) and what writes and reads back (azsbackup-write). Linux only.
"""

from __future__ import annotations

import collections
import contextlib
import os
import sys
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def _thread_cpu(tid: str) -> float | None:
    try:
        with open(f"/proc/self/task/{tid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:  # the thread ended between the listing and the read
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def main() -> int:
    most: dict[int, float] = {}
    names: dict[int, str] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            names.update({t.native_id: t.name for t in threading.enumerate() if t.native_id is not None})
            for tid in os.listdir("/proc/self/task"):
                cpu = _thread_cpu(tid)
                if cpu is not None:
                    most[int(tid)] = max(most.get(int(tid), 0.0), cpu)

    sampler = threading.Thread(target=sample, name="sampler", daemon=True)
    sampler.start()
    from azsbackup.cli import main as azsbackup_main

    started, cpu_started = time.perf_counter(), time.process_time()
    with contextlib.suppress(SystemExit):  # the command line ends with its exit code
        azsbackup_main(sys.argv[1:])
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    done.set()
    sampler.join()
    by_name: dict[str, float] = collections.defaultdict(float)
    for tid, seconds in most.items():
        by_name[names.get(tid, str(tid)).rsplit("_", 1)[0]] += seconds
    print(f"wall {wall:.2f} s, process CPU {cpu:.2f} s", file=sys.stderr)
    for name, seconds in sorted(by_name.items(), key=lambda pair: -pair[1]):
        print(f"  {name}: {seconds:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
