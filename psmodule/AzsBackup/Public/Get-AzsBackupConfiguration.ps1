function Get-AzsBackupConfiguration {
    <#
    .SYNOPSIS
    Gets the backup configuration.

    .DESCRIPTION
    Shows the external location (Path, UserName), the encryption certificate's thumbprint, the schedule
    (BackupFrequencyInHours, IsBackupSchedulerEnabled, NextBackupTime), the retention, the time of the last
    backup, the free space of the external location when it was last measured (AvailableCapacity) and the
    controller's signing-key fingerprint. The password is never returned, only whether it is set.

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
    Get-AzsBackupConfiguration | Select-Object -Property Path, UserName, AvailableCapacity, BackupFrequencyInHours, BackupRetentionPeriodInDays

    Shows where backups go, how often and how long they are kept (Azure Stack's documented call).

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(PositionalBinding = $false)]
    [OutputType('AzsBackup.Configuration')]
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
