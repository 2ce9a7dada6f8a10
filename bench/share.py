"""The share group of ``bench/run.py``: export to and read back from a loopback Samba share.

Starts a private smbd on 127.0.0.1 with encryption required, then moves the same bytes (the files of
the backup the azsbackup group just made: its archives and manifest) four ways, each in its own process
under GNU time:

* ``azsbackup export``: the export code path itself (:func:`azsbackup.service.export.copy_backup`),
  which writes, has the server flush and renames into place, as export does by default;
* ``azsbackup export --read-back``: the same with the inline read-back (``config set --read-back``):
  every file is also read back and its SHA-256 compared before the rename;
* ``azsbackup read-back``: :meth:`SmbLocation.open_read` of every file, hashed;
* ``smbclient put`` / ``smbclient get``: Samba's own client (``mput`` / ``mget``);
* ``smbclient put && sync FILE...``: the same put, then an fsync of each file the server wrote, which
  is what the export's last flush makes the server do (``smbclient`` sends no flush, so its files reach
  the disk after it has ended);
* ``smbprotocol open_file copy``: the library's high-level file API with 8 MiB writes, one request in
  flight, the plain way to copy a file with smbprotocol.

The credentials reach every client through a file or the environment, never through argv.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.run import Bench, Sample

FOLDER = "bench"

EXPORT = """
import contextlib, os, sys
from pathlib import Path
from azsbackup.events import EventSink
from azsbackup.service.controller import Controller
from azsbackup.service.export import copy_backup
from azsbackup.storage import open_location
from azsbackup.storage.paths import Credentials, parse_location

home, backup_id, unc, user, read_back = sys.argv[1:6]
credentials = Credentials(user, os.environ["BENCH_SHARE_PASSWORD"])
with contextlib.closing(open_location(parse_location(unc), credentials)) as share:
    copy_backup(Controller(Path(home)), backup_id, share, EventSink(), read_back=read_back == "read-back")
"""

READ_BACK = """
import contextlib, hashlib, os, sys
from azsbackup.storage import open_location
from azsbackup.storage.paths import Credentials, parse_location

unc, user, backup_id = sys.argv[1:4]
credentials = Credentials(user, os.environ["BENCH_SHARE_PASSWORD"])
with contextlib.closing(open_location(parse_location(unc), credentials)) as share:
    for entry in share.list(backup_id):
        digest = hashlib.sha256()
        with share.open_read(backup_id + "/" + entry.name) as stream:
            while chunk := stream.read(8 << 20):
                digest.update(chunk)
"""

PLAIN_COPY = """
import os, sys
from pathlib import Path
import smbclient

server, port, share, user, source, folder = sys.argv[1:7]
smbclient.register_session(server, username=user, password=os.environ["BENCH_SHARE_PASSWORD"],
                           port=int(port), encrypt=True)
root = rf"\\\\{server}\\{share}\\{folder}"
smbclient.makedirs(root, exist_ok=True, port=int(port))
for path in sorted(Path(source).iterdir()):
    with path.open("rb") as src, smbclient.open_file(rf"{root}\\{path.name}", mode="wb", port=int(port)) as dst:
        while chunk := src.read(8 << 20):
            dst.write(chunk)
"""


def bench_share(b: Bench, home: Path, backup_id: str, env: dict[str, str]) -> None:
    from bench.run import du, run_measured
    from tests.fixtures.samba import start_samba, stop_samba

    server = start_samba(b.fresh("share-samba"), tiny=False)
    try:
        source = home / "store" / backup_id
        payload = du(source)
        share_root = server.share_dir("encshare")
        secret_env = {**env, "BENCH_SHARE_PASSWORD": server.password}
        auth = b.fresh("share-auth") / "smbclient.auth"
        auth.write_text(f"username = {server.user}\npassword = {server.password}\n")
        auth.chmod(0o600)
        smbclient = ["smbclient", "//127.0.0.1/encshare", "-p", str(server.port), "-A", str(auth)]
        smbclient.append("--client-protection=encrypt")
        unc = server.path("encshare", FOLDER)
        (share_root / FOLDER).mkdir()

        def clear(name: str) -> Callable[[int], None]:
            return lambda _: shutil.rmtree(share_root / name, ignore_errors=True)

        def export(_: int) -> Sample:
            argv = [sys.executable, "-c", EXPORT, str(home), backup_id, unc, server.user, "no-read-back"]
            return run_measured(argv, env=secret_env)

        def export_read_back(_: int) -> Sample:
            argv = [sys.executable, "-c", EXPORT, str(home), backup_id, unc, server.user, "read-back"]
            return run_measured(argv, env=secret_env)

        def read_back(_: int) -> Sample:
            return run_measured([sys.executable, "-c", READ_BACK, unc, server.user, backup_id], env=secret_env)

        put_argv = [*smbclient, "-c", f"prompt OFF; lcd {source}; cd smbclient; mput *"]

        def put(_: int) -> Sample:
            (share_root / "smbclient").mkdir(exist_ok=True)
            return run_measured(put_argv)

        def durable_put(_: int) -> Sample:
            (share_root / "smbclient").mkdir(exist_ok=True)
            written = " ".join(shlex.quote(str(share_root / "smbclient" / f.name)) for f in sorted(source.iterdir()))
            return run_measured(f"{shlex.join(put_argv)} && sync {written}")

        got = b.work / "share-got"

        def get(_: int) -> Sample:
            shutil.rmtree(got, ignore_errors=True)
            got.mkdir()
            return run_measured([*smbclient, "-c", f"prompt OFF; lcd {got}; cd smbclient; mget *"])

        def plain(_: int) -> Sample:
            argv = [sys.executable, "-c", PLAIN_COPY, "127.0.0.1", str(server.port), "encshare", server.user]
            return run_measured([*argv, str(source), "plain"], env=secret_env)

        b.record("azsbackup export", export, prepare=clear(f"{FOLDER}/{backup_id}"), payload=payload)
        b.record(
            "azsbackup export --read-back", export_read_back, prepare=clear(f"{FOLDER}/{backup_id}"), payload=payload
        )
        b.record("azsbackup read-back", read_back, payload=payload)
        b.record("smbclient put", put, prepare=clear("smbclient"), payload=payload)
        b.record("smbclient put && sync", durable_put, prepare=clear("smbclient"), payload=payload)
        b.record("smbclient get", get, payload=payload)
        b.record("smbprotocol open_file copy", plain, prepare=clear("plain"), payload=payload)
        shutil.rmtree(got, ignore_errors=True)
    finally:
        stop_samba(server)
