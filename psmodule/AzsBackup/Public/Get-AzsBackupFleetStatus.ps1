function Get-AzsBackupFleetStatus {
    <#
    .SYNOPSIS
    Gets the status of one or many controllers: one object per controller.

    .DESCRIPTION
    Shows, for the controller here or on each host of -ComputerName (through one Invoke-Command fan-out), the
    last backup and its status, its age, the export to the external location, the open alerts by severity,
    the next scheduled backup, the free space on the external location and the days it lasts at the current
    rate, and a Health of Critical, Warning or Healthy. Each controller answers from its own state database
    without waiting for a running backup.

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
    Get-AzsBackupFleetStatus -ComputerName azs-ctl01, azs-ctl02, azs-ctl03 -ThrottleLimit 32 | Where-Object Health -ne 'Healthy'

    The controllers of the list that need attention.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(PositionalBinding = $false)]
    [OutputType('AzsBackup.FleetStatus')]
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
