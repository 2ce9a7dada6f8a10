function Invoke-AzsPruneBackupLocationExternalStore {
    <#
    .SYNOPSIS
    Removes leftovers of interrupted writes.

    .DESCRIPTION
    Lists (-Mode DryRun) or deletes (-Mode Default) incomplete backups, temporary files and files no
    manifest names, in the internal store and on the external location.

    .PARAMETER Mode
    DryRun lists what would be deleted; Default deletes it.

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    Invoke-AzsPruneBackupLocationExternalStore -Mode DryRun

    Lists what a prune would delete.
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    [OutputType('AzsBackup.PruneResult')]
    param(
        [Alias('OperationType')]
        [ValidateSet('DryRun', 'Default')]
        [string] $Mode,

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
        if ($Mode -ne 'Default') { $option['--dry-run'] = $true }
        if ($PSCmdlet.ShouldProcess('azsbackup controller', 'Delete leftovers of interrupted writes')) {
            Invoke-AzsBackupEngine -Command 'prune' -Option $option -Caller $PSCmdlet | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.PruneResult'
        }
    }
}
