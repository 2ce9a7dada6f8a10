function Close-AzsBackupAlert {
    <#
    .SYNOPSIS
    Closes an alert.

    .DESCRIPTION
    Closes an active alert by hand. Backup-failure alerts also close by themselves after a successful
    backup.

    .PARAMETER Id
    The alert id (also accepted from the pipeline).

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    Get-AzsBackupAlert | Where-Object Code -eq 'backup-skipped' | Close-AzsBackupAlert

    Closes the backup-skipped alert.
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    [OutputType('AzsBackup.Alert')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [int] $Id,

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
        if ($PSCmdlet.ShouldProcess($Id, 'Close the alert')) {
            Invoke-AzsBackupEngine -Command 'alert', 'close' -Argument $Id -Option $option -Caller $PSCmdlet | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Alert'
        }
    }
}
