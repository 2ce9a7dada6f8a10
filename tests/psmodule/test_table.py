"""The one table (azsbackup/pwsh/table.py) serves both directions: cmdlet → engine for the module, engine →
cmdlet for ``azsbackup --computer-name``; and the objects it shapes turn back into the engine's documents."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from azsbackup.archive.manifest import FORMAT_VERSION
from azsbackup.errors import ExitCode
from azsbackup.pwsh import module_data, shapes, table
from azsbackup.remote.client import RemoteCredential, SecureText
from azsbackup.remote.commands import remote_call
from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.psmodule.binder import Value, bind
from tests.psmodule.engine_args import parse_engine_argv, sample
from tests.psmodule.psparse import functions
from tests.psmodule.wire import MODULE, request

FUNCTIONS = {f.name: f for path in sorted((MODULE / "Public").glob("*.ps1")) for f in functions(path)}


def as_powershell_gives_it_back(obj: Any, shape: shapes.Shape) -> Any:
    """What an object looks like after the module typed it (dates as DateTime) and remoting carried it."""
    result = dict(obj)
    for name in shape.dates:
        if isinstance(result.get(name), str):
            result[name] = dt.datetime.fromisoformat(result[name].replace("Z", "+00:00"))
    return result


def documents(engine: Engine, cert_pair: CertPair, tmp_path: Path) -> list[tuple[shapes.Shape, dict[str, Any]]]:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "f").write_text("x")
    share = tmp_path / "share"
    share.mkdir()
    run = engine.run
    found = [
        (
            shapes.CONFIGURATION,
            run("config", "set", "--encryption-cert", str(cert_pair.cer), "--path", str(share)).json,
        ),
        (shapes.COMPONENT, run("component", "add", "tree", "--type", "directory", "--path", str(tree)).json),
        (shapes.BACKUP, run("backup", "start").json),
    ]
    backup_id = found[-1][1]["id"]
    run("scheduler", "status")
    found += [
        (shapes.CONFIGURATION, run("config", "get").json),
        (shapes.BACKUP, run("backup", "show", backup_id).json),
        *[(shapes.BACKUP, b) for b in run("backup", "list").json["backups"]],
        *[(shapes.COMPONENT, c) for c in run("component", "list").json["components"]],
        (shapes.VERIFICATION, run("backup", "verify", backup_id).json),
        (shapes.LOCATION_TEST, run("location", "test").json),
        *[(shapes.EXTERNAL_COPY, c) for c in run("location", "copies").json["copies"]],
        (shapes.EXTERNAL_COPY_VERIFICATION, run("location", "verify", "--all").json),
        *[(shapes.EXTERNAL_COPY, c) for c in run("location", "copies").json["copies"]],
        (shapes.PRUNE_RESULT, run("prune", "--dry-run").json),
        (shapes.PRUNE_RESULT, run("prune").json),
        *[(shapes.JOB, j) for j in run("job", "list").json["jobs"]],
        (
            shapes.CERTIFICATE,
            run(
                "cert",
                "new",
                "--name",
                "n",
                "--out-dir",
                str(tmp_path / "c"),
                input="",
                env={"AZSBACKUP_PFX_PASSWORD": "Pfx-Passw0rd-1"},
            ).json,
        ),
        (shapes.COMPONENT_REMOVAL, run("component", "remove", "tree").json),
        (shapes.BACKUP_REMOVAL, run("backup", "delete", backup_id).json),
    ]
    job_id = found[-4][1]["id"] if found[-4][0] is shapes.JOB else run("job", "list").json["jobs"][0]["id"]
    found.append((shapes.JOB, run("job", "show", job_id).json))
    return found


def test_every_engine_document_comes_back_from_its_object(engine: Engine, cert_pair: CertPair, tmp_path: Path) -> None:
    for shape, document in documents(engine, cert_pair, tmp_path):
        obj = shape.to_object({k: v for k, v in document.items() if k != "schema"})
        assert {n.lower() for n in obj} >= {n.lower() for n in shape.property_names}, shape.type_name
        back = shape.to_document(as_powershell_gives_it_back(obj, shape), top_level="schema" in document)
        assert back == document, shape.type_name


def test_the_azure_properties_have_values(engine: Engine, cert_pair: CertPair, tmp_path: Path) -> None:
    found = documents(engine, cert_pair, tmp_path)
    configuration = shapes.CONFIGURATION.to_object(found[3][1])
    for name in (
        "Path",
        "BackupFrequencyInHours",
        "BackupRetentionPeriodInDays",
        "IsBackupSchedulerEnabled",
        "EncryptionCertThumbprint",
        "NextBackupTime",
        "LastBackupTime",
        "AvailableCapacity",
    ):
        assert configuration[name] is not None, name
    copies = [shapes.EXTERNAL_COPY.to_object(d) for shape, d in found if shape is shapes.EXTERNAL_COPY]
    assert copies[-1]["BackupId"] == found[2][1]["id"] and copies[-1]["VerificationResult"] == "Verified"
    assert copies[-1]["ExportedDateTime"] and copies[-1]["LastVerifiedDateTime"] and copies[0]["SizeInBytes"]
    assert configuration["ReadBack"] is False and configuration["VerifyMaxBytes"] == 10 * 2**30
    backup = shapes.BACKUP.to_object(found[2][1])
    assert backup["TimeTakenToCreate"].startswith("PT") and backup["BackupDataVersion"] == str(FORMAT_VERSION)
    assert backup["IsCloudRecoveryReady"] is True and backup["RoleStatus"][0]["RoleName"] == "tree"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "PT0S"), (0.224, "PT0.224S"), (61.5, "PT1M1.5S"), (3600, "PT1H"), (1232.364, "PT20M32.364S")],
)
def test_durations_are_iso_8601_both_ways(seconds: float, text: str) -> None:
    assert shapes.iso_duration(seconds) == text and shapes.duration_seconds(text) == seconds


def test_one_name_per_property() -> None:
    with pytest.raises(ValueError, match="differ only by case are one"):
        shapes.BACKUP.to_object({"id": "x", "backup_id": "y"})
    # A shape's own names are checked once, when it is defined (not again for every object of a listing).
    with pytest.raises(ValueError, match="differ only by case are one"):
        shapes.Shape("AzsBackup.Twice", (shapes.Field("BackupId", "id"), shapes.Field("backupID", "other")))


def _cases() -> list[tuple[str, str | None]]:
    return [(name, v.parameter_set) for name, c in sorted(table.CMDLETS.items()) for v in c.variants]


@pytest.mark.parametrize(("cmdlet", "parameter_set"), _cases(), ids=[f"{c}-{s}" for c, s in _cases()])
def test_the_remote_direction_inverts_the_module_direction(cmdlet: str, parameter_set: str | None) -> None:
    """Every parameter, sent to the engine by the module's path, comes back as the same cmdlet parameter
    when the engine's command line is sent to a remote host: the two directions cannot drift."""
    function = FUNCTIONS[cmdlet]
    variant = table.CMDLETS[cmdlet].variant(parameter_set)
    named = []
    for binding in variant.bindings:
        parameter = function.parameter(binding.parameter)
        assert parameter is not None
        if isinstance(binding, table.Choice):
            named.append((binding.parameter, Value.of("DryRun")))
        elif parameter.is_switch:
            named.append((binding.parameter, None))
        else:
            named.append((binding.parameter, Value.unknown("$value")))
    bound = bind(function, named)
    document = request(bound, sample)
    call = table.engine_call(cmdlet, document["parameter_set"], document["parameters"], document["secrets"])
    parsed = parse_engine_argv(call.argv)
    secrets = {
        b.key: document["secrets"][b.parameter]
        for b in variant.bindings
        if isinstance(b, table.Secret | table.Credential)
    }
    back_cmdlet, back_variant, parameters = remote_call(parsed, secrets.get)
    assert (back_cmdlet.name, back_variant) == (cmdlet, variant)
    expected: dict[str, Any] = {}
    for name, value in document["parameters"].items():
        binding = variant.binding(name)
        if isinstance(binding, table.Credential):
            expected[name] = RemoteCredential(value, document["secrets"][name])
        elif isinstance(binding, table.Argument):
            expected[name] = binding.transform(value)
        else:
            expected[name] = value
    expected |= {n: SecureText(v) for n, v in document["secrets"].items() if n not in expected}
    if table.CMDLETS[cmdlet].should_process:
        expected["Confirm"] = False
    assert parameters == expected
    for name in document["secrets"]:
        assert isinstance(parameters[name], SecureText | RemoteCredential), "a secret travels as a SecureString"


def test_a_byte_size_reaches_a_remote_cmdlet_as_bytes() -> None:
    """`azsbackup --computer-name H location verify --max-bytes 10G`: the cmdlet's [long] gets the bytes."""
    from azsbackup.errors import InvalidValue

    cmdlet, variant, parameters = remote_call(
        parse_engine_argv(["location", "verify", "--max-bytes", "10G"]), dict().get
    )
    assert (cmdlet.name, variant.parameter_set, parameters) == (
        "Test-AzsBackupExternalCopy",
        "Budget",
        {"MaxBytes": 10 * 2**30},
    )
    with pytest.raises(InvalidValue, match="max-bytes"):
        remote_call(parse_engine_argv(["location", "verify", "--max-bytes", "ten"]), dict().get)


def test_an_engine_option_no_cmdlet_takes_is_refused_on_a_remote_host() -> None:
    from azsbackup.errors import InvalidValue

    parsed = parse_engine_argv(["config", "set", "--smtp-server", "mail.example.test"])
    with pytest.raises(InvalidValue, match="smtp-server"):
        remote_call(parsed, lambda key: None)


def test_requests_the_table_cannot_serve_are_refused() -> None:
    with pytest.raises(table.RequestError, match="not an AzsBackup cmdlet"):
        table.engine_call("Format-Disk", None, {}, {})
    with pytest.raises(table.RequestError, match="Nope"):
        table.engine_call("Get-AzsBackup", "List", {"Nope": 1}, {})
    with pytest.raises(table.RequestError, match="true or false"):
        table.engine_call("Set-AzsBackupConfiguration", None, {"IsBackupSchedulerEnabled": "no"}, {})
    with pytest.raises(table.RequestError, match="takes no secret"):
        table.engine_call("Get-AzsBackupConfiguration", None, {}, {"Password": "x"})


def test_the_exit_codes_are_the_engines() -> None:
    assert {int(c): c.name.lower().replace("_", "-") for c in ExitCode} == table.EXIT_CODE_NAMES
    assert set(table.CATEGORIES) == {int(c) for c in ExitCode} - {0}


def test_the_module_data_file_is_generated_from_the_table() -> None:
    assert (MODULE / module_data.FILE_NAME).read_text(encoding="utf-8") == module_data.render()
