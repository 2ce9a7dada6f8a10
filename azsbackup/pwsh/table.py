"""What each AzsBackup cmdlet does, in one table: the engine command it runs, where each parameter goes,
which objects come back, and which errors stop the pipeline.

The PowerShell module is generic plumbing (docs/powershell.md): a cmdlet sends its
name, its parameter set and its bound parameters as plain JSON values to
``python -m azsbackup.pwsh`` (:mod:`azsbackup.pwsh.bridge`), which looks the cmdlet
up here, builds the engine's command line and runs it. ``azsbackup --computer-name``
goes the other way with the same table (:mod:`azsbackup.remote.commands`): engine
command → cmdlet and parameters, objects → document. The tests hold the table to
the module's parameter blocks, to the engine's click tree and to the real engine.

A parameter reaches the engine through one :class:`Binding`:

* :class:`Argument`: a positional argument (``backup show ID``);
* :class:`Option`: ``--flag VALUE`` (repeated for arrays); ``path`` marks file-system paths the module
  resolves through the PowerShell provider (``path``: always; ``location``: unless it is a UNC path or a URL);
* :class:`ByteSize`: an Option whose ``[long]`` is a number of bytes; the engine also takes K, M, G or T,
  which the remote direction turns into bytes;
* :class:`Switch`: ``--flag`` when the ``[switch]`` is set;
* :class:`Toggle`: a ``[bool]`` as ``--on`` / ``--off``;
* :class:`Choice`: a ``ValidateSet`` value as the engine words it stands for;
* :class:`Secret`: a SecureString as a key of the engine's ``--secrets-stdin`` object;
* :class:`Credential`: a PSCredential as an option (the user name) and a secret (the password);
* :class:`PassThru`: decides whether objects are returned; reaches no engine option.

This module is on the start-up path of every cmdlet: no dataclasses, no typing at run time.
"""

from __future__ import annotations

from azsbackup.pwsh import shapes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

ALL_SETS = "__AllParameterSets"


class RequestError(ValueError):
    """The request names an unknown cmdlet or parameter, or a value of the wrong type."""


class Binding:
    __slots__ = ("parameter",)

    def __init__(self, parameter: str) -> None:
        self.parameter = parameter

    @property
    def engine_parameter(self) -> bool:
        """True when the value reaches the engine's command line or secrets."""
        return True


class Argument(Binding):
    __slots__ = ("transform",)

    def __init__(self, parameter: str, transform: Callable[[str], str] | None = None) -> None:
        super().__init__(parameter)
        self.transform = transform or (lambda value: value)


class Option(Binding):
    __slots__ = ("flag", "path")

    def __init__(self, parameter: str, flag: str, *, path: str | None = None) -> None:
        super().__init__(parameter)
        self.flag = flag
        self.path = path


class ByteSize(Option):
    """A ``[long]`` number of bytes as ``--flag N``; its ValidateRange is what the engine's byte sizes allow."""

    __slots__ = ()


class Switch(Binding):
    __slots__ = ("flag",)

    def __init__(self, parameter: str, flag: str) -> None:
        super().__init__(parameter)
        self.flag = flag


class Toggle(Binding):
    __slots__ = ("off", "on")

    def __init__(self, parameter: str, on: str, off: str) -> None:
        super().__init__(parameter)
        self.on = on
        self.off = off


class Choice(Binding):
    __slots__ = ("words",)

    def __init__(self, parameter: str, words: dict[str, tuple[str, ...]]) -> None:
        super().__init__(parameter)
        self.words = words


class Secret(Binding):
    __slots__ = ("key",)

    def __init__(self, parameter: str, key: str) -> None:
        super().__init__(parameter)
        self.key = key


class Credential(Binding):
    __slots__ = ("flag", "key")

    def __init__(self, parameter: str, flag: str, key: str) -> None:
        super().__init__(parameter)
        self.flag = flag
        self.key = key


class PassThru(Binding):
    __slots__ = ()

    @property
    def engine_parameter(self) -> bool:
        return False


class Variant:
    """One engine command of a cmdlet, chosen by the cmdlet's parameter set (``None``: every set)."""

    __slots__ = ("bindings", "collection", "parameter_set", "shape", "words")

    def __init__(
        self,
        words: tuple[str, ...],
        bindings: tuple[Binding, ...],
        shape: shapes.Shape,
        *,
        collection: str | None = None,
        parameter_set: str | None = None,
    ) -> None:
        self.words = words
        self.bindings = bindings
        self.shape = shape
        self.collection = collection
        self.parameter_set = parameter_set

    def binding(self, parameter: str) -> Binding | None:
        return next((b for b in self.bindings if b.parameter.lower() == parameter.lower()), None)


class Cmdlet:
    """A public cmdlet: its engine commands and the parameters the module keeps for itself.

    ``module_parameters`` never reach the engine: confirmation (``Force``), background jobs
    (``AsJob``) and remoting (``ComputerName``, the remoting credential, ``Session``, ``ThrottleLimit``,
    and for piped objects their host, :data:`PIPED`).
    """

    __slots__ = ("module_parameters", "name", "remote_credential", "should_process", "variants")

    def __init__(
        self,
        name: str,
        variants: tuple[Variant, ...],
        *,
        module_parameters: tuple[str, ...] = (),
        remote_credential: str = "Credential",
        should_process: bool = False,
    ) -> None:
        self.name = name
        self.variants = variants
        self.remote_credential = remote_credential
        self.should_process = should_process
        """The cmdlet changes something and asks first (SupportsShouldProcess)."""
        self.module_parameters = (*module_parameters, "ComputerName", remote_credential, "Session", "ThrottleLimit")

    def variant(self, parameter_set: str | None) -> Variant:
        """The engine command of a parameter set (without one, the default set's)."""
        if parameter_set in (None, ALL_SETS):
            return self.variants[0]
        for variant in self.variants:
            if variant.parameter_set is None or variant.parameter_set == parameter_set:
                return variant
        raise RequestError(f"{self.name} has no parameter set {parameter_set!r}")

    @property
    def engine_parameters(self) -> list[str]:
        """Every parameter the module sends to the bridge, in declaration order."""
        names: list[str] = []
        for variant in self.variants:
            names += [b.parameter for b in variant.bindings if b.parameter not in names]
        return names

    def paths(self, kind: str) -> list[str]:
        return [
            b.parameter
            for v in self.variants
            for b in v.bindings
            if isinstance(b, Option) and b.path == kind and b.parameter
        ]


PIPED = ("OriginComputerName",)
"""The module parameter of a cmdlet that takes pipeline input: the host a piped object came from (its
PSComputerName), where the call then runs unless -ComputerName or -Session says otherwise."""


def backup_id(value: str) -> str:
    """Azure Stack names backups ``location/backupId``; the engine wants the id."""
    return value.rsplit("/", 1)[-1]


def _cmdlet(
    name: str, *variants: Variant, module: tuple[str, ...] = (), credential: str = "Credential", changes: bool = False
) -> Cmdlet:
    return Cmdlet(name, variants, module_parameters=module, remote_credential=credential, should_process=changes)


_CONFIGURATION_SETTINGS = (
    Option("EncryptionCertPath", "--encryption-cert", path="path"),
    Toggle("IsBackupSchedulerEnabled", "--scheduler", "--no-scheduler"),
    Option("BackupFrequencyInHours", "--frequency-hours"),
    Option("BackupRetentionPeriodInDays", "--retention-days"),
    Toggle("AllowUnencryptedShare", "--allow-unencrypted", "--require-encryption"),
    Toggle("ReadBack", "--read-back", "--no-read-back"),
    ByteSize("VerifyMaxBytes", "--verify-max-bytes"),
)
"""What Set-AzsBackupConfiguration changes whichever location it sets (both parameter sets)."""


CMDLETS: dict[str, Cmdlet] = {
    c.name: c
    for c in (
        _cmdlet("Get-AzsBackupConfiguration", Variant(("config", "get"), (), shapes.CONFIGURATION)),
        _cmdlet(
            "Set-AzsBackupConfiguration",
            Variant(
                ("config", "set"),
                (
                    Option("Path", "--path", path="location"),
                    Option("UserName", "--username"),
                    Secret("Password", "password"),
                    *_CONFIGURATION_SETTINGS,
                ),
                shapes.CONFIGURATION,
                parameter_set="FileShare",
            ),
            Variant(  # Azure Stack's 2021-09-01 blob target: the URL is the engine's path, the key its password
                ("config", "set"),
                (
                    Option("BlobStorageUrl", "--path", path="location"),
                    Secret("BlobStorageKey", "password"),
                    Toggle("AllowInsecureHttp", "--allow-insecure-http", "--require-https"),
                    Option("BlobApiVersion", "--blob-api-version"),
                    *_CONFIGURATION_SETTINGS,
                ),
                shapes.CONFIGURATION,
                parameter_set="Blob",
            ),
            module=("AsJob",),
            changes=True,
        ),
        _cmdlet(
            "Clear-AzsBackupConfiguration",
            Variant(("config", "clear"), (), shapes.CONFIGURATION),
            module=("Force",),
            changes=True,
        ),
        _cmdlet(
            "New-AzsBackupEncryptionCertificate",
            Variant(
                ("cert", "new"),
                (
                    Option("Name", "--name"),
                    Option("OutputDirectory", "--out-dir", path="path"),
                    Secret("Password", "password"),
                    Option("ValidityDays", "--days"),
                    Option("KeySize", "--key-size"),
                ),
                shapes.CERTIFICATE,
            ),
            changes=True,
        ),
        _cmdlet(
            "Add-AzsBackupComponent",
            Variant(
                ("component", "add"),
                (
                    Argument("Name"),
                    Option("Type", "--type"),
                    Option("Path", "--path", path="path"),
                    Option("Include", "--include"),
                    Option("Exclude", "--exclude"),
                    Option("DumpCommand", "--dump-command"),
                    Option("RestoreCommand", "--restore-command"),
                    Option("TimeoutSeconds", "--timeout"),
                    Option("TargetHost", "--host"),
                    Option("RemotePath", "--remote-path"),
                    Credential("RemoteCredential", "--remote-username", "remote_password"),
                    Option("RemotePort", "--remote-port"),
                    Option("RemoteCaCertPath", "--remote-ca-cert", path="path"),
                    Option("RemoteAuthentication", "--remote-auth"),
                ),
                shapes.COMPONENT,
            ),
            changes=True,
        ),
        _cmdlet(
            "Get-AzsBackupComponent",
            Variant(("component", "list"), (), shapes.COMPONENT, collection="components"),
        ),
        _cmdlet(
            "Remove-AzsBackupComponent",
            Variant(("component", "remove"), (Argument("Name"),), shapes.COMPONENT_REMOVAL),
            module=("Force", *PIPED),
            changes=True,
        ),
        _cmdlet(
            "Start-AzsBackup",
            Variant(("backup", "start"), (), shapes.BACKUP, parameter_set="Wait"),
            Variant(
                ("backup", "start"),
                (Switch("NoWait", "--no-wait"),),
                shapes.BACKUP_STARTED,
                parameter_set="NoWait",
            ),
            module=("Force", "AsJob"),
            changes=True,
        ),
        _cmdlet(
            "Get-AzsBackup",
            Variant(
                ("backup", "list"),
                (Switch("External", "--external"),),
                shapes.BACKUP,
                collection="backups",
                parameter_set="List",
            ),
            Variant(("backup", "show"), (Argument("BackupId", backup_id),), shapes.BACKUP, parameter_set="Get"),
            module=PIPED,
        ),
        _cmdlet(
            "Test-AzsBackup",
            Variant(
                ("backup", "verify"),
                (
                    Argument("BackupId", backup_id),
                    Switch("Deep", "--deep"),
                    Option("DecryptionCertPath", "--key", path="path"),
                    Secret("DecryptionCertPassword", "key_password"),
                ),
                shapes.VERIFICATION,
            ),
            module=("AsJob", *PIPED),
        ),
        _cmdlet(
            "Restore-AzsBackup",
            Variant(
                ("restore",),
                (
                    Argument("BackupId", backup_id),
                    Option("DecryptionCertPath", "--key", path="path"),
                    Secret("DecryptionCertPassword", "key_password"),
                    Option("ComponentName", "--component"),
                    Option("Destination", "--to", path="path"),
                    Switch("Overwrite", "--force"),
                    PassThru("PassThru"),
                ),
                shapes.RESTORE_RESULT,
            ),
            module=("Force", "AsJob", *PIPED),
            changes=True,
        ),
        _cmdlet(
            "Remove-AzsBackup",
            Variant(("backup", "delete"), (Argument("BackupId", backup_id),), shapes.BACKUP_REMOVAL),
            module=("Force", *PIPED),
            changes=True,
        ),
        _cmdlet(
            "Test-AzsBackupLocation",
            Variant(
                ("location", "test"),
                (
                    Option("Path", "--path", path="location"),
                    Credential("Credential", "--username", "password"),
                ),
                shapes.LOCATION_TEST,
            ),
            credential="ComputerCredential",
        ),
        _cmdlet(
            "Get-AzsBackupExternalCopy",
            Variant(("location", "copies"), (), shapes.EXTERNAL_COPY, collection="copies"),
        ),
        _cmdlet(  # the engine takes at most one of --max-bytes, --all and --backup: one parameter set each
            "Test-AzsBackupExternalCopy",
            Variant(
                ("location", "verify"),
                (ByteSize("MaxBytes", "--max-bytes"),),
                shapes.EXTERNAL_COPY_VERIFICATION,
                parameter_set="Budget",
            ),
            Variant(
                ("location", "verify"),
                (Switch("All", "--all"),),
                shapes.EXTERNAL_COPY_VERIFICATION,
                parameter_set="All",
            ),
            Variant(
                ("location", "verify"),
                (Option("BackupId", "--backup"),),
                shapes.EXTERNAL_COPY_VERIFICATION,
                parameter_set="Backup",
            ),
            module=("AsJob", *PIPED),
        ),
        _cmdlet(
            "Invoke-AzsPruneBackupLocationExternalStore",
            Variant(
                ("prune",),
                (Choice("OperationType", {"DryRun": ("--dry-run",), "Default": ()}),),
                shapes.PRUNE_RESULT,
            ),
            module=("Force", "AsJob"),
            changes=True,
        ),
        _cmdlet(
            "Get-AzsBackupJob",
            Variant(
                ("job", "list"),
                (
                    Option("Kind", "--kind"),
                    Option("Status", "--status"),
                    Option("Since", "--since"),
                    Option("First", "--limit"),
                    Option("Skip", "--offset"),
                ),
                shapes.JOB,
                collection="jobs",
                parameter_set="List",
            ),
            Variant(("job", "show"), (Argument("JobId"),), shapes.JOB, parameter_set="Get"),
            module=PIPED,
        ),
        _cmdlet(
            "Get-AzsBackupAlert",
            Variant(("alert", "list"), (Switch("All", "--all"),), shapes.ALERT, collection="alerts"),
        ),
        _cmdlet("Get-AzsBackupFleetStatus", Variant(("fleet", "status"), (), shapes.FLEET_STATUS)),
        _cmdlet(
            "Close-AzsBackupAlert",
            Variant(("alert", "close"), (Argument("AlertId"),), shapes.ALERT),
            module=PIPED,
            changes=True,
        ),
    )
}

DEPRECATED_ALIASES = {
    "Set-AzsBackupShare": "Set-AzsBackupConfiguration",
    "Get-AzsBackupLocation": "Get-AzsBackupConfiguration",
}
"""Azure Stack's earlier cmdlet names: they still work and warn that they are deprecated, as Azure's did."""


# --- errors -------------------------------------------------------------------------------------------

EXIT_CODE_NAMES = {
    0: "ok",
    1: "warnings",
    2: "error",
    3: "partial",
    10: "config-invalid",
    11: "location-unreachable",
    12: "authentication-failed",
    13: "locked",
    14: "not-found",
    15: "integrity",
    16: "untrusted",
    17: "key-invalid",
    18: "location-error",
    130: "interrupted",
}
"""The engine's exit codes (azsbackup.errors.ExitCode, held equal by a test; not imported: start-up time)."""

CATEGORIES = {
    1: "NotSpecified",
    2: "NotSpecified",
    3: "NotSpecified",
    10: "InvalidArgument",
    11: "ConnectionError",
    12: "AuthenticationError",
    13: "ResourceBusy",
    14: "ObjectNotFound",
    15: "InvalidData",
    16: "SecurityError",
    17: "PermissionDenied",
    18: "WriteError",
    130: "OperationStopped",
}
"""The PowerShell ErrorCategory of each exit code."""

TERMINATING_CODES = frozenset(
    {
        "config-invalid",
        "invalid-value",
        "usage-error",
        "not-configured",
        "certificate-invalid",
        "locked",
        "key-invalid",
        "bad-key-password",
        "interrupted",
        "invalid-request",
    }
)
"""Errors of the request itself stop the pipeline: the next item would fail the same way. The failure
of one item (a backup not found, one untrusted signer, a share that refused a write) is written as a
non-terminating error, and the pipeline goes on with the next item or host."""


def category(exit_code: int) -> str:
    return CATEGORIES.get(exit_code, "NotSpecified")


# --- parameters → engine --------------------------------------------------------------------------------


class EngineCall:
    """The engine command line a cmdlet call becomes, and what to do with the result."""

    __slots__ = ("argv", "passthru", "secrets", "target", "variant")

    def __init__(self, argv: list[str], secrets: dict[str, str], variant: Variant, target: str, passthru: bool) -> None:
        self.argv = argv
        self.secrets = secrets
        self.variant = variant
        self.target = target
        self.passthru = passthru


def _scalar(parameter: str, value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise RequestError(f"-{parameter}: {value!r} is not a single value")
    return str(value)


def _values(parameter: str, value: Any) -> list[str]:
    return [_scalar(parameter, item) for item in value] if isinstance(value, list) else [_scalar(parameter, value)]


def _flag(parameter: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise RequestError(f"-{parameter}: {value!r} is not true or false")
    return value


def _switched_off(variant: Variant, parameters: Mapping[str, Any]) -> bool:
    """A set that only a switch selects (NoWait), given with that switch false."""
    switches = [b for b in variant.bindings if isinstance(b, Switch)]
    given = [parameters[b.parameter] for b in switches if b.parameter in parameters]
    return bool(variant.parameter_set) and len(switches) == len(variant.bindings) == len(given) and not any(given)


def engine_call(
    cmdlet_name: str, parameter_set: str | None, parameters: Mapping[str, Any], secrets: Mapping[str, str]
) -> EngineCall:
    """The engine command line for one cmdlet call: ``--json --log-json [--secrets-stdin] WORDS ARGS OPTIONS``."""
    cmdlet = CMDLETS.get(cmdlet_name)
    if cmdlet is None:
        raise RequestError(f"{cmdlet_name!r} is not an AzsBackup cmdlet")
    variant = cmdlet.variant(parameter_set)
    if _switched_off(variant, parameters):
        # `Start-AzsBackup -NoWait:$false` binds the NoWait set, and asks for the default set's command.
        parameters = {k: v for k, v in parameters.items() if variant.binding(k) is None}
        variant = cmdlet.variants[0]
    arguments: list[str] = []
    options: list[str] = []
    engine_secrets: dict[str, str] = {}
    passthru = False
    for name, value in parameters.items():
        binding = variant.binding(name)
        if binding is None:
            raise RequestError(f"{cmdlet_name} has no engine parameter -{name} in this parameter set")
        if value is None:
            continue
        if isinstance(binding, Argument):
            arguments.append(binding.transform(_scalar(name, value)))
        elif isinstance(binding, Option):
            for item in _values(name, value):
                options += [binding.flag, item]
        elif isinstance(binding, Switch):
            options += [binding.flag] if _flag(name, value) else []
        elif isinstance(binding, Toggle):
            options.append(binding.on if _flag(name, value) else binding.off)
        elif isinstance(binding, Choice):
            chosen = next((k for k in binding.words if k.lower() == _scalar(name, value).lower()), None)
            if chosen is None:
                raise RequestError(f"-{name}: {value!r} is not one of {', '.join(binding.words)}")
            options += binding.words[chosen]
        elif isinstance(binding, Credential):
            options += [binding.flag, _scalar(name, value)]
        elif isinstance(binding, PassThru):
            passthru = _flag(name, value)
    for name, secret in secrets.items():
        binding = variant.binding(name)
        if not isinstance(binding, Secret | Credential):
            raise RequestError(f"{cmdlet_name} -{name} takes no secret")
        engine_secrets[binding.key] = secret
    # Without a -PassThru parameter the cmdlet always returns its objects.
    passthru = passthru or not any(isinstance(b, PassThru) for b in variant.bindings)
    head = ["--json", "--log-json", *(["--secrets-stdin"] if engine_secrets else [])]
    argv = [*head, *variant.words, *arguments, *options]
    return EngineCall(argv, engine_secrets, variant, " ".join(arguments), passthru)
