function Get-AzsBackupAlert {
    <#
    .SYNOPSIS
    Gets alerts.

    .DESCRIPTION
    Lists the active alerts with their description and what to do; -All includes closed ones.

    .PARAMETER All
    Includes closed alerts.

    .PARAMETER ComputerName
    Runs the cmdlet on these hosts instead of here, through one Invoke-Command (WinRM). Each host needs the
    AzsBackup module and the engine. Objects come back with PSComputerName; a host that fails gives an
    error naming it, and the other hosts go on.

    .PARAMETER Credential
    The account for -ComputerName.

    .PARAMETER Session
    Runs the cmdlet in these existing PowerShell sessions instead of here.

    .PARAMETER ThrottleLimit
    How many hosts are contacted at once (Invoke-Command's -ThrottleLimit; its default when not given).

    .EXAMPLE
    Get-AzsBackupAlert | Format-List -Property Title, Description, Remediation

    Shows what to do about each active alert.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(PositionalBinding = $false)]
    [OutputType('AzsBackup.Alert')]
    param(
        [switch] $All,

        [ValidateNotNullOrEmpty()]
        [string[]] $ComputerName,

        [pscredential] $Credential,

        [System.Management.Automation.Runspaces.PSSession[]] $Session,

        [ValidateRange(1, 1024)]
        [int] $ThrottleLimit
    )

    process {
        Invoke-AzsBackupCmdlet -Caller $PSCmdlet -BoundParameters $PSBoundParameters
    }
}
