"""The blob group of ``bench/run.py``: export to and read back from Azurite on loopback.

Starts Azurite 3.35.0 (installed by ``scripts/install-test-deps.sh``) on 127.0.0.1, keeping its data in
memory (``--inMemoryPersistence``: the machine's disk is shared and its speed varies from minute to minute,
and what is compared is the clients), fresh for every run, then moves the same bytes (the files of the
backup the azsbackup group just made) four ways, each in its own process under GNU time:

* ``azsbackup blob export``: the export code path itself (:func:`azsbackup.service.export.copy_backup`)
  into a :class:`~azsbackup.storage.blob.BlobLocation`: blocks staged in parallel, each with its
  Content-MD5, one Put Block List, the committed block list compared, SHA-256 against the manifest;
* ``azsbackup blob read-back``: :meth:`BlobLocation.open_read` of every file, hashed with SHA-256 as
  verify and restore do (8 MiB ranges fetched ahead in parallel);
* ``BlobClient upload_blob`` / ``BlobClient download_blob``: azure-storage-blob's plain calls with the
  library's defaults (one request at a time, 4 MiB blocks above 64 MiB), the REST API version pinned
  because Azurite 3.35.0 refuses the library's newest.

The account key reaches every client through the environment, never through argv.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.run import Bench, Sample

CONTAINER = "bench"

EXPORT = """
import contextlib, os, sys
from pathlib import Path
from azsbackup.events import EventSink
from azsbackup.service.controller import Controller
from azsbackup.service.export import copy_backup
from azsbackup.storage import open_location
from azsbackup.storage.paths import Credentials, parse_location

home, backup_id, url = sys.argv[1:4]
credentials = Credentials("", os.environ["BENCH_BLOB_KEY"])
with contextlib.closing(open_location(parse_location(url), credentials, allow_insecure_http=True)) as blob:
    copy_backup(Controller(Path(home)), backup_id, blob, EventSink())
"""

READ_BACK = """
import contextlib, hashlib, os, sys
from azsbackup.storage import open_location
from azsbackup.storage.paths import Credentials, parse_location

url, backup_id = sys.argv[1:3]
credentials = Credentials("", os.environ["BENCH_BLOB_KEY"])
with contextlib.closing(open_location(parse_location(url), credentials, allow_insecure_http=True)) as blob:
    for entry in blob.list(backup_id):
        digest = hashlib.sha256()
        with blob.open_read(backup_id + "/" + entry.name) as stream:
            while chunk := stream.read(8 << 20):
                digest.update(chunk)
"""

PLAIN_UPLOAD = """
import os, sys
from pathlib import Path
from azure.storage.blob import ContainerClient

account_url, container, source, api_version = sys.argv[1:5]
key = {"account_name": "devstoreaccount1", "account_key": os.environ["BENCH_BLOB_KEY"]}
with ContainerClient(account_url, container, credential=key, api_version=api_version) as client:
    for path in sorted(Path(source).iterdir()):
        with path.open("rb") as data:
            client.get_blob_client("plain/" + path.name).upload_blob(data, overwrite=True)
"""

PLAIN_DOWNLOAD = """
import os, sys
from azure.storage.blob import ContainerClient

account_url, container, api_version = sys.argv[1:4]
key = {"account_name": "devstoreaccount1", "account_key": os.environ["BENCH_BLOB_KEY"]}
client = ContainerClient(account_url, container, credential=key, api_version=api_version)
with client, open(os.devnull, "wb") as sink:
    for blob in client.list_blobs(name_starts_with="plain/"):
        client.get_blob_client(blob.name).download_blob().readinto(sink)
"""


def bench_blob(b: Bench, home: Path, backup_id: str, env: dict[str, str]) -> None:
    from azsbackup.storage.blob import DEFAULT_API_VERSION
    from bench.run import du, run_measured
    from tests.fixtures.azurite import KEY, start_azurite

    server = start_azurite(b.fresh("blob-azurite"), in_memory=True)
    try:
        source = home / "store" / backup_id
        payload = du(source)
        secret_env = {**env, "BENCH_BLOB_KEY": KEY}
        url = server.url(CONTAINER)

        def fresh_container(_: int) -> None:
            """An empty emulator for every run: it would otherwise keep every run's bytes in memory."""
            server.restart()
            with server.service() as service:
                service.create_container(CONTAINER)

        def keep(_: int) -> None:
            """Read what the run before wrote."""

        def export(_: int) -> Sample:
            return run_measured([sys.executable, "-c", EXPORT, str(home), backup_id, url], env=secret_env)

        def read_back(_: int) -> Sample:
            return run_measured([sys.executable, "-c", READ_BACK, url, backup_id], env=secret_env)

        def upload(_: int) -> Sample:
            argv = [sys.executable, "-c", PLAIN_UPLOAD, server.account_url, CONTAINER, str(source)]
            return run_measured([*argv, DEFAULT_API_VERSION], env=secret_env)

        def download(_: int) -> Sample:
            argv = [sys.executable, "-c", PLAIN_DOWNLOAD, server.account_url, CONTAINER, DEFAULT_API_VERSION]
            return run_measured(argv, env=secret_env)

        steps: list[tuple[str, Callable[[int], Sample], Callable[[int], None]]] = [
            ("azsbackup blob export", export, fresh_container),
            ("azsbackup blob read-back", read_back, keep),
            ("BlobClient upload_blob", upload, fresh_container),
            ("BlobClient download_blob", download, keep),
        ]
        for name, measure, prepare in steps:
            b.record(name, measure, prepare=prepare, payload=payload)
    finally:
        server.stop()
