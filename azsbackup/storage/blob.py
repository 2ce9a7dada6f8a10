"""A blob container (and a prefix inside it) as a location, on azure-storage-blob.

Works with Azure Blob storage, Azure Stack Hub storage accounts (a custom
endpoint suffix) and the Azurite emulator (path-style URLs); see
:mod:`azsbackup.storage.paths` for the URL forms.

Names and folders
    The location's path ``a/b/c`` is the blob ``<prefix>/a/b/c``. Folders are
    the ``/``-separated levels of blob names, listed with a delimiter. So that
    a folder exists before anything is written into it (``makedirs``, as export
    does for ``MASBackup/<id>``) and an empty one lists, it gets a zero-length
    marker blob named ``<folder>/``, which listings do not show. A name is
    either a file or a folder, as on a share: ``makedirs`` and ``open_write``
    refuse to go below a file.

Atomic publish
    :class:`BlobWriter` stages the data as blocks (Put Block) and publishes the
    blob with one Put Block List, so a reader sees either no blob or all of it,
    never a part; a file that fits one block is one Put Blob, equally atomic.
    Blocks of a writer that crashed or aborted are never committed: the blob
    is not listed, and the service discards the uncommitted blocks (after a
    week at the latest). Nothing is written under a temporary name.

Proof of what landed
    Every block (and a single Put Blob) carries its MD5 as ``Content-MD5``;
    the service computes the MD5 of what it received and refuses the block
    when they differ, so each stored block is the block sent. The block IDs
    name each block's index and MD5; after the commit the committed block list
    (IDs and sizes, no data) is read back and compared with the list sent.
    That is the blob counterpart of the share's inline read-back; see
    ``docs/design.md``. The blob's ``sha256`` metadata is the SHA-256 the
    caller named (the signed manifest's), or that of the bytes sent when it
    named none. With ``read_back`` the bytes sent are hashed and compared with
    the named SHA-256 *before* the commit, and the published blob is read back
    and compared after it (and deleted if it differs). CRC64 (REST 2019-02-02) would be cheaper than MD5, but
    Azurite answers it with FeatureNotSupported, so MD5 it is.

Transfer
    Blocks of :data:`BLOCK_SIZE` go out on up to :data:`PARALLEL_BLOCKS`
    threads; a writer holds at most one more block than are in flight, so its
    memory is bounded by ``(PARALLEL_BLOCKS + 1) * BLOCK_SIZE`` whatever the
    file's size. Reads fetch :data:`READ_CHUNK` ranges ahead on the same
    threads. They ask for no per-range MD5: whoever reads (verify, restore,
    recovery) hashes every byte against the signed manifest and AES-GCM
    authenticates every segment, so a range MD5 would check the same bytes
    again, at a cost to both sides' CPU.

REST API version
    Pinned (:data:`DEFAULT_API_VERSION`, configurable): the library asks for
    its newest version by default, which Azurite 3.35.0 refuses and Azure Stack
    Hub, serving versions years older than Azure, would refuse too.

Errors
    Service answers and transport failures become the classes of
    :mod:`azsbackup.errors`, built from known facts (action, path, HTTP status,
    the service's error code), never from a library's message, so neither the
    key nor a SAS signature can leak into one. Busy (503) and internal-error
    (500) answers and dropped connections are retried :data:`RETRY_TOTAL`
    times with exponential backoff, then reported.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import contextlib
import datetime as dt
import hashlib
import io
import ssl
import threading
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import BinaryIO, Literal, Self, TypeVar

from azure.core import MatchConditions
from azure.core.credentials import AzureNamedKeyCredential, AzureSasCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.storage.blob import BlobClient, BlobPrefix, BlobProperties, ContainerClient, ExponentialRetry

from azsbackup.errors import (
    AzsBackupError,
    BlobApiVersionUnsupported,
    BlobAuthFailed,
    BlobConnectionLost,
    BlobContainerMissing,
    BlobPermissionDenied,
    BlobSasExpired,
    BlobThrottled,
    BlobTlsError,
    BlobUnreachable,
    ChecksumMismatch,
    InvalidPath,
    InvalidValue,
    LocationError,
    NotFound,
)
from azsbackup.storage.base import Entry, SpaceInfo, WriteResult
from azsbackup.storage.paths import Credentials, LocationSpec
from azsbackup.storage.readahead import ReadAhead

DEFAULT_API_VERSION = "2019-02-02"
"""The oldest REST version azure-storage-blob 12 speaks; served by Azure, Azure Stack Hub and Azurite 3.35.0."""
BLOCK_SIZE = 8 << 20
"""Bytes per Put Block; a file up to this size is one Put Blob."""
PARALLEL_BLOCKS = 4
"""Blocks (or read ranges) in flight per file."""
READ_CHUNK = 8 << 20
"""Bytes per ranged read."""
RETRY_TOTAL = 4
"""Retries of a request the service answered busy (503) or failed (500), or whose connection dropped."""
RETRY_CONNECT = 2
"""Retries of a connection that could not be made (refused, name not resolved): rarely a passing state."""
INITIAL_BACKOFF_S = 0.5
BACKOFF_BASE = 2
"""Waits before the retries: 0.5 s, then 0.5 + 2**n s (2.5, 4.5, 8.5), about 16 s in all, plus jitter."""
CONNECT_TIMEOUT_S = 15
READ_TIMEOUT_S = 60
"""How long one request may go without an answer (per socket read) before it counts as lost."""
COPY_TIMEOUT_S = 60.0
"""How long a server-side copy (``rename``) may stay pending."""
REQUIRED_SAS_PERMISSIONS = {"r": "read", "w": "write", "d": "delete", "l": "list"}
"""What export, retention, prune and verify do with a SAS: read, write, delete and list blobs."""
SHA256_METADATA = "sha256"

Missing = Literal["not-found", "invalid-path"]


def supported_api_versions() -> list[str]:
    """The REST API versions azure-storage-blob can speak, oldest first."""
    from azure.storage.blob._serialize import _SUPPORTED_API_VERSIONS

    return list(_SUPPORTED_API_VERSIONS)


def check_api_version(value: str) -> str:
    """A REST API version the storage library can speak (``2019-02-02`` and later)."""
    known = supported_api_versions()
    if value not in known:
        raise InvalidValue(
            field="blob-api-version", value=repr(value), allowed=f"a REST API version from {known[0]} to {known[-1]}"
        )
    return value


# --- the secret: an account key or a SAS token ------------------------------------------------


@dataclass(frozen=True)
class BlobSecret:
    """An account key or a SAS token, and what the token says about itself."""

    kind: Literal["key", "sas"]
    value: str = field(repr=False)
    permissions: str = ""
    start: dt.datetime | None = None
    expiry: dt.datetime | None = None
    resource: str = ""

    def validity_problem(self, now: dt.datetime) -> str | None:
        """Why the token is not valid at ``now`` (None: it is, or it is a key)."""
        if self.expiry is not None and now >= self.expiry:
            return f"the SAS token expired at {self.expiry.isoformat()}"
        if self.start is not None and now < self.start:
            return f"the SAS token is valid only from {self.start.isoformat()}"
        return None

    def missing_permissions(self) -> list[str]:
        """The permissions export needs that the SAS does not grant (none for a key)."""
        if self.kind == "key":
            return []
        granted = self.permissions
        return [f"{letter} ({name})" for letter, name in REQUIRED_SAS_PERMISSIONS.items() if letter not in granted]

    def describe(self, account: str) -> str:
        if self.kind == "key":
            return f"account key of {account!r} accepted"
        scope = {"c": "service SAS for the container", "b": "service SAS for one blob"}.get(
            self.resource, "account SAS"
        )
        until = f", valid until {self.expiry.isoformat()}" if self.expiry else ""
        return f"SAS token accepted ({scope}{until})"


ALLOWED_SECRETS = "a storage account key (base64) or a SAS token (sv=…&se=…&sp=…&sig=…)"


def parse_secret(text: str) -> BlobSecret:
    """Tell an account key from a SAS token; the refusal never shows the value."""
    value = text.strip()
    if "sig=" in value:
        return _parse_sas(value.removeprefix("?"))
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) < 16:
        raise InvalidValue(field="password", value="(not shown)", allowed=ALLOWED_SECRETS)
    return BlobSecret("key", value)


def _parse_sas(token: str) -> BlobSecret:
    fields = urllib.parse.parse_qs(token, keep_blank_values=True)
    if not fields.get("sig") or not fields.get("sv"):
        raise InvalidValue(field="password", value="(not shown)", allowed=ALLOWED_SECRETS)

    def one(name: str) -> str:
        return fields.get(name, [""])[0]

    return BlobSecret(
        "sas",
        token,
        permissions=one("sp"),
        start=_sas_time(one("st")),
        expiry=_sas_time(one("se")),
        resource=one("sr"),
    )


def _sas_time(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(field="password", value="(not shown)", allowed=ALLOWED_SECRETS) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# --- errors -----------------------------------------------------------------------------------

_THROTTLED = {500, 503}
_MD5_CODES = {"Md5Mismatch", "InvalidMd5"}


def _error_code(exc: HttpResponseError) -> str:
    """The service's error code (``AuthenticationFailed``), from the storage library's exception or the header."""
    code = getattr(exc, "error_code", None)
    text = getattr(code, "value", code)
    if text:
        return str(text)
    headers = getattr(exc.response, "headers", None) or {}
    return str(headers.get("x-ms-error-code", ""))


def _in_chain(exc: BaseException, kinds: type[BaseException] | tuple[type[BaseException], ...]) -> bool:
    seen: BaseException | None = exc
    for _ in range(12):
        if seen is None:
            return False
        if isinstance(seen, kinds):
            return True
        inner = getattr(seen, "inner_exception", None)
        seen = inner if isinstance(inner, BaseException) else (seen.__cause__ or seen.__context__)
    return False


class _Translator:
    """Turns the library's exceptions into :mod:`azsbackup.errors` for one location."""

    def __init__(self, spec: LocationSpec, secret: BlobSecret, api_version: str) -> None:
        self.spec = spec
        self.secret = secret
        self.api_version = api_version
        self.reached = False
        """Whether the endpoint has answered yet: a transport failure after that is a lost connection."""

    def __call__(self, exc: BaseException, action: str, path: str, missing: Missing) -> AzsBackupError:
        where = self.spec.display
        subject = f"{action} {path}".rstrip() if path else action
        port = self.spec.port
        if isinstance(exc, HttpResponseError) and exc.status_code is not None:
            self.reached = True
            return self._answer(exc, subject, path, missing)
        if _in_chain(exc, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
            return BlobTlsError(location=where, detail=f"{subject}: the TLS handshake failed", port=port)
        if isinstance(exc, ServiceRequestError | ServiceResponseError | ConnectionError | TimeoutError):
            if self.reached:
                return BlobConnectionLost(
                    location=where, detail=f"{subject}: the connection to the endpoint was lost", port=port
                )
            return BlobUnreachable(location=where, detail=f"{subject}: {_unreachable_reason(exc)}", port=port)
        return LocationError(location=where, detail=f"{subject}: {type(exc).__name__}")

    def _answer(self, exc: HttpResponseError, subject: str, path: str, missing: Missing) -> AzsBackupError:
        where = self.spec.display
        status = int(exc.status_code or 0)
        code = _error_code(exc)
        said = f"{code or 'HTTP'} ({status})"
        if status == 403 and code == "AuthorizationPermissionMismatch":
            return BlobPermissionDenied(location=where, detail=f"{subject}: the SAS token does not allow it ({said})")
        if status == 403 or isinstance(exc, ClientAuthenticationError):
            problem = self.secret.validity_problem(dt.datetime.now(dt.UTC))
            if problem is not None:
                return BlobSasExpired(location=where, detail=f"{subject}: {problem} ({said})")
            what = "account key" if self.secret.kind == "key" else "SAS token"
            return BlobAuthFailed(location=where, detail=f"{subject}: the service refused the {what} ({said})")
        if status == 404 and code == "ContainerNotFound":
            return BlobContainerMissing(
                location=where, detail=f"{subject}: there is no container {self.spec.share!r} ({said})"
            )
        if status == 404:
            if missing == "not-found":
                return NotFound(kind="file", name=f"{path} on {where}", how=f"azsbackup location test ({where})")
            return InvalidPath(location=where, detail=f"{subject}: no such blob ({said})")
        if status == 400 and code == "InvalidHeaderValue" and "version" in (exc.message or "").lower():
            return BlobApiVersionUnsupported(
                location=where, detail=f"{subject}: the endpoint does not serve REST API version {self.api_version}"
            )
        if status == 400 and (code in _MD5_CODES or "md5" in (exc.message or "").lower()):
            return ChecksumMismatch(
                subject=f"{where}: {path}", detail=f"the service received different bytes than were sent ({said})"
            )
        if status in _THROTTLED:
            return BlobThrottled(
                location=where, detail=f"{subject}: the service kept answering {said} after {RETRY_TOTAL} retries"
            )
        return LocationError(location=where, detail=f"{subject}: {said}")


def _unreachable_reason(exc: BaseException) -> str:
    if _in_chain(exc, ConnectionRefusedError) or "refused" in str(exc).lower():
        return "connection refused (nothing listens on the port)"
    text = str(exc).lower()
    if "name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return "the endpoint's name does not resolve"
    if _in_chain(exc, TimeoutError) or "timed out" in text:
        return "no answer in time"
    return "cannot connect"


# --- the location -----------------------------------------------------------------------------

T = TypeVar("T")


class BlobLocation:
    """A container, or a prefix in it: ``https://acct.blob.core.windows.net/container/prefix``.

    Opening lists one blob under the prefix, which proves that the endpoint
    answers, the credential is accepted and the container exists (or raises
    the matching error). An expired SAS token is refused before any request.
    Plain ``http://`` needs ``allow_insecure_http``.
    """

    def __init__(
        self,
        spec: LocationSpec,
        credentials: Credentials,
        *,
        allow_insecure_http: bool = False,
        api_version: str | None = None,
        block_size: int = BLOCK_SIZE,
        parallel: int = PARALLEL_BLOCKS,
        retry_total: int = RETRY_TOTAL,
        initial_backoff: float = INITIAL_BACKOFF_S,
        connection_verify: bool | str = True,
    ) -> None:
        if spec.kind != "blob":
            raise ValueError(f"{spec.display} is not a blob location")
        check_transport(spec, allow_insecure_http)
        self.spec = spec
        self.secret = parse_secret(credentials.password) if credentials.password else _missing_secret()
        self.api_version = api_version or DEFAULT_API_VERSION
        self.block_size = block_size
        self.parallel = max(1, parallel)
        self._prefix = spec.path.strip("/")
        self._translate = _Translator(spec, self.secret, self.api_version)
        self._known_folders: set[str] = set()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        problem = self.secret.validity_problem(dt.datetime.now(dt.UTC))
        if problem is not None:
            raise BlobSasExpired(location=spec.display, detail=f"open: {problem}")
        self._container = ContainerClient(
            spec.account_url,
            spec.share,
            credential=_credential(spec.account, self.secret),
            api_version=self.api_version,
            retry_policy=ExponentialRetry(
                initial_backoff=initial_backoff,  # type: ignore[arg-type]  # seconds; the library sleeps on floats
                increment_base=BACKOFF_BASE,
                retry_total=retry_total,
                retry_status=retry_total,
                retry_read=retry_total,
                retry_connect=min(RETRY_CONNECT, retry_total),
                random_jitter_range=1,
            ),
            connection_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            connection_verify=connection_verify,
            max_single_get_size=READ_CHUNK,
            max_chunk_get_size=READ_CHUNK,
        )
        with self.translating("open", ""):
            next(iter(self._container.list_blobs(name_starts_with=self._folder_prefix(""), results_per_page=1)), None)

    # --- plumbing ---------------------------------------------------------------------------

    @property
    def display(self) -> str:
        return self.spec.display

    @contextlib.contextmanager
    def translating(self, action: str, path: str, missing: Missing = "invalid-path") -> Iterator[None]:
        """Re-raise the library's exceptions as :mod:`azsbackup.errors` (``path`` relative to the location)."""
        try:
            yield
        except AzsBackupError:
            raise
        except (AzureError, OSError) as exc:
            raise self._translate(exc, action, path, missing) from exc

    def call(self, action: str, path: str, fn: Callable[[], T], missing: Missing = "invalid-path") -> T:
        with self.translating(action, path, missing):
            return fn()

    def pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.parallel * 2, thread_name_prefix="azsbackup-blob")
            return self._pool

    def blob_name(self, path: str) -> str:
        """The blob name of the location's ``path``; ``.``/``..`` levels and back slashes are refused."""
        parts = [p for p in path.split("/") if p]
        if any(p in (".", "..") or "\\" in p for p in parts):
            raise InvalidPath(location=self.display, detail=f"refused path {path!r}")
        return "/".join([*([self._prefix] if self._prefix else []), *parts])

    def _folder_prefix(self, path: str) -> str:
        name = self.blob_name(path)
        return f"{name}/" if name else ""

    def blob(self, path: str) -> BlobClient:
        return self._container.get_blob_client(self.blob_name(path))

    def _properties(self, path: str) -> BlobProperties | None:
        """The file's properties, or None when there is no such blob."""
        client = self.blob(path)
        try:
            with self.translating("stat", path, "not-found"):
                return client.get_blob_properties()
        except NotFound:
            return None

    def _folder_exists(self, path: str) -> bool:
        if not path.strip("/"):
            return True
        prefix = self._folder_prefix(path)
        with self.translating("list", path):
            return next(iter(self._container.list_blobs(name_starts_with=prefix, results_per_page=1)), None) is not None

    # --- the Location protocol ------------------------------------------------------------

    def open_write(self, path: str, *, expected_sha256: str | None = None, read_back: bool = False) -> BlobWriter:
        name = self.blob_name(path)
        if not path.strip("/"):
            raise InvalidPath(location=self.display, detail="cannot write the location's root")
        folder = path.strip("/").rpartition("/")[0]
        if folder:
            self.makedirs(folder)
        if self._folder_exists(path):
            raise LocationError(location=self.display, detail=f"write {path}: a folder has that name")
        return BlobWriter(self, path, name, expected_sha256, read_back=read_back)

    def open_read(self, path: str) -> BinaryIO:
        properties = self._properties(path)
        if properties is None:
            if path.strip("/") and self._folder_exists(path):
                raise InvalidPath(location=self.display, detail=f"read {path}: a folder, not a file")
            raise self._not_found(path)
        reader = BlobReader(self, path, int(properties.size), str(properties.etag))
        return io.BufferedReader(reader, buffer_size=READ_CHUNK)

    def stat(self, path: str) -> Entry:
        leaf = path.strip("/").rpartition("/")[2]
        if path.strip("/"):
            properties = self._properties(path)
            if properties is not None:
                return Entry(leaf, False, int(properties.size), _timestamp(properties.last_modified))
        if self._folder_exists(path):
            return Entry(leaf, True)
        raise self._not_found(path)

    def _not_found(self, path: str) -> NotFound:
        return NotFound(kind="file", name=f"{path} on {self.display}", how=f"azsbackup location test ({self.display})")

    def exists(self, path: str) -> bool:
        try:
            self.stat(path)
        except NotFound:
            return False
        return True

    def list(self, path: str = "") -> list[Entry]:
        prefix = self._folder_prefix(path)
        entries: dict[str, Entry] = {}
        with self.translating("list", path):
            for item in self._container.walk_blobs(name_starts_with=prefix or None, delimiter="/"):
                relative = str(item.name)[len(prefix) :]
                if isinstance(item, BlobPrefix):
                    name = relative.rstrip("/")
                    if name:
                        entries[name] = Entry(name, True)
                elif relative:  # not the folder's own marker
                    entries[relative] = Entry(relative, False, int(item.size or 0), _timestamp(item.last_modified))
        return sorted(entries.values(), key=lambda e: e.name)

    def makedirs(self, path: str) -> None:
        """Create the folder's marker; refuse when ``path`` or a level above it is a file."""
        folder = path.strip("/")
        if not folder or folder in self._known_folders:
            return
        levels = folder.split("/")
        for depth in range(1, len(levels) + 1):
            level = "/".join(levels[:depth])
            if level not in self._known_folders and self._properties(level) is not None:
                raise LocationError(location=self.display, detail=f"makedirs {path}: {level} is a file")
        marker = self._container.get_blob_client(self._folder_prefix(folder))
        with self.translating("makedirs", path):
            marker.upload_blob(b"", overwrite=True)
        self._known_folders.update("/".join(levels[:depth]) for depth in range(1, len(levels) + 1))

    def rename(self, src: str, dst: str) -> None:
        """Server-side copy of the file (or of every blob below the folder), then delete the source.

        Blob storage has no rename: unlike a share's, this one is not atomic,
        and is only used where that does not matter (``location test``).
        """
        if self.exists(dst):
            raise LocationError(location=self.display, detail=f"rename {src}: {dst} exists already")
        properties = self._properties(src)
        if properties is not None:
            parent = dst.strip("/").rpartition("/")[0]
            if parent:
                self.makedirs(parent)
            self._copy(src, dst)
            self.delete(src)
            return
        if not self._folder_exists(src):
            raise self._not_found(src)
        source, target = self._folder_prefix(src), self._folder_prefix(dst)
        with self.translating("list", src):
            names = [str(b.name) for b in self._container.list_blobs(name_starts_with=source)]
        relative = [name[len(self._prefix) + 1 :] if self._prefix else name for name in names]
        for name, rel in zip(names, relative, strict=True):
            target_name = target + name[len(source) :]
            self._copy_names(rel, name, target_name)
        self.delete_tree(src)
        self._known_folders.clear()

    def _copy(self, src: str, dst: str) -> None:
        self._copy_names(src, self.blob_name(src), self.blob_name(dst))

    def _copy_names(self, path: str, source_name: str, target_name: str) -> None:
        source = self._container.get_blob_client(source_name)
        target = self._container.get_blob_client(target_name)
        url = source.url if self.secret.kind == "key" else f"{source.url}?{self.secret.value}"
        with self.translating("copy", path):
            target.start_copy_from_url(url)
            deadline = threading.Event()
            waited = 0.0
            while (copy := target.get_blob_properties().copy).status == "pending" and waited < COPY_TIMEOUT_S:
                deadline.wait(0.2)
                waited += 0.2
        if copy.status not in (None, "success"):
            raise LocationError(location=self.display, detail=f"copy {path}: the copy ended {copy.status}")

    def delete(self, path: str) -> None:
        if not path.strip("/"):
            raise LocationError(location=self.display, detail="refusing to delete the location's root")
        client = self.blob(path)
        with contextlib.suppress(NotFound), self.translating("delete", path, "not-found"):
            client.delete_blob()

    def delete_tree(self, path: str) -> None:
        if not path.strip("/"):
            raise LocationError(location=self.display, detail="refusing to delete the location's root")
        prefix = self._folder_prefix(path)
        with self.translating("list", path):
            names = [str(b.name) for b in self._container.list_blobs(name_starts_with=prefix)]
        # The folder's own marker goes last, so an interrupted deletion still shows the folder to prune.
        for name in sorted(names, key=lambda n: (n == prefix, n)):
            client = self._container.get_blob_client(name)
            with contextlib.suppress(NotFound), self.translating("delete", name, "not-found"):
                client.delete_blob()
        self._known_folders = {f for f in self._known_folders if not self._folder_prefix(f).startswith(prefix)}

    def free_space(self) -> SpaceInfo | None:
        """Blob storage reports no capacity (accounts are bounded by quotas, not by a volume)."""
        return None

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        with contextlib.suppress(Exception):
            self._container.close()

    # --- for location test ----------------------------------------------------------------

    def session_checks(self) -> builtins.list[tuple[str, bool, str]]:
        """What opening proved, as ``location test`` checks: (name, ok, detail)."""
        spec = self.spec
        transport = (
            "over HTTPS (TLS)"
            if spec.scheme == "https"
            else "over plain HTTP: NOT encrypted (allowed by --allow-insecure-http; backups stay encrypted)"
        )
        checks = [
            ("reachable", True, f"{spec.account_url} answered {transport}, REST API version {self.api_version}"),
            ("authenticated", True, self.secret.describe(spec.account)),
        ]
        checks.append(("container", True, f"container {spec.share!r} exists"))
        if self.secret.kind == "sas":
            missing = self.secret.missing_permissions()
            detail = (
                f"missing {', '.join(missing)}"
                if missing
                else f"grants {', '.join(f'{k} ({v})' for k, v in REQUIRED_SAS_PERMISSIONS.items())}"
            )
            checks.append(("SAS permissions", not missing, detail))
        return checks

    def sas_permission_error(self) -> BlobPermissionDenied | None:
        missing = self.secret.missing_permissions()
        if not missing:
            return None
        return BlobPermissionDenied(location=self.display, detail=f"the SAS token does not grant {', '.join(missing)}")


def _missing_secret() -> BlobSecret:
    raise InvalidValue(field="password", value="(not set)", allowed=ALLOWED_SECRETS)


def _credential(account: str, secret: BlobSecret) -> AzureNamedKeyCredential | AzureSasCredential:
    if secret.kind == "key":
        return AzureNamedKeyCredential(account, secret.value)
    return AzureSasCredential(secret.value)


def _timestamp(moment: dt.datetime | None) -> float:
    return moment.timestamp() if moment is not None else 0.0


def check_transport(spec: LocationSpec, allow_insecure_http: bool) -> None:
    """Refuse plain ``http://`` unless it was allowed."""
    if spec.kind == "blob" and spec.scheme == "http" and not allow_insecure_http:
        raise InvalidValue(
            field="path",
            value=repr(spec.display),
            allowed="an https:// URL (plain http:// only with --allow-insecure-http, for test setups)",
        )


# --- writing ---------------------------------------------------------------------------------


def _md5(data: bytes | memoryview) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()


class BlobWriter:
    """Stages blocks in parallel (each with its Content-MD5) and commits them with one Put Block List."""

    def __init__(
        self, location: BlobLocation, path: str, name: str, expected_sha256: str | None, *, read_back: bool = False
    ) -> None:
        self._location = location
        self._path = path
        self._client = location._container.get_blob_client(name)
        self._expected = expected_sha256
        self._read_back = read_back
        # The SHA-256 of the data sent is needed to name it (none given) or to check it against the given one
        # (read_back); otherwise the blocks' MD5s are the transfer's proof and the caller's SHA-256 its record.
        self._digest = hashlib.sha256() if expected_sha256 is None or read_back else None
        self._size = 0
        self._buffer = bytearray()
        self._blocks: list[tuple[str, int]] = []
        """(ID, size) of every block staged, in order."""
        self._staged = 0
        self._in_flight: deque[Future[tuple[str, int]]] = deque()
        self._open = True

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if not self._open:
            raise LocationError(location=self._location.display, detail="write after commit or abort")
        view = memoryview(data).cast("B")
        count = len(view)
        if self._digest is not None:
            self._digest.update(view)
        self._size += count
        size = self._location.block_size
        with self._failing():
            if self._buffer:
                taken = min(count, size - len(self._buffer))
                self._buffer += view[:taken]
                view = view[taken:]
                if len(self._buffer) == size:
                    self._stage(bytes(self._buffer))
                    self._buffer.clear()
            while len(view) >= size:
                self._stage(bytes(view[:size]))
                view = view[size:]
            self._buffer += view
        return count

    def _stage(self, block: bytes) -> None:
        """Send one block on the pool; wait for the oldest while :data:`PARALLEL_BLOCKS` are in flight."""
        while len(self._in_flight) >= self._location.parallel:
            self._blocks.append(self._in_flight.popleft().result())
        index = self._staged
        self._staged += 1
        self._in_flight.append(self._location.pool().submit(self._put_block, index, block))

    def _put_block(self, index: int, block: bytes) -> tuple[str, int]:
        """Stage one block with its MD5 (hashed here, on the pool, beside the other blocks); its ID and size."""
        md5 = _md5(block)
        block_id = base64.b64encode(f"{index:08d}-{md5.hex()}".encode()).decode("ascii")
        content_md5 = base64.b64encode(md5).decode("ascii")
        with self._location.translating("write", self._path):
            self._client.stage_block(block_id, block, length=len(block), headers={"Content-MD5": content_md5})
        return block_id, len(block)

    @contextlib.contextmanager
    def _failing(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.abort()
            raise

    def commit(self) -> WriteResult:
        """Check the SHA-256 (when hashed), then publish: one Put Blob, or the staged blocks' Put Block List;
        with ``read_back``, read the published blob back and delete it if it differs."""
        if not self._open:
            raise LocationError(location=self._location.display, detail="commit after commit or abort")
        digest = self._digest.hexdigest() if self._digest is not None else (self._expected or "")
        metadata = {SHA256_METADATA: digest}
        with self._failing():
            if not self._staged:
                self._check(digest)
                self._put_whole(bytes(self._buffer), metadata)
            else:
                if self._buffer:
                    self._stage(bytes(self._buffer))
                while self._in_flight:
                    self._blocks.append(self._in_flight.popleft().result())
                self._check(digest)
                self._commit_blocks(metadata)
            self._open = False
            self._buffer.clear()
        if self._read_back:
            self._check_published(digest)
        return WriteResult(self._path, self._size, digest)

    def _check_published(self, digest: str) -> None:
        """Read the published blob back in full; one that differs from what was sent is deleted (a blob has no
        temporary name to keep it under: the backup's manifest, written last, is not published either)."""
        back = hashlib.sha256()
        size = 0
        with self._location.open_read(self._path) as reader:
            while chunk := reader.read(READ_CHUNK):
                back.update(chunk)
                size += len(chunk)
        if (size, back.hexdigest()) != (self._size, digest):
            with contextlib.suppress(Exception):
                self._location.delete(self._path)
            raise ChecksumMismatch(
                subject=f"{self._location.display}: {self._path}",
                detail=f"read back {size} bytes with SHA-256 {back.hexdigest()}; sent {self._size} bytes, {digest}",
            )

    def _check(self, digest: str) -> None:
        if self._expected is not None and digest != self._expected:
            raise ChecksumMismatch(
                subject=f"{self._location.display}: {self._path}",
                detail=f"the data sent has SHA-256 {digest}, the manifest names {self._expected}; not published",
            )

    def _put_whole(self, data: bytes, metadata: dict[str, str]) -> None:
        with self._location.translating("write", self._path):
            self._client.upload_blob(
                data,
                overwrite=True,
                metadata=metadata,
                headers={"Content-MD5": base64.b64encode(_md5(data)).decode("ascii")},
            )

    def _commit_blocks(self, metadata: dict[str, str]) -> None:
        from azure.storage.blob import BlobBlock

        ids = [block_id for block_id, _ in self._blocks]
        with self._location.translating("commit", self._path):
            self._client.commit_block_list([BlobBlock(block_id) for block_id in ids], metadata=metadata)
            committed, _ = self._client.get_block_list("committed")
        landed = [(str(b.id), int(b.size)) for b in committed]
        if landed != self._blocks:
            raise ChecksumMismatch(
                subject=f"{self._location.display}: {self._path}",
                detail=f"the committed block list differs from the {len(self._blocks)} blocks sent",
            )

    def abort(self) -> None:
        """Stop; staged blocks are never committed (the service discards them). Idempotent, never raises."""
        self._open = False
        self._buffer.clear()
        while self._in_flight:
            future = self._in_flight.popleft()
            if not future.cancel():
                with contextlib.suppress(BaseException):
                    future.result()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._open:
            self.abort()


# --- reading ---------------------------------------------------------------------------------


class BlobReader(ReadAhead):
    """A blob read in :data:`READ_CHUNK` ranges, :data:`PARALLEL_BLOCKS` of them fetched ahead.

    Every range is pinned to the ETag seen when the file was opened: a blob
    replaced while it is read fails instead of mixing two versions.
    """

    def __init__(self, location: BlobLocation, path: str, size: int, etag: str) -> None:
        self._location = location
        self._path = path
        self._client = location.blob(path)
        self._etag = etag
        self._ahead: deque[tuple[int, Future[bytes]]] = deque()
        super().__init__(size)

    def _next(self) -> memoryview:
        self._fill()
        if not self._ahead:
            return memoryview(b"")
        _, future = self._ahead.popleft()
        data = future.result()
        self._fill()
        return memoryview(data)

    def _fill(self) -> None:
        pool = self._location.pool()
        while self._requested < self._size and len(self._ahead) < self._location.parallel:
            length = min(READ_CHUNK, self._size - self._requested)
            self._ahead.append((self._requested, pool.submit(self._range, self._requested, length)))
            self._requested += length

    def _range(self, offset: int, length: int) -> bytes:
        with self._location.translating("read", self._path, "not-found"):
            stream = self._client.download_blob(
                offset=offset,
                length=length,
                etag=self._etag,
                match_condition=MatchConditions.IfNotModified,
            )
            data = stream.readall()
        if len(data) != length:
            detail = f"read {self._path}: {len(data)} bytes at {offset}, not {length}"
            raise LocationError(location=self._location.display, detail=detail)
        return data

    def _drop_ahead(self) -> None:
        while self._ahead:
            _, future = self._ahead.popleft()
            if not future.cancel():
                with contextlib.suppress(BaseException):
                    future.result()

    def close(self) -> None:
        if not self.closed:
            self._drop_ahead()
        super().close()
