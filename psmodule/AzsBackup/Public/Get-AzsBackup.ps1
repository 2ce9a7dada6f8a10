function Get-AzsBackup {
    <#
    .SYNOPSIS
    Gets backups.

    .DESCRIPTION
    Lists the complete backups of the internal store (or, with -External, of the external location), or
    one backup with its components.

    .PARAMETER Id
    Shows only this backup, with its components.

    .PARAMETER External
    Lists the backups on the external location (recovery on a new controller).

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    Get-AzsBackup | Where-Object Status -ne 'Succeeded'

    Lists backups that did not fully succeed.
    #>
    [CmdletBinding()]
    [OutputType('AzsBackup.Backup')]
    param(
        [Parameter(Position = 0)]
        [Alias('BackupId', 'Name')]
        [string] $Id,

        [switch] $External,

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
        if ($External) { $option['--external'] = $true }
        if ($Id) {
            Invoke-AzsBackupEngine -Command 'backup', 'show' -Argument $Id -Caller $PSCmdlet | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Backup'
            return
        }
        $result = Invoke-AzsBackupEngine -Command 'backup', 'list' -Option $option -Caller $PSCmdlet
        $result.backups | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Backup'
    }
}
