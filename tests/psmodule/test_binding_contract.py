"""The binding contract: every documented call binds as PowerShell binds it, and every bound value reaches the
engine option it should.

The calls are every ``.EXAMPLE`` of the module's comment help and every row of the Azure Stack parity
table of docs/powershell.md. Each is parsed (tree-sitter-pwsh), bound against the cmdlet's declared
parameters by tests/psmodule/binder.py, turned into the request the module writes, into the engine
command line the table builds, and parsed by the engine's own click tree, where each value must
arrive at its option.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from azsbackup.pwsh import shapes, table
from tests.psmodule import binder
from tests.psmodule.binder import BindingError
from tests.psmodule.engine_args import follow
from tests.psmodule.module_calls import FUNCTIONS, PROPERTIES, bind_script, module_function
from tests.psmodule.psparse import Function
from tests.psmodule.wire import MODULE

DOCS = Path(__file__).resolve().parents[2] / "docs" / "powershell.md"


# --- the examples of the comment help ---------------------------------------------------------------------

EXAMPLES = [(f.name, code) for f in FUNCTIONS.values() for code in f.examples]


def test_every_cmdlet_has_examples() -> None:
    assert {name for name, _ in EXAMPLES} == {f.name for f in FUNCTIONS.values()}


@pytest.mark.parametrize(("cmdlet", "code"), EXAMPLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EXAMPLES)])
def test_every_example_binds_and_reaches_the_engine(cmdlet: str, code: str) -> None:
    bound = bind_script(code)
    assert cmdlet in [b.function.name for b in bound], f"the example does not call {cmdlet}"
    for item in bound:
        follow(item)


# --- the parity table of docs/powershell.md ---------------------------------------------------------------


@dataclass
class Row:
    call: str
    source: str
    here: str

    @property
    def refused(self) -> str | None:
        match = re.match(r"\*\*Refused\*\* \(`(\w+)`\)", self.here)
        return match.group(1) if match else None

    @property
    def not_provided(self) -> bool:
        return self.here.startswith("**Not provided**")

    @property
    def equivalents(self) -> list[str]:
        """Code in the "here" column that calls a cmdlet of the module: it must bind too."""
        return [c for c in _code(self.here) if module_function(c.split()[0]) is not None]


def _code(cell: str) -> list[str]:
    return [c.replace("\\|", "|") for c in re.findall(r"`((?:[^`\\]|\\.)+)`", cell)]


def parity_rows() -> list[Row]:
    lines = DOCS.read_text(encoding="utf-8").split("<!-- parity table", 1)[1].splitlines()[1:]
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows.append(Row(_code(cells[0])[0], cells[1], cells[2]))
    return rows


ROWS = parity_rows()


# --- the examples of docs/powershell.md -------------------------------------------------------------------


def _section(title: str) -> str:
    return DOCS.read_text(encoding="utf-8").split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def cmdlet_table() -> dict[str, list[str]]:
    """The cmdlet table of docs/powershell.md: each cmdlet and the code of its example column."""
    rows: dict[str, list[str]] = {}
    for line in _section("Cmdlets").splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows[_code(cells[0])[0]] = _code(cells[2])
    return rows


DOC_EXAMPLES = [code for codes in cmdlet_table().values() for code in codes] + re.findall(
    r"```powershell\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL
)


def test_the_cmdlet_table_lists_every_cmdlet_with_an_example() -> None:
    rows = cmdlet_table()
    assert set(rows) == {f.name for f in FUNCTIONS.values()}
    assert all(rows.values()), "a cmdlet without an example"


@pytest.mark.parametrize("code", DOC_EXAMPLES, ids=[f"{i}-{c[:40]}" for i, c in enumerate(DOC_EXAMPLES)])
def test_every_example_of_the_documentation_binds_and_reaches_the_engine(code: str) -> None:
    bound = bind_script(code)
    assert bound or code.startswith("pip install"), f"{code} calls no cmdlet of the module"
    for item in bound:
        follow(item)


def test_the_parity_table_covers_microsofts_documented_calls() -> None:
    documented = {re.split(r"\s", r.call.split("=")[-1].strip().split(";")[-1].strip())[0] for r in ROWS}
    assert {
        "Set-AzsBackupConfiguration",
        "Get-AzsBackupConfiguration",
        "Start-AzsBackup",
        "Get-AzsBackup",
        "Restore-AzsBackup",
        "Invoke-AzsPruneBackupLocationExternalStore",
        "Set-AzsBackupShare",
        "Get-AzsBackupLocation",
        "New-AzsEncryptionKeyBase64",
        "Test-AzureStack",
    } <= documented


@pytest.mark.parametrize("row", ROWS, ids=[f"{i}-{r.call[:50]}" for i, r in enumerate(ROWS)])
def test_every_row_of_the_parity_table_behaves_as_it_says(row: Row) -> None:
    if row.not_provided:
        first = row.call.split("=")[-1].split(";")[-1].split()[0]
        assert module_function(first) is None, f"{first} is said not to be provided"
        assert row.equivalents, "a row that is not provided names what to use instead"
    elif row.refused:
        with pytest.raises(BindingError) as refused:
            bind_script(row.call)
        assert refused.value.error_id == row.refused
    else:
        bound = bind_script(row.call)
        assert bound, f"{row.call} calls no cmdlet of the module"
        for item in bound:
            follow(item)
    for code in row.equivalents:
        for item in bind_script(code):
            follow(item)


def test_a_missing_force_on_start_azsbackup_fails_the_binding_contract() -> None:
    start = FUNCTIONS["start-azsbackup"]
    without = Function(
        start.name,
        start.node,
        start.path,
        [p for p in start.parameters if p.name != "Force"],
        start.binding,
        start.help,
    )
    row = next(r for r in ROWS if r.call == "Start-AzsBackup -Force")
    with pytest.raises(BindingError) as refused:
        bind_script(row.call, {"start-azsbackup": without})
    assert refused.value.error_id == "NamedParameterNotFound"


# --- pipelines: which objects bind to which cmdlet --------------------------------------------------------

BY_BACKUP_ID = {
    "Get-AzsBackup",
    "Test-AzsBackup",
    "Restore-AzsBackup",
    "Remove-AzsBackup",
    "Test-AzsBackupExternalCopy",
}
"""What a backup, its verification, its restore and its external copy pipe on to: the cmdlets taking a BackupId."""

INTENDED_PIPELINES = {
    "AzsBackup.Backup": BY_BACKUP_ID,
    "AzsBackup.Verification": BY_BACKUP_ID,
    "AzsBackup.RestoreResult": BY_BACKUP_ID,
    "AzsBackup.ExternalCopy": BY_BACKUP_ID,
    "AzsBackup.Alert": {"Close-AzsBackupAlert"},
    "AzsBackup.Component": {"Remove-AzsBackupComponent"},
    "AzsBackup.Job": {"Get-AzsBackupJob"},
    "AzsBackup.BackupStarted": {"Get-AzsBackupJob"},
}


def test_objects_bind_by_property_name_only_where_they_should() -> None:
    """A job must not hand its id to Test-AzsBackup (the first module aliased every id as BackupId)."""
    bindings: dict[str, set[str]] = {}
    for shape in shapes.SHAPES:
        names = {n.lower() for n in shape.property_names}
        for function in FUNCTIONS.values():
            takes = {
                alias.lower()
                for p in function.parameters
                if any(s.from_pipeline_by_name for s in p.sets)
                for alias in (p.name, *p.aliases)
            }
            if names & takes:
                bindings.setdefault(shape.type_name, set()).add(function.name)
    assert bindings == INTENDED_PIPELINES
    with pytest.raises(BindingError) as refused:
        bind_script("Get-AzsBackupJob | Test-AzsBackup")
    assert refused.value.error_id == "MissingMandatoryParameter"
    bound = bind_script("Get-AzsBackup | Test-AzsBackup")[-1]
    assert bound.from_pipeline == {"BackupId": "BackupId"}
    for upstream in ("Get-AzsBackupExternalCopy", "Get-AzsBackup"):
        bound = bind_script(f"{upstream} | Test-AzsBackupExternalCopy")[-1]
        assert (bound.parameter_set, bound.from_pipeline) == ("Backup", {"BackupId": "BackupId"}), upstream


def test_objects_piped_from_another_host_are_handled_on_that_host() -> None:
    """`Get-AzsBackupAlert -ComputerName ctl02 | Close-AzsBackupAlert`: what comes back from Invoke-Command carries
    PSComputerName. Alert 3 of ctl02 must be closed on ctl02, not alert 3 of this host; a component removed,
    a backup restored or deleted on the host it was listed on. Every cmdlet that takes pipeline input binds
    the origin, and Invoke-AzsBackupCmdlet sends the call there unless -ComputerName or -Session is given."""
    acting_here = []
    for upstream, targets in sorted(INTENDED_PIPELINES.items()):
        properties = [*PROPERTIES[upstream], "PSComputerName"]
        for target in sorted(targets):
            function = FUNCTIONS[target.lower()]
            bound = binder.bind(function, [], [], properties, require_mandatory=False)
            if "PSComputerName" not in bound.from_pipeline.values():
                acting_here.append(f"{upstream} | {target}")
    assert acting_here == [], "objects of another host handled on this one"
    source = (MODULE / "Private" / "Invoke-AzsBackupCmdlet.ps1").read_text()
    assert "$origin = [string]$BoundParameters['OriginComputerName']" in source
    assert "$computers = @($origin)" in source and "$invoke['ComputerName'] = $computers" in source
    assert "'localhost'" in source, "a local background job's objects (PSComputerName localhost) stay here"


# --- the binder binds as PowerShell does, and fails where it fails -----------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("Set-AzsBackupConfiguration -BackupFreq 10", {"BackupFrequencyInHours": 10}),
        ("Set-AzsBackupConfiguration -backupshare \\\\srv\\s", {"Path": "\\\\srv\\s"}),
        ("Set-AzsBackupConfiguration -IsBackupSchedulerEnabled 0", {"IsBackupSchedulerEnabled": False}),
        ("Start-AzsBackup -Force:$false", {"Force": False}),
        ("Get-AzsBackup 20261124T215012.345Z-9f3a01bc", {"BackupId": "20261124T215012.345Z-9f3a01bc"}),
        ("Restore-AzsBackup x -DecryptionCertPath k.pfx -RoleName a, b", {"ComponentName": ["a", "b"]}),
        ("Invoke-AzsPruneBackupLocationExternalStore -OperationType dryrun", {"OperationType": "dryrun"}),
        ("Get-AzsBackupJob -First 5 -Skip 5", {"First": 5, "Skip": 5}),
        ("Test-AzsBackupExternalCopy -MaxBytes 10GB", {"MaxBytes": 10 * 2**30}),
        ("Test-AzsBackupExternalCopy 20261124T215012.345Z-9f3a01bc", {"BackupId": "20261124T215012.345Z-9f3a01bc"}),
        ("Set-AzsBackupConfiguration -ReadBack:$false -VerifyMaxBytes 0", {"ReadBack": False, "VerifyMaxBytes": 0}),
    ],
)
def test_the_binder_binds(code: str, expected: dict[str, object]) -> None:
    (bound,) = bind_script(code)
    assert {k: bound.values[k].value for k in expected} == expected
    follow(bound)


def test_all_false_verifies_within_the_budget() -> None:
    """`-All:$false` binds the All set; the engine must then get the default selection, not --all."""
    (bound,) = bind_script("Test-AzsBackupExternalCopy -All:$false")
    assert bound.parameter_set == "All" and bound.values["All"].value is False
    call = table.engine_call("Test-AzsBackupExternalCopy", "All", {"All": False}, {})
    assert call.argv[-2:] == ["location", "verify"] and call.variant.parameter_set == "Budget"


@pytest.mark.parametrize(
    ("code", "error_id"),
    [
        ("Set-AzsBackupConfiguration -C x", "AmbiguousParameter"),
        ("Set-AzsBackupConfiguration -Nope 1", "NamedParameterNotFound"),
        ("Set-AzsBackupConfiguration -IsBackupSchedulerEnabled 'no'", "ParameterArgumentTransformationError"),
        ("Set-AzsBackupConfiguration -Password 'plain text'", "ParameterArgumentTransformationError"),
        ("Set-AzsBackupConfiguration -BackupFrequencyInHours 13", "ParameterArgumentValidationError"),
        ("Set-AzsBackupConfiguration -BackupRetentionPeriodInDays 1", "ParameterArgumentValidationError"),
        ("Set-AzsBackupConfiguration -BackupFrequencyInHours ten", "ParameterArgumentTransformationError"),
        ("Set-AzsBackupConfiguration -Path 10 -Path 11", "ParameterAlreadyBound"),
        ("Set-AzsBackupConfiguration \\\\srv\\s", "PositionalParameterNotFound"),
        ("Restore-AzsBackup a b -DecryptionCertPath k.pfx", "PositionalParameterNotFound"),
        ("Invoke-AzsPruneBackupLocationExternalStore -OperationType Everything", "ParameterArgumentValidationError"),
        ("Restore-AzsBackup -BackupId x", "MissingMandatoryParameter"),
        ("Get-AzsBackup -BackupId x -External", "AmbiguousParameterSet"),
        ("Get-AzsBackupJob -JobId x -Kind backup", "AmbiguousParameterSet"),
        ("Close-AzsBackupAlert 0", "ParameterArgumentValidationError"),
        ("Get-AzsBackupConfiguration -WhatIf", "NamedParameterNotFound"),
        ("Add-AzsBackupComponent -Name x -Type tape", "ParameterArgumentValidationError"),
        ("Test-AzsBackupExternalCopy -All -MaxBytes 10GB", "AmbiguousParameterSet"),
        ("Test-AzsBackupExternalCopy -BackupId x -All", "AmbiguousParameterSet"),
        ("Test-AzsBackupExternalCopy -BackupId x -MaxBytes 1", "AmbiguousParameterSet"),
        ("Test-AzsBackupExternalCopy -MaxBytes -1", "ParameterArgumentValidationError"),
        ("Test-AzsBackupExternalCopy -MaxBytes 1000TB", "ParameterArgumentValidationError"),
        ("Set-AzsBackupConfiguration -VerifyMaxBytes -1", "ParameterArgumentValidationError"),
        ("Set-AzsBackupConfiguration -ReadBack", "MissingArgument"),
    ],
)
def test_the_binder_refuses(code: str, error_id: str) -> None:
    with pytest.raises(BindingError) as refused:
        bind_script(code)
    assert refused.value.error_id == error_id


def test_a_deleted_validate_range_lets_an_out_of_range_value_through_to_the_engine() -> None:
    """What the module contract's ValidateRange check protects: without it, 13 binds and only the engine refuses."""
    function = FUNCTIONS["set-azsbackupconfiguration"]
    parameter = function.parameter("BackupFrequencyInHours")
    assert parameter is not None
    stripped = binder.Parameter(
        parameter.name, parameter.type, [a for a in parameter.attributes if a.name != "ValidateRange"]
    )
    without = Function(
        function.name,
        function.node,
        function.path,
        [stripped if p is parameter else p for p in function.parameters],
        function.binding,
        function.help,
    )
    (bound,) = bind_script(
        "Set-AzsBackupConfiguration -BackupFrequencyInHours 13", {"set-azsbackupconfiguration": without}
    )
    assert bound.values["BackupFrequencyInHours"].value == 13
