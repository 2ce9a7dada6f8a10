"""Share throughput: azsbackup's SMB location vs Samba's smbclient on the same loopback share.

    python bench/smb_copy.py --size-mib 1024 [--runs 3]

Starts a private smbd on loopback (encryption required on the share), then
for each run copies the same random file with ``SmbLocation.open_write`` (the
export path, read-back check included) and ``smbclient put``, and reads it
back with ``SmbLocation.open_read`` and ``smbclient get``. Prints MB/s and
ratios. The throwaway share password is passed to smbclient on its command
line: acceptable only for this local, single-user measurement.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from azsbackup.storage.paths import Credentials, parse_location
from azsbackup.storage.smb import SmbLocation
from tests.fixtures.samba import start_samba, stop_samba

CHUNK = 8 << 20


def timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mib << 20
    with tempfile.TemporaryDirectory(prefix="azsbackup-smb-bench-") as tmp:
        work = Path(tmp)
        source = work / "payload.bin"
        with source.open("wb") as fh:
            for _ in range(size // CHUNK):
                fh.write(os.urandom(CHUNK))
        server = start_samba(work / "samba", tiny=False)
        try:
            results = run(server, source, size, args.runs, work)
        finally:
            stop_samba(server)
    mb = size / 1e6
    for name, times in results.items():
        print(
            f"{name:<28} {mb / statistics.median(times):8.1f} MB/s  (median of {len(times)}; "
            f"min {mb / max(times):.1f}, max {mb / min(times):.1f})"
        )
    ratio_put = statistics.median(results["smbclient put"]) / statistics.median(results["azsbackup export (write)"])
    ratio_get = statistics.median(results["smbclient get"]) / statistics.median(results["azsbackup read-back"])
    print(f"export / smbclient put = {ratio_put:.2f}x; read-back / smbclient get = {ratio_get:.2f}x")


def run(server: object, source: Path, size: int, runs: int, work: Path) -> dict[str, list[float]]:
    srv = server  # SambaServer
    location = SmbLocation(parse_location(srv.path("encshare", "")), Credentials(srv.user, srv.password))  # type: ignore[attr-defined]
    results: dict[str, list[float]] = {
        k: [] for k in ("azsbackup export (write)", "azsbackup read-back", "smbclient put", "smbclient get")
    }
    auth = f"{srv.user}%{srv.password}"  # type: ignore[attr-defined]
    base = ["smbclient", "//127.0.0.1/encshare", "-p", str(srv.port), "-U", auth, "--client-protection=encrypt"]  # type: ignore[attr-defined]

    def export() -> None:
        with source.open("rb") as src, location.open_write("bench/payload.bin") as dst:
            while chunk := src.read(CHUNK):
                dst.write(chunk)
            dst.commit()

    def read_back() -> None:
        with location.open_read("bench/payload.bin") as fh:
            while fh.read(CHUNK):
                pass

    for _ in range(runs):
        results["azsbackup export (write)"].append(timed(export))
        results["azsbackup read-back"].append(timed(read_back))
        put = [*base, "-c", f"put {source} smbclient.bin"]
        results["smbclient put"].append(timed(lambda argv=put: subprocess.run(argv, check=True, capture_output=True)))
        get = [*base, "-c", f"get smbclient.bin {work / 'got.bin'}"]
        results["smbclient get"].append(timed(lambda argv=get: subprocess.run(argv, check=True, capture_output=True)))
    location.close()
    return results


if __name__ == "__main__":
    main()
