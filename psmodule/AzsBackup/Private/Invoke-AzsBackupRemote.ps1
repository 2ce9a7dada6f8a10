function Test-AzsBackupRemote {
    <#
    .SYNOPSIS
    True when the caller asked to run on another host (-ComputerName or -Session).

    .PARAMETER BoundParameters
    The calling cmdlet's $PSBoundParameters.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Collections.IDictionary] $BoundParameters
    )

    $BoundParameters.ContainsKey('ComputerName') -or $BoundParameters.ContainsKey('Session')
}

function Invoke-AzsBackupRemote {
    <#
    .SYNOPSIS
    Runs the same AzsBackup cmdlet on another host through Invoke-Command (WinRM).

    .DESCRIPTION
    The parameters (secrets included) travel as -ArgumentList values, never expanded into the script
    block's text. Results come back with their PSTypeName and PSComputerName.

    .PARAMETER CommandName
    The cmdlet to run remotely.

    .PARAMETER BoundParameters
    The calling cmdlet's $PSBoundParameters.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $CommandName,

        [Parameter(Mandatory = $true)]
        [System.Collections.IDictionary] $BoundParameters
    )

    $remoteParameters = @{}
    foreach ($key in $BoundParameters.Keys) {
        if ($key -notin @('ComputerName', 'Credential', 'Session', 'AsJob')) {
            $remoteParameters[$key] = $BoundParameters[$key]
        }
    }
    $invoke = @{
        ScriptBlock  = {
            param($Name, $Parameters)
            Import-Module -Name 'AzsBackup' -ErrorAction Stop
            & $Name @Parameters
        }
        ArgumentList = @($CommandName, $remoteParameters)
    }
    if ($BoundParameters.ContainsKey('Session')) {
        $invoke['Session'] = $BoundParameters['Session']
    }
    else {
        $invoke['ComputerName'] = $BoundParameters['ComputerName']
        if ($BoundParameters.ContainsKey('Credential')) { $invoke['Credential'] = $BoundParameters['Credential'] }
    }
    Invoke-Command @invoke
}
