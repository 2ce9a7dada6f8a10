function Get-AzsBackupJob {
    <#
    .SYNOPSIS
    Gets the job history.

    .DESCRIPTION
    Lists backups, exports, prunes, verifies and restores with their status, newest first, or shows one job
    with its result and events.

    .PARAMETER JobId
    Shows this job with its result and events.

    .PARAMETER Kind
    Only jobs of this kind.

    .PARAMETER Status
    Only jobs with this status.

    .PARAMETER Since
    Only jobs started at or after this time.

    .PARAMETER First
    At most this many jobs (50 when not given).

    .PARAMETER Skip
    Skips this many jobs first (paging).

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
    Get-AzsBackupJob -Status Failed -Since (Get-Date).AddDays(-7)

    Lists the failed jobs of the last week.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(DefaultParameterSetName = 'List', PositionalBinding = $false)]
    [OutputType('AzsBackup.Job')]
    param(
        [Parameter(Mandatory = $true, ParameterSetName = 'Get', Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('Id')]
        [ValidateNotNullOrEmpty()]
        [string] $JobId,

        [Parameter(ParameterSetName = 'List')]
        [ValidateSet('backup', 'export', 'prune', 'verify', 'restore', 'rekey')]
        [string] $Kind,

        [Parameter(ParameterSetName = 'List')]
        [ValidateSet('Running', 'Succeeded', 'PartialSucceeded', 'Failed', 'Skipped', 'Interrupted')]
        [string] $Status,

        [Parameter(ParameterSetName = 'List')]
        [datetime] $Since,

        [Parameter(ParameterSetName = 'List')]
        [ValidateRange(1, 10000)]
        [int] $First,

        [Parameter(ParameterSetName = 'List')]
        [ValidateRange(0, 2147483647)]
        [int] $Skip,

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
