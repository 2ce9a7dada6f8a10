function Get-AzsBackupJob {
    <#
    .SYNOPSIS
    Gets the job history.

    .DESCRIPTION
    Lists backups, exports, prunes, verifies and restores with their status, newest first, or shows one
    job with its events.

    .PARAMETER Id
    Shows this job with its events.

    .PARAMETER Kind
    Only jobs of this kind.

    .PARAMETER Status
    Only jobs with this status.

    .PARAMETER Since
    Only jobs started at or after this time.

    .PARAMETER First
    At most this many jobs.

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    Get-AzsBackupJob -Status Failed -Since (Get-Date).AddDays(-7)

    Lists the failed jobs of the last week.
    #>
    [CmdletBinding()]
    [OutputType('AzsBackup.Job')]
    param(
        [Parameter(Position = 0)]
        [string] $Id,

        [ValidateSet('backup', 'export', 'prune', 'verify', 'restore', 'rekey')]
        [string] $Kind,

        [ValidateSet('Running', 'Succeeded', 'PartialSucceeded', 'Failed', 'Skipped', 'Interrupted')]
        [string] $Status,

        [datetime] $Since,

        [ValidateRange(1, 10000)]
        [int] $First,

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
        if ($PSBoundParameters.ContainsKey('Kind')) { $option['--kind'] = $Kind }
        if ($PSBoundParameters.ContainsKey('Status')) { $option['--status'] = $Status }
        if ($PSBoundParameters.ContainsKey('Since')) { $option['--since'] = $Since.ToUniversalTime().ToString('o') }
        if ($PSBoundParameters.ContainsKey('First')) { $option['--limit'] = $First }
        if ($Id) {
            Invoke-AzsBackupEngine -Command 'job', 'show' -Argument $Id -Caller $PSCmdlet | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Job'
            return
        }
        $result = Invoke-AzsBackupEngine -Command 'job', 'list' -Option $option -Caller $PSCmdlet
        $result.jobs | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Job'
    }
}
