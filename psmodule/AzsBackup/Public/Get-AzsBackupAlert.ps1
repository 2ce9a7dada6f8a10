function Get-AzsBackupAlert {
    <#
    .SYNOPSIS
    Gets alerts.

    .DESCRIPTION
    Lists the active alerts with their description and what to do; -All includes closed ones.

    .PARAMETER All
    Includes closed alerts.

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    Get-AzsBackupAlert | Format-List Title, Description, Remediation

    Shows what to do about each active alert.
    #>
    [CmdletBinding()]
    [OutputType('AzsBackup.Alert')]
    param(
        [switch] $All,

        [ValidateNotNullOrEmpty()]
        [string[]] $ComputerName,

        [pscredential] $Credential,

        [System.Management.Automation.Runspaces.PSSession[]] $Session
    )

    process {
        if (Test-AzsBackupRemote -BoundParameters $PSBoundParameters) {
            Invoke-AzsBackupRemote -CommandName $MyInvocation.MyCommand.Name -BoundParameters $PSBoundParameters
            return
        }
        $option = [ordered]@{}
        if ($All) { $option['--all'] = $true }
        $result = Invoke-AzsBackupEngine -Command 'alert', 'list' -Option $option -Caller $PSCmdlet
        $result.alerts | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Alert'
    }
}
