function Get-AzsBackupConfiguration {
    <#
    .SYNOPSIS
    Gets the backup configuration.

    .DESCRIPTION
    Shows the external location, user name, certificate thumbprint, schedule, retention and the
    controller's signing-key fingerprint. The password is never returned.

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    Get-AzsBackupConfiguration | Select-Object Path, UserName, BackupFrequencyInHours, BackupRetentionPeriodInDays

    Shows where backups go and how often.
    #>
    [CmdletBinding()]
    [OutputType('AzsBackup.Configuration')]
    param(
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
        Invoke-AzsBackupEngine -Command 'config', 'get' -Option $option -Caller $PSCmdlet | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Configuration'
    }
}
