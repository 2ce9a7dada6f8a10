"""What a real Windows host does that a reading of the module can miss, checked statically.

Each check holds the module to one behaviour of PowerShell on Windows (PowerShell's source and Microsoft's
documentation, cited in each test), since no PowerShell runs here:

* a background job is another process: Windows PowerShell starts it in ``$HOME\\Documents``, and none of
  the caller's PSDrives exist there, so paths must be resolved before the job starts;
* ``$PSCmdlet.ThrowTerminatingError`` in a helper function stops the helper only: to its caller it is a
  statement-terminating error, and the caller's next statements run (under strict mode, on variables
  never set);
* the engine can end before it reads its standard input (a wrong interpreter), and the write to the
  closed pipe throws;
* Windows PowerShell reads a script without a byte order mark in the ANSI code page, where the bytes of
  some UTF-8 characters are quote characters to PowerShell's tokenizer;
* PowerShell variables are one variable whatever their case;
* Windows PowerShell 5.1, also the default PowerShell of a WinRM endpoint, and PowerShell 7 search
  different module folders.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path, PureWindowsPath

from tree_sitter import Node

from azsbackup.service.psmodule import PYTHON_FILE, module_roots
from tests.psmodule.psparse import parse, text, walk
from tests.psmodule.wire import MODULE

PRIVATE = MODULE / "Private"
REMOTE_SCRIPT = Path(__file__).resolve().parents[2] / "azsbackup" / "providers" / "scripts" / "AzsBackupRemote.ps1"
POWERSHELL_FILES = sorted(p for p in MODULE.parent.rglob("*") if p.suffix.lower() in (".ps1", ".psm1", ".psd1"))
UTF8_BOM = b"\xef\xbb\xbf"


def _commands(root: Node, name: str) -> list[Node]:
    return [n for n in walk(root) if n.type == "command" and text(n).split(None, 1)[0].lower() == name.lower()]


def _argument_variables(command: Node, parameter: str) -> list[str]:
    """The variables given to ``-parameter`` of a parsed command (``-ArgumentList $a, $b`` → ``[a, b]``)."""
    elements = next(c for c in command.children if c.type == "command_elements")
    children = [c for c in elements.children if c.type != "command_argument_sep"]
    for index, child in enumerate(children):
        if child.type == "command_parameter" and text(child).lower() == f"-{parameter.lower()}":
            argument = children[index + 1]
            return [text(v).lstrip("$").lower() for v in walk(argument) if v.type == "variable"]
    return []


def _enclosing_try(node: Node) -> Node | None:
    current = node.parent
    while current is not None and current.type != "try_statement":
        current = current.parent
    return current


def test_paths_are_resolved_before_a_background_job_starts() -> None:
    """Windows PowerShell starts a job in $HOME\\Documents (Start-Job, "The default working directory for jobs is
    hardcoded"), and a job has none of the caller's PSDrives: `Restore-AzsBackup -DecryptionCertPath .\\b.pfx
    -AsJob` must hand the job the path the caller meant. The values the engine gets here and the values a
    job gets are one dictionary, filled by the loop that resolves paths, before either starts."""
    root = parse((PRIVATE / "Invoke-AzsBackupCmdlet.ps1").read_bytes())
    (engine,) = _commands(root, "Invoke-AzsBackupEngine")
    (job,) = _commands(root, "Start-Job")
    given_to_engine = _argument_variables(engine, "Values")
    given_to_job = _argument_variables(job, "ArgumentList")
    shared = [v for v in given_to_engine if v in given_to_job]
    assert shared, f"the engine gets {given_to_engine} and the job {given_to_job}: not the same values"
    (values,) = shared
    fillers = [
        n for n in walk(root) if n.type == "foreach_statement" and f"${values}[$key] = $value" in text(n).lower()
    ]
    assert fillers, f"no loop fills ${values}"
    (loop,) = fillers
    assert "GetUnresolvedProviderPathFromPSPath(" in text(loop), f"${values} reaches the job with its paths unresolved"
    assert loop.end_byte < min(engine.start_byte, job.start_byte), "the paths are resolved after the call"
    resolving = [
        n
        for n in walk(loop)
        if n.type in ("if_statement", "elseif_clause") and "GetUnresolvedProviderPathFromPSPath" in text(n)
    ]
    condition = text(next(c for c in resolving[-1].children if c.type == "pipeline"))
    assert "$asJob" not in condition and "$remote" in condition, condition


def test_helpers_stop_the_public_cmdlet_not_themselves() -> None:
    """`$PSCmdlet.ThrowTerminatingError` records the error in the pipeline of the command that calls it
    (MshCommandRuntime.ManageException): in a helper function, that is the helper's own statement in its
    caller, which reports it and goes on with its next statement (ExceptionHandlingOps.CheckActionPreference).
    So a helper stops the cmdlet through the public cmdlet's $PSCmdlet, which it is given as -Caller."""
    stops = []
    for path in sorted(PRIVATE.glob("*.ps1")):
        for node in walk(parse(path.read_bytes())):
            member = next((c for c in node.children if c.type == "member_name"), None)
            if node.type == "invokation_expression" and member is not None and text(member) == "ThrowTerminatingError":
                stops.append((path.name, text(node.children[0])))
    assert len(stops) >= 3, "the module stops its cmdlets (bad request, no Python, engine not started)"
    assert [s for s in stops if s[1] != "$Caller"] == [], "stopped through a helper's own $PSCmdlet"


def test_an_engine_gone_before_the_request_is_reported_by_its_exit(tmp_path: Path) -> None:
    """A Python without azsbackup (`py -3` picking another installation) ends without reading its standard
    input; writing the request then throws (here EPIPE; on Windows "The pipe has been ended"). The module must
    still reach its exit-code check, which reports AzsBackup.engine-failed with the standard error's tail."""
    process = subprocess.Popen(
        [sys.executable, "-S", "-m", "azsbackup.pwsh"],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert process.stdin is not None and process.stderr is not None
    with contextlib.suppress(BrokenPipeError), process.stdin, process.stderr:
        process.wait(timeout=60)
        stderr = process.stderr.read()
        request = {"protocol": 1, "cmdlet": "Get-AzsBackupConfiguration", "parameters": {"Padding": "x" * 200_000}}
        process.stdin.write(json.dumps(request).encode())
        process.stdin.flush()
        raise AssertionError("the request was written to an engine that had ended")
    assert process.returncode != 0 and b"No module named 'azsbackup'" in stderr

    root = parse((PRIVATE / "Invoke-AzsBackupEngine.ps1").read_bytes())
    guarded = [
        _enclosing_try(n)
        for n in walk(root)
        if n.type == "catch_clause" and "[System.IO.IOException]" in text(n).split("{", 1)[0]
    ]
    guarded = [n for n in guarded if n is not None and "$stdin.Write(" in text(n)]
    assert guarded, "a closed pipe throws out of the request write, past the exit-code check"
    (guard,) = guarded
    assert "$stdin.Dispose()" in text(guard) and "$stdin.Flush()" in text(guard), "the pipe is written inside"
    assert guard.end_byte < text(root).index("if ($exitCode -ne 0)"), "the exit code is read after the write"


def test_powershell_files_with_non_ascii_text_carry_a_byte_order_mark() -> None:
    """Windows PowerShell 5.1 reads a script without a BOM in the ANSI code page (about_Character_Encoding;
    PSScriptAnalyzer's UseBOMForUnicodeEncodedFile). In Windows-1252, '🔑' (F0 9F 94 91) reads as 'ðŸ”‘', and
    U+201D and U+2018 are quote characters to PowerShell's tokenizer (CharTraits.cs): a single-quoted
    string ends early and the file does not parse."""
    unmarked = [
        str(p.relative_to(MODULE.parents[1]))
        for p in [*POWERSHELL_FILES, REMOTE_SCRIPT]
        if not p.read_bytes().isascii() and not p.read_bytes().startswith(UTF8_BOM)
    ]
    assert unmarked == []
    quotes = "\u2018\u2019\u201a\u201b\u201c\u201d\u201e"
    assert any(ch in quotes for ch in "🔑".encode().decode("cp1252", "replace")), "the premise"


def test_no_function_spells_one_variable_two_ways() -> None:
    """PowerShell variables are case-insensitive: `$Parameters` and `$parameters` are one variable, so a local
    `$parameters = @{}` silently replaces a `-Parameters` argument. Two spellings mean the author thought
    them two variables."""
    clashes = []
    for path in [*POWERSHELL_FILES, REMOTE_SCRIPT]:
        for function in walk(parse(path.read_bytes())):
            if function.type != "function_statement":
                continue
            spellings: dict[str, set[str]] = defaultdict(set)
            for node in walk(function):
                if node.type == "variable":
                    spellings[text(node).lower()].add(text(node))
            clashes += [(path.name, sorted(s)) for s in spellings.values() if len(s) > 1]
    assert clashes == []


def test_a_function_spelling_one_variable_two_ways_is_found() -> None:
    source = b"function F { param([hashtable] $Parameters) $parameters = @{}; $Parameters.Keys }"
    spellings = {text(n) for n in walk(parse(source)) if n.type == "variable"}
    assert spellings == {"$Parameters", "$parameters"}


def test_the_module_is_installed_where_both_editions_look() -> None:
    """about_PSModulePath: Windows PowerShell 5.1 searches Documents\\WindowsPowerShell\\Modules and
    $env:ProgramFiles\\WindowsPowerShell\\Modules; PowerShell 7 Documents\\PowerShell\\Modules and
    $env:ProgramFiles\\PowerShell\\Modules. A WinRM endpoint runs Windows PowerShell unless configured
    otherwise, so a module copied for PowerShell 7 only is not found there."""
    env = {"ProgramFiles": r"D:\Programs"}
    all_users = module_roots("AllUsers", windows=True, environ=env)
    current_user = module_roots("CurrentUser", windows=True, environ=env, documents=r"C:\Users\op\OneDrive\Documents")
    assert all_users == [
        PureWindowsPath(r"D:\Programs\WindowsPowerShell\Modules"),
        PureWindowsPath(r"D:\Programs\PowerShell\Modules"),
    ]
    assert current_user == [
        PureWindowsPath(r"C:\Users\op\OneDrive\Documents\WindowsPowerShell\Modules"),
        PureWindowsPath(r"C:\Users\op\OneDrive\Documents\PowerShell\Modules"),
    ]
    assert module_roots("AllUsers", windows=False) == [Path("/usr/local/share/powershell/Modules")]


def test_psmodule_install_copies_the_module_into_the_module_path(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "azsbackup", "--json", "psmodule", "install"],
        capture_output=True,
        text=True,
        env={"XDG_DATA_HOME": str(tmp_path), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    installed = Path(document["path"])
    assert document["paths"] == [str(installed)] and document["scope"] == "CurrentUser"
    assert installed.parent == tmp_path / "powershell" / "Modules" / "AzsBackup"
    assert (installed / "AzsBackup.psd1").exists() and (installed / "Private" / "Invoke-AzsBackupEngine.ps1").exists()
    assert not (installed / "tests").exists()
    assert (installed / PYTHON_FILE).read_text(encoding="utf-8").strip() == sys.executable
    assert not (MODULE / PYTHON_FILE).exists(), "the source copy names no interpreter"


def test_the_module_starts_the_python_that_installed_it() -> None:
    """pipx, a virtual environment, or one Python among several: `py -3` / `python3` finds a Python without the
    engine, and every cmdlet fails with "No module named 'azsbackup'". The installed copy records the Python
    that ran `azsbackup psmodule install`; the module starts it unless $env:AZSBACKUP_PYTHON says otherwise."""
    psm1 = (MODULE / "AzsBackup.psm1").read_text()
    assert f"-ChildPath '{PYTHON_FILE}'" in psm1 and "$script:AzsBackupPython = " in psm1
    resolve = (PRIVATE / "Resolve-AzsBackupPython.ps1").read_text()
    order = [resolve.find(needle) for needle in ("$env:AZSBACKUP_PYTHON", "$script:AzsBackupPython", "'py'")]
    assert -1 not in order and order == sorted(order), "the environment, then the recorded Python, then a search"
