function Invoke-AzsBackupCmdlet {
    <#
    .SYNOPSIS
    Carries out a public cmdlet's call: here, on other hosts, or in a background job.

    .DESCRIPTION
    Every public cmdlet ends in this one call, after its ShouldProcess, so nothing starts before the
    operator agreed (and nothing at all with -WhatIf).

    With -ComputerName or -Session the same cmdlet runs on every host through one Invoke-Command, which
    fans out itself (-ThrottleLimit) and returns each host's objects with PSComputerName; a host that
    fails gives a non-terminating error that names it, and the other hosts go on. An object piped from
    such a call names its host (-OriginComputerName, bound from PSComputerName): without -ComputerName or
    -Session the cmdlet runs there, so that alert 3 of ctl02 is closed on ctl02 and not alert 3 here. With -AsJob the call
    runs as a background job (Invoke-Command -AsJob for remote hosts). The cmdlet is called there with
    plain values (switches as booleans, which survive serialisation) and -Confirm:$false: the question
    was asked here. Otherwise the engine runs here (Invoke-AzsBackupEngine).

    On this host (the engine here, or a background job) path parameters are resolved through the
    PowerShell provider first, from the caller's location and drives: a background job is another
    process, which starts in another folder (Windows PowerShell: Documents) and has none of the
    caller's PSDrives. On remote hosts paths mean what they mean there.

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
    $computers = $null
    if ($BoundParameters.ContainsKey('ComputerName')) {
        $computers = $BoundParameters['ComputerName']
    }
    elseif ($BoundParameters.ContainsKey('OriginComputerName') -and -not $BoundParameters.ContainsKey('Session')) {
        $origin = [string]$BoundParameters['OriginComputerName']
        if ($origin -and $origin -notin @('localhost', '.', [System.Environment]::MachineName)) {
            $computers = @($origin)
        }
    }
    $remote = $null -ne $computers -or $BoundParameters.ContainsKey('Session')
    $asJob = $BoundParameters.ContainsKey('AsJob') -and [bool]$BoundParameters['AsJob']

    $plain = @{}
    foreach ($key in $entry.EngineParameters) {
        if (-not $BoundParameters.ContainsKey($key)) { continue }
        $value = $BoundParameters[$key]
        if ($value -is [switch]) { $value = $value.IsPresent }
        elseif (-not $remote -and ($key -in $entry.ProviderPaths -or ($key -in $entry.LocationPaths -and $value -notmatch '^(\\\\|//|[A-Za-z][A-Za-z0-9+.-]*://)'))) {
            $value = $Caller.SessionState.Path.GetUnresolvedProviderPathFromPSPath($value)
        }
        $plain[$key] = $value
    }
    if (-not $remote -and -not $asJob) {
        Invoke-AzsBackupEngine -Caller $Caller -Values $plain
        return
    }

    if ($Caller.MyInvocation.MyCommand.Parameters.ContainsKey('Confirm')) {
        $plain['Confirm'] = $false
    }
    # Verbose and debug messages are written where the cmdlet runs, and only when asked for there.
    foreach ($common in @('Verbose', 'Debug')) {
        if ($BoundParameters.ContainsKey($common)) { $plain[$common] = [bool]$BoundParameters[$common] }
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
        $invoke['ComputerName'] = $computers
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
