function Start-AzsBackup {
    <#
    .SYNOPSIS
    Starts a backup now.

    .DESCRIPTION
    Backs up every registered component into the internal store and exports it to the external location. An
    on-demand backup does not move the next scheduled backup. Returns the backup: BackupId, Status,
    CreatedDateTime, TimeTakenToCreate, RoleStatus (one entry per component) and IsCloudRecoveryReady. A
    backup that ends PartialSucceeded or Failed, or whose export failed, also writes an error.

    .PARAMETER Force
    Does not ask for confirmation.

    .PARAMETER NoWait
    Returns as soon as the backup has started, without waiting for it to finish, with the JobId to follow it
    with Get-AzsBackupJob (Start-AzsBackup -NoWait | Get-AzsBackupJob).

    .PARAMETER AsJob
    Runs the backup as a background job and returns the job; Receive-Job gives the backup.

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
    Start-AzsBackup -Force

    Starts a backup and waits for it (Azure Stack's documented call).

    .EXAMPLE
    $job = Start-AzsBackup -Force -AsJob; Receive-Job -Job $job -Wait

    Starts a backup in the background and then waits for its result.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(DefaultParameterSetName = 'Wait', SupportsShouldProcess = $true, ConfirmImpact = 'Medium', PositionalBinding = $false)]
    [OutputType('AzsBackup.Backup')]
    param(
        [switch] $Force,

        [Parameter(Mandatory = $true, ParameterSetName = 'NoWait')]
        [switch] $NoWait,

        [Parameter(ParameterSetName = 'Wait')]
        [switch] $AsJob,

        [ValidateNotNullOrEmpty()]
        [string[]] $ComputerName,

        [pscredential] $Credential,

        [System.Management.Automation.Runspaces.PSSession[]] $Session,

        [ValidateRange(1, 1024)]
        [int] $ThrottleLimit
    )

    process {
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) {
            $ConfirmPreference = 'None'
        }
        if ($PSCmdlet.ShouldProcess('azsbackup controller', 'Start a backup')) {
            Invoke-AzsBackupCmdlet -Caller $PSCmdlet -BoundParameters $PSBoundParameters
        }
    }
}
