function Resolve-AzsBackupPython {
    <#
    .SYNOPSIS
    Finds the Python interpreter that runs the engine.

    .DESCRIPTION
    Looks at $env:AZSBACKUP_PYTHON first, then the Python that installed the module (azsbackup psmodule
    install records it), then the py launcher (py -3), python3 and python.
    Returns the executable's path and the words to put before '-m azsbackup.pwsh'. When there is none, the
    public cmdlet stops with AzsBackup.python-not-found: the error is thrown through the cmdlet's own
    $PSCmdlet, since this function's would only end this function's statement in its caller.

    .PARAMETER Caller
    The public cmdlet's $PSCmdlet.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet] $Caller
    )

    if ($env:AZSBACKUP_PYTHON) {
        return [pscustomobject]@{ Path = $env:AZSBACKUP_PYTHON; Prefix = @() }
    }
    if ($script:AzsBackupPython -and (Test-Path -LiteralPath $script:AzsBackupPython -PathType Leaf)) {
        return [pscustomobject]@{ Path = $script:AzsBackupPython; Prefix = @() }
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
    $Caller.ThrowTerminatingError($record)
}
