function Get-AzsBackupComponent {
    <#
    .SYNOPSIS
    Gets the registered components.

    .DESCRIPTION
    Lists the components every backup includes (the controller itself is always backed up too).

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
    Get-AzsBackupComponent | Select-Object -Property ComponentName, Type, Description

    Lists the components.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(PositionalBinding = $false)]
    [OutputType('AzsBackup.Component')]
    param(
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
