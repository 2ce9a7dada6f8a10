"""The PowerShell module's side of the engine: one table of cmdlets (:mod:`.table`), the objects
PowerShell sees (:mod:`.shapes`) and the bridge the module starts (``python -m azsbackup.pwsh``).

Beside :mod:`azsbackup.cli`, a presentation layer; see docs/powershell.md.
"""
