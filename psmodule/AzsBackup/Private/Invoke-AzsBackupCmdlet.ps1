function Invoke-AzsBackupCmdlet {
    <#
    .SYNOPSIS
    Carries out a public cmdlet's call: here, on other hosts, or in a background job.

    .DESCRIPTION
    Every public cmdlet ends in this one call, after its ShouldProcess, so nothing starts before the
    operator agreed (and nothing at all with -WhatIf).

    With -ComputerName or -Session the same cmdlet runs on every host through one Invoke-Command, which
    fans out itself (-ThrottleLimit) and returns each host's objects with PSComputerName; a host that
    fails gives a non-terminating error that names it, and the other hosts go on. With -AsJob the call
    runs as a background job (Invoke-Command -AsJob for remote hosts). The cmdlet is called there with
    plain values (switches as booleans, which survive serialisation) and -Confirm:$false: the question
    was asked here. Otherwise the engine runs here (Invoke-AzsBackupEngine).

    Called through one of Azure Stack's earlier names (Set-AzsBackupShare, Get-AzsBackupLocation), it
    warns that the name is deprecated, as Azure's module did.

    .PARAMETER Caller
    The public cmdlet's $PSCmdlet.

    .PARAMETER BoundParameters
    The public cmdlet's $PSBoundParameters.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet] $Caller,

        [Parameter(Mandatory = $true)]
        [System.Collections.IDictionary] $BoundParameters
    )

    $name = $Caller.MyInvocation.MyCommand.Name
    $entry = $script:AzsBackupEngine.Cmdlets[$name]
    $invokedAs = $Caller.MyInvocation.InvocationName
    if ($script:AzsBackupEngine.DeprecatedAliases.ContainsKey($invokedAs)) {
        $Caller.WriteWarning("$invokedAs is deprecated and will be removed; use $name.")
    }
    $remote = $BoundParameters.ContainsKey('ComputerName') -or $BoundParameters.ContainsKey('Session')
    $asJob = $BoundParameters.ContainsKey('AsJob') -and [bool]$BoundParameters['AsJob']
    if (-not $remote -and -not $asJob) {
        Invoke-AzsBackupEngine -Caller $Caller -BoundParameters $BoundParameters -Entry $entry
        return
    }

    $plain = @{}
    foreach ($key in $entry.EngineParameters) {
        if ($BoundParameters.ContainsKey($key)) {
            $value = $BoundParameters[$key]
            if ($value -is [switch]) { $value = $value.IsPresent }
            $plain[$key] = $value
        }
    }
    if ($Caller.MyInvocation.MyCommand.Parameters.ContainsKey('Confirm')) {
        $plain['Confirm'] = $false
    }

    if (-not $remote) {
        $manifest = Join-Path -Path $Caller.MyInvocation.MyCommand.Module.ModuleBase -ChildPath 'AzsBackup.psd1'
        $job = {
            param($ModulePath, $CommandName, $Parameters)
            Import-Module -Name $ModulePath -ErrorAction Stop
            & $CommandName @Parameters
        }
        Start-Job -Name $name -ScriptBlock $job -ArgumentList $manifest, $name, $plain
        return
    }

    if ($BoundParameters.ContainsKey('ComputerName') -and $BoundParameters.ContainsKey('Session')) {
        $exception = [System.ArgumentException]::new('Give -ComputerName or -Session, not both.')
        $record = [System.Management.Automation.ErrorRecord]::new(
            $exception, 'AzsBackup.invalid-remote-target', [System.Management.Automation.ErrorCategory]::InvalidArgument, $null)
        $Caller.ThrowTerminatingError($record)
    }
    $invoke = @{
        ScriptBlock  = {
            param($CommandName, $Parameters)
            Import-Module -Name 'AzsBackup' -ErrorAction Stop
            & $CommandName @Parameters
        }
        ArgumentList = @($name, $plain)
    }
    if ($BoundParameters.ContainsKey('Session')) {
        $invoke['Session'] = $BoundParameters['Session']
    }
    else {
        $invoke['ComputerName'] = $BoundParameters['ComputerName']
        if ($BoundParameters.ContainsKey($entry.RemoteCredential)) {
            $invoke['Credential'] = $BoundParameters[$entry.RemoteCredential]
        }
    }
    if ($BoundParameters.ContainsKey('ThrottleLimit')) {
        $invoke['ThrottleLimit'] = $BoundParameters['ThrottleLimit']
    }
    if ($asJob) {
        $invoke['AsJob'] = $true
        $invoke['JobName'] = $name
    }
    Invoke-Command @invoke
}
