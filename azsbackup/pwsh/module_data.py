"""``AzsBackup.Engine.psd1``: what the PowerShell module must know before it starts the engine, from the table.

Written by ``python scripts/update-docs.py`` (a test fails when the file differs).
The module reads it once when it is imported (``Import-PowerShellDataFile``).
"""

from __future__ import annotations

from azsbackup.pwsh import table

FILE_NAME = "AzsBackup.Engine.psd1"


def _quoted(values: list[str]) -> str:
    return "@(" + ", ".join(f"'{v}'" for v in values) + ")"


def render() -> str:
    lines = [
        "# Generated from azsbackup/pwsh/table.py by scripts/update-docs.py; do not edit.",
        "# For each cmdlet: the parameters the module sends to the engine (python -m azsbackup.pwsh), those it",
        "# resolves through the PowerShell provider on a local run (ProviderPaths always; LocationPaths unless",
        "# \\\\server\\share or scheme://), and the credential parameter that is for remoting.",
        "@{",
        "    Cmdlets           = @{",
    ]
    for name in sorted(table.CMDLETS):
        cmdlet = table.CMDLETS[name]
        lines += [
            f"        '{name}' = @{{",
            f"            EngineParameters = {_quoted(cmdlet.engine_parameters)}",
            f"            ProviderPaths    = {_quoted(cmdlet.paths('path'))}",
            f"            LocationPaths    = {_quoted(cmdlet.paths('location'))}",
            f"            RemoteCredential = '{cmdlet.remote_credential}'",
            "        }",
        ]
    lines += ["    }", "    DeprecatedAliases = @{"]
    lines += [f"        '{alias}' = '{target}'" for alias, target in sorted(table.DEPRECATED_ALIASES.items())]
    lines += ["    }", "}", ""]
    return "\n".join(lines)


def _returned_by() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, cmdlet in sorted(table.CMDLETS.items()):
        for variant in cmdlet.variants:
            types = found.setdefault(variant.shape.type_name, [])
            if name not in types:
                types.append(name)
    return found


def objects_markdown() -> str:
    """The object table of docs/powershell.md: each type's properties and the engine keys they come from."""
    from azsbackup.pwsh import shapes

    returned = _returned_by()
    rows = ["| object | returned by | properties (engine key) |", "| --- | --- | --- |"]
    for shape in shapes.SHAPES:
        properties = [f"`{f.name}` ({f.key})" for f in shape.fields] + [f"`{d.name}` (derived)" for d in shape.derived]
        users = ", ".join(returned.get(shape.type_name, [])) or "inside `AzsBackup.Backup` (`RoleStatus`)"
        rows.append(f"| `{shape.type_name}` | {users} | {', '.join(properties)} |")
    return "\n".join(rows)


def errors_markdown() -> str:
    """The error table of docs/powershell.md: ErrorCategory by exit code, and which codes stop the pipeline."""
    from azsbackup.errors import iter_error_classes

    codes: dict[int, list[str]] = {}
    for cls in iter_error_classes():
        listed = codes.setdefault(int(cls.exit_code), [])
        if cls.code not in listed:
            listed.append(cls.code)
    rows = ["| exit | ErrorCategory | stop the pipeline | written as non-terminating |", "| --- | --- | --- | --- |"]
    for exit_code, category in table.CATEGORIES.items():
        listed = codes.get(exit_code, [table.EXIT_CODE_NAMES[exit_code]])
        stop = ", ".join(f"`{c}`" for c in listed if c in table.TERMINATING_CODES) or "-"
        go_on = ", ".join(f"`{c}`" for c in listed if c not in table.TERMINATING_CODES) or "-"
        rows.append(f"| {exit_code} | {category} | {stop} | {go_on} |")
    return "\n".join(rows)
