"""WinRM figures against the loopback PSRP test double: per-call latency of a remote Get-AzsBackup, and the
`winrm` provider's read path in MB/s (4 MiB chunks over HTTPS with NTLM).

    python bench/winrm_remote.py [--size-mib 128]
"""

from __future__ import annotations

import argparse
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from azsbackup.remote.client import RemoteClient, RemoteSettings
from tests.fixtures.winrm import self_signed
from tests.winrm_endpoint.azsbackup_cmdlets import register_azsbackup_cmdlets
from tests.winrm_endpoint.files import register_file_commands
from tests.winrm_endpoint.server import WinRMEndpoint, write_user_file

USER, PASSWORD = "bench", "Bench-Passw0rd!"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=128)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="azsbackup-winrm-bench-"))
    write_user_file(work, {USER: PASSWORD})
    cert, key = self_signed(work)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    endpoint = WinRMEndpoint({USER: PASSWORD}, tls=context)
    home = work / "home"
    register_azsbackup_cmdlets(endpoint, home)
    register_file_commands(endpoint)
    endpoint.start()
    settings = RemoteSettings("127.0.0.1", USER, PASSWORD, port=endpoint.port, auth="ntlm", cert_validation=str(cert))
    try:
        with RemoteClient(settings) as client:
            client.invoke("Get-AzsBackup", {})
            remote = []
            for _ in range(10):
                start = time.perf_counter()
                client.invoke("Get-AzsBackup", {})
                remote.append(time.perf_counter() - start)
            local = []
            for _ in range(10):
                start = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "azsbackup", "--json", "backup", "list"],
                    capture_output=True,
                    env={"AZSBACKUP_HOME": str(home), "PATH": os.environ.get("PATH", "")},
                    check=True,
                )
                local.append(time.perf_counter() - start)
            print(
                f"remote Get-AzsBackup: median {statistics.median(remote) * 1000:.0f} ms per call "
                f"(the engine process it runs: {statistics.median(local) * 1000:.0f} ms)"
            )
            big = work / "remote" / "file.bin"
            big.parent.mkdir()
            big.write_bytes(os.urandom(args.size_mib << 20))
            start, offset = time.perf_counter(), 0
            while offset < big.stat().st_size:
                chunk = client.invoke(
                    "Read-AzsBackupRemoteFile", {"Path": str(big), "Offset": offset, "Length": 4 << 20}
                )
                offset += len(chunk[0])
            elapsed = time.perf_counter() - start
            print(f"winrm read path: {args.size_mib} MiB in {elapsed:.1f} s = {offset / 1e6 / elapsed:.1f} MB/s")
    finally:
        endpoint.close()


if __name__ == "__main__":
    main()
