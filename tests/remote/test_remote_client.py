"""The pypsrp client against the WSMan/PSRP test double over HTTPS with NTLM: the AzsBackup cmdlets run
remotely give what a local run gives, and every failure is typed."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from azsbackup.errors import RemoteAuthFailed, RemoteCommandError, RemoteTlsError, RemoteUnreachable
from azsbackup.remote.client import RemoteClient, RemoteSettings, SecureText
from tests.engine import Engine
from tests.fixtures.controllers import CertPair
from tests.fixtures.winrm import PASSWORD, USER, Endpoint
from tests.winrm_endpoint.azsbackup_cmdlets import register_azsbackup_cmdlets


def settings(endpoint: Endpoint, **overrides: object) -> RemoteSettings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "username": USER,
        "password": PASSWORD,
        "port": endpoint.port,
        "auth": "ntlm",
        "cert_validation": str(endpoint.ca_path),
    }
    values.update(overrides)
    return RemoteSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def remote_engine(winrm_https: Endpoint, engine: Engine) -> Engine:
    register_azsbackup_cmdlets(winrm_https.server, engine.home)
    return engine


def test_configure_back_up_verify_and_restore_remotely(
    winrm_https: Endpoint, remote_engine: Engine, cert_pair: CertPair, tmp_path: Path
) -> None:
    source = tmp_path / "tree"
    source.mkdir()
    (source / "a.conf").write_text("remote")
    shells_before = len(winrm_https.server.shells)
    with RemoteClient(settings(winrm_https)) as client:
        config = client.invoke(
            "Set-AzsBackupConfiguration",
            {"EncryptionCertPath": str(cert_pair.cer), "BackupFrequencyInHours": 6, "Confirm": False},
        )[0]
        assert config["BackupFrequencyInHours"] == 6 and config["ps_type"][0] == "AzsBackup.Configuration"
        client.invoke("Add-AzsBackupComponent", {"Name": "tree", "Type": "directory", "Path": str(source)})
        backup = client.invoke("Start-AzsBackup", {"Force": True})[0]
        assert backup["Status"] == "Succeeded" and backup["TimeTakenToCreate"].startswith("PT")
        listed = client.invoke("Get-AzsBackup", {})
        verified = client.invoke("Test-AzsBackup", {"Id": backup["BackupId"]})[0]
        restored = client.invoke(
            "Restore-AzsBackup",
            {
                "Name": backup["BackupId"],
                "DecryptionCertPath": str(cert_pair.pfx),
                "DecryptionCertPassword": SecureText(cert_pair.password),
                "Destination": str(tmp_path / "out"),
                "RoleName": ["tree"],
                "Force": True,
                "PassThru": True,
            },
        )[0]
        assert len(winrm_https.server.shells) == shells_before + 1, "one runspace pool serves every call"

    local_list = remote_engine.run("backup", "list").json["backups"]
    assert [b["BackupId"] for b in listed] == [b["id"] for b in local_list] == [backup["BackupId"]]
    assert verified["Status"] == "Verified"
    assert restored["Status"] == "Restored"
    assert (tmp_path / "out" / "tree" / "a.conf").read_text() == "remote"
    assert remote_engine.run("config", "get").json["frequency_hours"] == 6


def test_remote_cmdlet_errors_carry_their_id(winrm_https: Endpoint, remote_engine: Engine) -> None:
    with RemoteClient(settings(winrm_https)) as client:
        assert client.invoke("Get-AzsBackup", {"Id": "20260101T000000Z-00000000"}) == []
        assert [e[0] for e in client.errors] == ["AzsBackup.not-found"], "one missing backup: non-terminating"
        with pytest.raises(RemoteCommandError) as caught:
            client.invoke("Set-AzsBackupConfiguration", {"BackupFrequencyInHours": 13, "Confirm": False})
        assert caught.value.facts["error_id"].startswith("ParameterArgumentValidationError")
        with pytest.raises(RemoteCommandError) as plain:
            plain_text = {"Id": "x", "DecryptionCertPath": "k", "DecryptionCertPassword": "plain"}
            client.invoke("Restore-AzsBackup", plain_text)
        assert plain.value.facts["error_id"].startswith("ParameterArgumentTransformationError")
        with pytest.raises(RemoteCommandError) as unknown:
            client.invoke("Format-Disk", {"Confirm": False})
        assert unknown.value.facts["error_id"] == "CommandNotFoundException"


def test_wrong_password_is_refused(winrm_https: Endpoint, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(RemoteAuthFailed) as caught, RemoteClient(settings(winrm_https, password="Wr0ng-Pass!")) as c:
        c.invoke("Get-AzsBackupConfiguration")
    assert caught.value.exit_code == 12
    assert "Wr0ng-Pass!" not in str(caught.value) + caplog.text and PASSWORD not in caplog.text


def test_closed_port_is_unreachable(winrm_https: Endpoint) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RemoteUnreachable), RemoteClient(settings(winrm_https, port=port, connection_timeout=5)) as c:
        c.invoke("Get-AzsBackupConfiguration")


def test_self_signed_certificate_fails_validation(winrm_https: Endpoint) -> None:
    with pytest.raises(RemoteTlsError), RemoteClient(settings(winrm_https, cert_validation=True)) as client:
        client.invoke("Get-AzsBackupConfiguration")


def test_cli_computer_name_gives_what_a_local_run_gives(
    winrm_https: Endpoint, remote_engine: Engine, cert_pair: CertPair, tmp_path: Path
) -> None:
    import json

    remote = Engine(tmp_path / "unused-local-home")
    connect = [
        "--computer-name",
        "127.0.0.1",
        "--port",
        str(winrm_https.port),
        "--ca-cert",
        str(winrm_https.ca_path),
        "--username",
        USER,
        "--auth",
        "ntlm",
        "--secrets-stdin",
    ]
    secrets = json.dumps({"remote_password": PASSWORD})
    remote.run(
        *connect, "config", "set", "--encryption-cert", str(cert_pair.cer), "--retention-days", "3", input=secrets
    )
    source = tmp_path / "src"
    source.mkdir()
    (source / "f").write_text("x")
    remote.run(*connect, "component", "add", "src", "--type", "directory", "--path", str(source), input=secrets)
    started = remote.run(*connect, "backup", "start", input=secrets).json
    listed = remote.run(*connect, "backup", "list", input=secrets).json
    local = remote_engine.run("backup", "list").json
    assert listed["backups"] == local["backups"] and listed["backups"][0]["id"] == started["id"]
    assert remote.run(*connect, "config", "get", input=secrets).json == remote_engine.run("config", "get").json
    for words in (("backup", "list"), ("config", "get"), ("backup", "show", started["id"])):
        human = remote.run(*connect, *words, input=secrets, json_mode=False).stdout
        assert human == remote_engine.run(*words, json_mode=False).stdout, words

    restored = remote.run(
        *connect,
        "restore",
        started["id"],
        "--key",
        str(cert_pair.pfx),
        "--to",
        str(tmp_path / "out"),
        input=json.dumps({"remote_password": PASSWORD, "key_password": cert_pair.password}),
    )
    assert restored.json["status"] == "Restored" and (tmp_path / "out" / "src" / "f").read_text() == "x"
    assert not (tmp_path / "unused-local-home").exists()

    wrong = remote.run(*connect, "config", "get", input=json.dumps({"remote_password": "Nope-Nope-1"}), expect=12)
    assert wrong.json["code"] == "remote-authentication-failed" and "Nope-Nope-1" not in wrong.stdout + wrong.stderr


def test_wsman_fault_is_a_typed_remote_error(winrm_https: Endpoint, remote_engine: Engine) -> None:
    from azsbackup.errors import RemoteError

    with RemoteClient(settings(winrm_https)) as client:
        client.invoke("Get-AzsBackupConfiguration")
        winrm_https.server.fault_next = 2150858818
        with pytest.raises(RemoteError) as caught:
            client.invoke("Get-AzsBackupConfiguration")
    assert caught.value.code == "remote-error" and "WSMan fault 2150858818" in caught.value.message


def test_the_host_binds_the_cmdlets_parameters_as_powershell_does(
    winrm_https: Endpoint, remote_engine: Engine, cert_pair: CertPair
) -> None:
    """Prefixes and aliases bind; a [bool] needs its value; -WhatIf runs nothing; High impact needs -Force."""
    with RemoteClient(settings(winrm_https)) as client:
        config = client.invoke(
            "Set-AzsBackupConfiguration",
            {"EncryptionCert": str(cert_pair.cer), "BackupFreq": 5, "IsBackupSchedulerEnabled": False},
        )[0]
        assert (config["BackupFrequencyInHours"], config["IsBackupSchedulerEnabled"]) == (5, False)
        from pypsrp.powershell import PowerShell

        switch_form = PowerShell(client._open())  # -IsBackupSchedulerEnabled with no value, as a switch
        switch_form.add_cmdlet("Set-AzsBackupConfiguration").add_parameter("IsBackupSchedulerEnabled")
        switch_form.invoke()
        assert switch_form.had_errors and switch_form.streams.error[0].fq_error.startswith("MissingArgument")
        assert client.invoke("Start-AzsBackup", {"WhatIf": True}) == []
        with pytest.raises(RemoteCommandError) as asks:
            client.invoke("Clear-AzsBackupConfiguration", {})
        assert asks.value.facts["error_id"] == "HostException"
        deprecated = client.invoke("Get-AzsBackupLocation", {})[0]
        assert deprecated["BackupFrequencyInHours"] == 5
    assert remote_engine.run("backup", "list").json["backups"] == []


def test_defined_functions_are_defined_again_after_a_reconnection(winrm_https: Endpoint, tmp_path: Path) -> None:
    from azsbackup.providers.winrm import remote_script
    from tests.winrm_endpoint.files import register_remote_functions

    register_remote_functions(winrm_https.server)
    (tmp_path / "a.txt").write_text("a")
    client = RemoteClient(settings(winrm_https))
    with client:
        client.define(remote_script())
        shells = len(winrm_https.server.shells)
        client.close()
        assert len(winrm_https.server.shells) == shells - 1
        listed = client.invoke("Get-AzsBackupRemoteTree", {"Root": str(tmp_path)})
    assert [entry["RelativePath"] for entry in listed] == ["a.txt"]


def test_integers_beyond_int32_arrive_whole(winrm_https: Endpoint) -> None:
    winrm_https.server.register("Get-Echo", lambda parameters: [parameters["Value"]])
    with RemoteClient(settings(winrm_https)) as client:
        for value in (7, 2**31 - 1, 2**31, -(2**31) - 1, 16_000_000_000_000_000_000 // 10, -(2**63)):
            assert client.invoke("Get-Echo", {"Value": value}) == [value]


@pytest.mark.parametrize(("auth", "package"), [("kerberos", "gssapi"), ("credssp", "requests_credssp")])
def test_an_auth_method_whose_package_is_missing_is_a_clear_error(
    winrm_https: Endpoint, auth: str, package: str
) -> None:
    import importlib.util

    from azsbackup.errors import RemoteError

    assert importlib.util.find_spec(package) is None, f"{package} is installed: this test needs it absent"
    with pytest.raises(RemoteError) as caught, RemoteClient(settings(winrm_https, auth=auth)) as client:
        client.invoke("Get-AzsBackupConfiguration")
    assert caught.value.code == "remote-error" and f"auth {auth} needs" in caught.value.message
    assert "pip install" in caught.value.message


@pytest.mark.parametrize("answer", [b"", "name-\udc80"], ids=["empty-byte-array", "unpaired-surrogate"])
def test_an_answer_pypsrp_cannot_read_is_a_typed_error(winrm_https: Endpoint, answer: object) -> None:
    from azsbackup.errors import RemoteError

    winrm_https.server.register("Get-Odd", lambda _p: [answer])
    with pytest.raises(RemoteError) as caught, RemoteClient(settings(winrm_https)) as client:
        client.invoke("Get-Odd")
    assert "the host's answer could not be read" in caught.value.message
