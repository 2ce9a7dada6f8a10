"""The ``controller`` component: the controller's own configuration and catalogue.

Every backup includes it, the way Azure Stack's backup controller backs itself
up. It holds a transactionally consistent copy of ``state.db`` (configuration,
components, catalogue, jobs, alerts, trusted keys) and the configuration as
readable JSON. It never holds ``secrets.json`` or ``signing.key``: a
controller rebuilt from it needs the share password set again and gets a new
signing key, whose fingerprint operators pin where needed.

A restore never overwrites the live controller: the files land in the
restore directory (``--to DIR`` → ``DIR/controller/``, otherwise
``<home>/restored/controller-<time>/``), for the operator to inspect or to
start a controller from.
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from azsbackup.errors import InvalidValue, ProviderError, SourceMissing
from azsbackup.items import Item, ItemKind, ItemSink, ItemSource
from azsbackup.model import utc_now
from azsbackup.providers.base import FilesAsArchived, ProviderContext, RestoreDestination
from azsbackup.providers.fs import StagedTree
from azsbackup.state import config as config_state

NAME = "controller"


class ControllerProvider(FilesAsArchived):
    """Backs up the state database of the controller at ``home``."""

    type_name: ClassVar[str] = "controller"

    def __init__(self, component: str, home: Path) -> None:
        self.component = component
        self.home = home

    @classmethod
    def from_settings(cls, component: str, settings: Mapping[str, object]) -> ControllerProvider:
        home = settings.get("home")
        if not isinstance(home, str):
            raise InvalidValue(field="home", value=repr(home), allowed="the controller directory")
        return cls(component, Path(home))

    def settings(self) -> dict[str, object]:
        return {"home": str(self.home)}

    def describe(self) -> str:
        return f"controller configuration and catalogue in {self.home}"

    def backup(self, sink: ItemSink, ctx: ProviderContext) -> None:
        database = self.home / "state.db"
        if not database.exists():
            raise SourceMissing(component=self.component, path=str(database))
        mtime_ns = time.time_ns()
        with tempfile.TemporaryDirectory(prefix="azsbackup-controller-") as tmp:
            snapshot = Path(tmp) / "state.db"
            public_config = self._snapshot(database, snapshot)
            with open(snapshot, "rb") as fh:
                size = snapshot.stat().st_size
                ctx.expect_bytes(size + len(public_config))
                sink.add(Item("state.db", ItemKind.FILE, 0o600, mtime_ns, size), fh)
                ctx.on_progress(size)
        sink.add(
            Item("configuration.json", ItemKind.FILE, 0o600, mtime_ns, len(public_config)),
            io.BytesIO(public_config),
        )

    @staticmethod
    def _snapshot(database: Path, snapshot: Path) -> bytes:
        """Copy the live database with SQLite's online backup API; return the configuration as JSON."""
        source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            target = sqlite3.connect(snapshot)
            with contextlib.closing(target):
                source.backup(target)
            source.row_factory = sqlite3.Row
            config = config_state.load(source)
        finally:
            source.close()
        public = json.loads(config.to_json())
        for cert in [public.get("encryption_cert"), *public.get("recipient_certs", [])]:
            if cert:
                cert.pop("pem", None)
        return json.dumps(public, indent=2, sort_keys=True).encode("utf-8")

    def restore(self, source: ItemSource, dest: RestoreDestination, ctx: ProviderContext) -> Path:
        if dest.directory is not None:
            target = dest.directory
        else:
            target = self.home / "restored" / f"controller-{utc_now():%Y%m%dT%H%M%SZ}"
        try:
            with StagedTree(target, force=dest.force) as tree:
                for item, content in source:
                    tree.add(item, content)
                    ctx.on_progress(item.size)
        except OSError as exc:
            raise ProviderError(component=self.component, detail=f"cannot write {target}: {exc.strerror}") from exc
        return target
