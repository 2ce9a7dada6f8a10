"""Running AzsBackup cmdlets on a remote Windows host over WinRM (PSRP), from Python on any OS.

:class:`RemoteClient` wraps pypsrp: one WSMan connection and one runspace pool
of one runspace, opened on first use and reused for every call. Each call runs
exactly one command with its parameters passed as PSRP parameters (never
interpolated into script text), and returns plain Python values: PowerShell
objects become dicts (with their type names under ``ps_type``), hashtables
dicts, arrays lists.

:meth:`RemoteClient.define` brings functions along instead of needing them
installed on the host: it runs a script of function definitions once, as a
script pipeline in the runspace's global scope (PSRP ``UseLocalScope`` false,
which is PowerShell's dot-sourcing), so the functions stay defined for every
later call on that connection. The pool holds one runspace so that every call
lands in the runspace that holds them; a reconnection defines them again. This
needs the endpoint's full language mode (the default ``Microsoft.PowerShell``
configuration); a JEA endpoint refuses scripts.

HTTPS on 5986 with certificate validation is the default. Plain HTTP and
skipping validation are explicit opt-outs, each logged as a warning.

Failures are typed (:mod:`azsbackup.errors`): the host cannot be reached,
its TLS certificate does not validate, the credentials are refused, the auth
method needs a package that is not installed, a WSMan fault, the remote
command failed (with its FullyQualifiedErrorId), or the call outlived its
deadline. Non-terminating errors the command wrote are kept in
:attr:`RemoteClient.errors` with theirs.

A call can carry a deadline (a :func:`time.monotonic` value) and a cancel
event. The pipeline is started, then polled: between polls the client checks
both, and every HTTP request is given no more time than the deadline leaves.
Past the deadline, or once cancelled, the remote pipeline is stopped (PSRP's
Ctrl+C signal) and the call raises :class:`RemoteTimeout` or
:class:`Interrupted`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, cast

from azsbackup.errors import (
    Interrupted,
    RemoteAuthFailed,
    RemoteCommandError,
    RemoteError,
    RemoteTimeout,
    RemoteTlsError,
    RemoteUnreachable,
)

log = logging.getLogger(__name__)

AUTH_METHODS = ("negotiate", "ntlm", "kerberos", "credssp")
POLL_S = 5
"""Longest WSMan receive wait while polling a running pipeline: how late a cancel or deadline is noticed."""
CLEANUP_S = 5.0
"""HTTP time allowed for stopping a pipeline and closing the pool once a call gave up."""
MISSING_AUTH_PACKAGE = {
    "kerberos": "pyspnego's Kerberos support (pip install 'pyspnego[kerberos]')",
    "credssp": "requests-credssp (pip install requests-credssp)",
}


class SecureText(str):
    """A parameter value sent as a SecureString (encrypted with the session key), as a [securestring]
    parameter needs: PowerShell does not convert a plain string to one."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "SecureText(***)"


@dataclass(frozen=True)
class RemoteCredential:
    """A parameter value sent as a PSCredential (its password as a SecureString)."""

    username: str
    password: str = field(repr=False)


@dataclass
class RemoteSettings:
    host: str
    username: str
    password: str = field(repr=False)
    port: int | None = None
    ssl: bool = True
    cert_validation: bool | str = True
    """True, False, or the path of a CA bundle / the host's certificate to trust."""
    auth: str = "negotiate"
    operation_timeout: int = 20
    connection_timeout: int = 30

    @property
    def effective_port(self) -> int:
        return self.port or (5986 if self.ssl else 5985)


def to_python(value: Any) -> Any:
    """pypsrp's deserialised objects as plain Python values."""
    from pypsrp.complex_objects import GenericComplexObject

    if isinstance(value, GenericComplexObject):
        result: dict[str, Any] = {"ps_type": list(value.types)}
        for key, item in {**value.adapted_properties, **value.extended_properties}.items():
            result[key] = to_python(item)
        if value.property_sets:
            result["items"] = [to_python(v) for v in value.property_sets]
        return result
    if isinstance(value, dict):
        return {str(k): to_python(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_python(v) for v in value]
    return value


def psrp_value(value: Any) -> Any:
    """A parameter value as the host can read it.

    pypsrp serialises every Python int as ``<I32>``; PowerShell cannot read a larger
    number in that element, so one beyond Int32 travels as ``<I64>`` (an offset past
    2 GiB, a time in .NET ticks). PowerShell converts either to the parameter's type.
    """
    from pypsrp.serializer import TaggedValue

    if isinstance(value, int) and not isinstance(value, bool) and not -(2**31) <= value < 2**31:
        if not -(2**63) <= value < 2**63:
            raise ValueError("an integer parameter beyond Int64")
        return TaggedValue("I64", value)
    return value


class RemoteClient:
    """A reusable connection to one host's PowerShell remoting endpoint."""

    def __init__(self, settings: RemoteSettings, *, on_warning: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self._on_warning = on_warning or (lambda message: log.warning("%s: %s", settings.host, message))
        self._wsman: Any = None
        self._pool: Any = None
        self._definitions: list[str] = []
        self.errors: list[tuple[str, str]] = []
        """The non-terminating errors of the last call: (FullyQualifiedErrorId, message)."""
        if not settings.ssl:
            log.warning("%s: WinRM over plain HTTP: only message encryption protects the traffic", settings.host)
        if settings.cert_validation is False:
            log.warning("%s: TLS certificate validation is off: the host's identity is not checked", settings.host)

    # --- connection ---------------------------------------------------------------------------

    def _open(self, deadline: float | None = None) -> Any:
        if self._pool is not None:
            return self._pool
        from pypsrp.powershell import RunspacePool
        from pypsrp.wsman import WSMan

        s = self.settings
        if s.auth not in AUTH_METHODS:
            raise RemoteError(
                host=s.host, detail=f"unknown auth method {s.auth!r}; use one of {', '.join(AUTH_METHODS)}"
            )
        with self._translating("connect", deadline):
            self._wsman = WSMan(
                s.host,
                port=s.effective_port,
                username=s.username,
                password=s.password,
                ssl=s.ssl,
                cert_validation=cast(Any, s.cert_validation),  # pypsrp also takes a CA path here
                auth=s.auth,
                encryption="auto" if not s.ssl else "never",
                operation_timeout=s.operation_timeout,
                connection_timeout=s.connection_timeout,
            )
            self._limit_requests(deadline)
            # One runspace: functions defined by define() live in one runspace's session state.
            pool = RunspacePool(self._wsman, min_runspaces=1, max_runspaces=1)
            pool.open()
        self._stop_reading_the_environment()
        self._pool = pool
        for script in self._definitions:
            self._run(self._script(pool, script), "define functions", deadline)
        return pool

    def _stop_reading_the_environment(self) -> None:
        """pypsrp took the proxy settings from the environment when it built its session (first request);
        requests would scan the whole environment again on every later request, a large part of the
        console's CPU time per host in a fan-out."""
        session = getattr(getattr(self._wsman, "transport", None), "session", None)
        if session is not None:
            session.trust_env = False

    def _limit_requests(self, deadline: float | None, ceiling: float | None = None) -> None:
        """Give the next HTTP requests no more time than ``deadline`` leaves (and at most ``ceiling``)."""
        transport = getattr(self._wsman, "transport", None)
        if transport is None:
            return
        limits = [float(v) for v in (ceiling,) if v is not None]
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RemoteTimeout(host=self.settings.host, detail="the time for this host ran out")
            limits.append(remaining)
        if limits:
            transport.read_timeout = max(0.5, min(limits))
            transport.connection_timeout = max(0.5, min([self.settings.connection_timeout, *limits]))

    def close(self) -> None:
        if self._pool is not None:
            try:
                self._limit_requests(None, CLEANUP_S)
                self._last_request_ends_connection()
                self._pool.close()
            except Exception as exc:  # closing a dead connection must not mask the real error
                log.debug("closing the runspace pool failed: %s", type(exc).__name__)
            self._pool = None
        if self._wsman is not None:
            self._wsman.close()
            self._wsman = None

    def _last_request_ends_connection(self) -> None:
        """Ask the host to close the connection after the next answer (the pool's Delete): the host's end
        then closes when we are done, whenever our side's socket object is collected."""
        session = getattr(getattr(self._wsman, "transport", None), "session", None)
        if session is not None:
            session.headers["Connection"] = "close"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- calls ----------------------------------------------------------------------------------

    def invoke(
        self,
        command: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        deadline: float | None = None,
        cancel: threading.Event | None = None,
    ) -> list[Any]:
        """Run one command remotely; return its output as Python values (within ``deadline``, until ``cancel``)."""
        from pypsrp.powershell import PowerShell

        shell = PowerShell(self._open(deadline))
        shell.add_cmdlet(command)
        with self._translating(command, deadline):
            for name, value in (parameters or {}).items():
                if value is not None:  # a bool goes as -Name:$true / -Name:$false: right for [switch] and [bool]
                    shell.add_parameter(name, self._wire_value(shell.runspace_pool, value))
        return [to_python(item) for item in self._run(shell, command, deadline, cancel)]

    def define(self, script: str) -> None:
        """Define the functions of ``script`` (definitions only) for every later call on this connection."""
        pool = self._open()
        self._definitions.append(script)
        self._run(self._script(pool, script), "define functions")

    @staticmethod
    def _script(pool: Any, script: str) -> Any:
        from pypsrp.powershell import PowerShell

        # UseLocalScope false: the script runs in the global scope, so its functions outlive the pipeline.
        return PowerShell(pool).add_script(script, use_local_scope=False)

    def _run(
        self, shell: Any, action: str, deadline: float | None = None, cancel: threading.Event | None = None
    ) -> list[Any]:
        with self._translating(action, deadline):
            self._limit_requests(deadline)
            shell.begin_invoke()
            self._wait(shell, action, deadline, cancel)
            # The pool keeps every pipeline (and its output) until it is closed: close it now, so a long
            # series of calls (a file streamed in chunks) does not grow memory.
            shell.close()
        for warning in shell.streams.warning:
            self._on_warning(str(warning))
        records = [(getattr(r, "fq_error", None) or "unknown", str(r)) for r in shell.streams.error]
        if shell.had_errors:
            error_id, message = records[0] if records else ("unknown", "the remote command failed")
            raise RemoteCommandError(host=self.settings.host, error_id=error_id, detail=message)
        self.errors = records
        return list(shell.output)

    def _wait(self, shell: Any, command: str, deadline: float | None, cancel: threading.Event | None) -> None:
        """Poll the running pipeline until it ends, the deadline passes or ``cancel`` is set."""
        from pypsrp.complex_objects import PSInvocationState

        while shell.state == PSInvocationState.RUNNING:
            remaining = None if deadline is None else deadline - time.monotonic()
            if (cancel is not None and cancel.is_set()) or (remaining is not None and remaining <= 0):
                self._stop(shell)
                if cancel is not None and cancel.is_set():
                    raise Interrupted()
                raise RemoteTimeout(host=self.settings.host, detail=f"{command} ran out of time and was stopped")
            wait = POLL_S if remaining is None else max(1, min(POLL_S, int(remaining)))
            self._limit_requests(deadline)
            shell.poll_invoke(timeout=wait)

    def _stop(self, shell: Any) -> None:
        """Send the pipeline PSRP's stop signal (best effort: the host may be the reason we stop)."""
        try:
            self._limit_requests(None, CLEANUP_S)
            shell.stop()
        except Exception as exc:
            log.debug("%s: stopping the pipeline failed: %s", self.settings.host, type(exc).__name__)

    @staticmethod
    def _wire_value(pool: Any, value: Any) -> Any:
        """Secrets as SecureStrings, which need the session key exchanged first (once per pool)."""
        if not isinstance(value, SecureText | RemoteCredential):
            return psrp_value(value)
        from pypsrp.complex_objects import PSCredential
        from pypsrp.serializer import TaggedValue

        pool.exchange_keys()
        if isinstance(value, RemoteCredential):
            return PSCredential(username=value.username, password=value.password)  # type: ignore[no-untyped-call]
        return TaggedValue("SS", str(value))

    def _translating(self, action: str, deadline: float | None = None) -> _Translator:
        return _Translator(self.settings, action, deadline)


def _let_go_of_responses(exc: BaseException) -> None:
    """Drop the HTTP responses a failed request's exceptions hold (in frames and attributes): each holds its
    connection, which would stay open for as long as the error is kept (a fleet keeps every host's)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if current.__traceback__ is not None:
            traceback.clear_frames(current.__traceback__)
        for name in ("response", "request"):
            if getattr(current, name, None) is not None:
                with contextlib.suppress(AttributeError):
                    setattr(current, name, None)
        current = current.__cause__ or current.__context__


class _Translator:
    """Maps pypsrp / requests exceptions to azsbackup's remote errors (no password in any message)."""

    def __init__(self, settings: RemoteSettings, action: str, deadline: float | None) -> None:
        self._settings = settings
        self._action = action
        self._deadline = deadline

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None or isinstance(exc, RemoteError):
            return
        _let_go_of_responses(exc)
        if isinstance(exc, ImportError) and self._settings.auth in MISSING_AUTH_PACKAGE:
            raise RemoteError(
                host=self._settings.host,
                detail=f"auth {self._settings.auth} needs {MISSING_AUTH_PACKAGE[self._settings.auth]}, "
                "which is not installed; use negotiate or ntlm, or install it",
            ) from exc
        from pypsrp.exceptions import AuthenticationError, WinRMError, WinRMTransportError, WSManFaultError
        from requests.exceptions import ConnectionError as RequestsConnectionError
        from requests.exceptions import SSLError, Timeout

        s = self._settings
        where = f"{s.host}:{s.effective_port}"
        if isinstance(exc, Timeout) and self._deadline is not None and time.monotonic() >= self._deadline - 0.5:
            raise RemoteTimeout(host=where, detail=f"{self._action}: no answer in the time left for this host") from exc
        if isinstance(exc, SSLError):
            raise RemoteTlsError(host=where, detail="the TLS certificate did not validate") from exc
        if isinstance(exc, AuthenticationError) or (
            isinstance(exc, WinRMTransportError) and getattr(exc, "code", None) == 401
        ):
            raise RemoteAuthFailed(host=where, detail=f"the credentials of {s.username} were refused") from exc
        if isinstance(exc, RequestsConnectionError | Timeout):
            raise RemoteUnreachable(host=where, detail=f"cannot connect ({type(exc).__name__})") from exc
        if isinstance(exc, WSManFaultError):
            raise RemoteError(host=where, detail=f"WSMan fault {exc.code}: {exc.reason}") from exc
        if isinstance(exc, WinRMError):
            raise RemoteError(host=where, detail=f"{self._action}: {type(exc).__name__}") from exc
        if isinstance(exc, TypeError | ValueError):  # UnicodeDecodeError among them
            # pypsrp cannot read some answers a host gives: an empty byte array (<BA />), a string with an
            # unpaired surrogate (a valid NTFS name). Typed, so one bad answer is one clear error.
            raise RemoteError(
                host=where, detail=f"{self._action}: the host's answer could not be read ({type(exc).__name__})"
            ) from exc
