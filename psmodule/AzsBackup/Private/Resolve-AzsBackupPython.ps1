function Resolve-AzsBackupPython {
    <#
    .SYNOPSIS
    Finds the Python interpreter that runs the engine.

    .DESCRIPTION
    Looks at $env:AZSBACKUP_PYTHON first, then the py launcher (py -3), python3 and python.
    Returns the executable's path and the words to put before '-m azsbackup.pwsh'.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param()

    if ($env:AZSBACKUP_PYTHON) {
        return [pscustomobject]@{ Path = $env:AZSBACKUP_PYTHON; Prefix = @() }
    }
    $launcher = Get-Command -Name 'py' -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($launcher) {
        return [pscustomobject]@{ Path = $launcher.Source; Prefix = @('-3') }
    }
    foreach ($name in @('python3', 'python')) {
        $found = Get-Command -Name $name -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if ($found) {
            return [pscustomobject]@{ Path = $found.Source; Prefix = @() }
        }
    }
    $exception = [System.IO.FileNotFoundException]::new(
        'No Python interpreter found. Install Python 3.11+ and azsbackup (pip install azsbackup), or set $env:AZSBACKUP_PYTHON.')
    $record = [System.Management.Automation.ErrorRecord]::new(
        $exception, 'AzsBackup.python-not-found', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $null)
    $PSCmdlet.ThrowTerminatingError($record)
}
