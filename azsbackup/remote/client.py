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
method needs a package that is not installed, a WSMan fault, or the remote
command failed (with its FullyQualifiedErrorId). Non-terminating errors the
command wrote are kept in :attr:`RemoteClient.errors` with theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, cast

from azsbackup.errors import RemoteAuthFailed, RemoteCommandError, RemoteError, RemoteTlsError, RemoteUnreachable

log = logging.getLogger(__name__)

AUTH_METHODS = ("negotiate", "ntlm", "kerberos", "credssp")
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

    def _open(self) -> Any:
        if self._pool is not None:
            return self._pool
        from pypsrp.powershell import RunspacePool
        from pypsrp.wsman import WSMan

        s = self.settings
        if s.auth not in AUTH_METHODS:
            raise RemoteError(
                host=s.host, detail=f"unknown auth method {s.auth!r}; use one of {', '.join(AUTH_METHODS)}"
            )
        with self._translating("connect"):
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
            # One runspace: functions defined by define() live in one runspace's session state.
            pool = RunspacePool(self._wsman, min_runspaces=1, max_runspaces=1)
            pool.open()
        self._pool = pool
        for script in self._definitions:
            self._run(self._script(pool, script), "define functions")
        return pool

    def close(self) -> None:
        if self._pool is not None:
            try:
                self._pool.close()
            except Exception as exc:  # closing a dead connection must not mask the real error
                log.debug("closing the runspace pool failed: %s", type(exc).__name__)
            self._pool = None
        if self._wsman is not None:
            self._wsman.close()
            self._wsman = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- calls ----------------------------------------------------------------------------------

    def invoke(self, command: str, parameters: Mapping[str, Any] | None = None) -> list[Any]:
        """Run one command remotely; return its output as Python values."""
        from pypsrp.powershell import PowerShell

        shell = PowerShell(self._open())
        shell.add_cmdlet(command)
        with self._translating(command):
            for name, value in (parameters or {}).items():
                if value is not None:  # a bool goes as -Name:$true / -Name:$false: right for [switch] and [bool]
                    shell.add_parameter(name, self._wire_value(shell.runspace_pool, value))
        return [to_python(item) for item in self._run(shell, command)]

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

    def _run(self, shell: Any, action: str) -> list[Any]:
        with self._translating(action):
            output = shell.invoke()
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
        return list(output)

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

    def _translating(self, action: str) -> _Translator:
        return _Translator(self.settings, action)


class _Translator:
    """Maps pypsrp / requests exceptions to azsbackup's remote errors (no password in any message)."""

    def __init__(self, settings: RemoteSettings, action: str) -> None:
        self._settings = settings
        self._action = action

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None or isinstance(exc, RemoteError):
            return
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
