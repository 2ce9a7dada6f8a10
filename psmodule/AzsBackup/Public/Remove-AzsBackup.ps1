function Remove-AzsBackup {
    <#
    .SYNOPSIS
    Deletes a backup from the internal store.

    .DESCRIPTION
    Deletes one backup. Backups already exported stay on the external location until retention removes
    them.

    .PARAMETER Id
    The backup id, as Get-AzsBackup shows it (also accepted from the pipeline).

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    Get-AzsBackup | Where-Object Status -eq 'Failed' | Remove-AzsBackup -Confirm:$false

    Deletes every failed backup.
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    [OutputType('AzsBackup.Removal')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('BackupId', 'Name')]
        [string] $Id,

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
        if ($PSCmdlet.ShouldProcess($Id, 'Delete the backup')) {
            Invoke-AzsBackupEngine -Command 'backup', 'delete' -Argument $Id -Option $option -Caller $PSCmdlet | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Removal'
        }
    }
}
