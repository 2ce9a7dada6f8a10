function Clear-AzsBackupConfiguration {
    <#
    .SYNOPSIS
    Resets the backup configuration to its defaults.

    .DESCRIPTION
    Removes the external location, credentials and certificate and returns to 12 hours and 7 days.
    Components and existing backups are kept.

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    Clear-AzsBackupConfiguration -Confirm:$false

    Resets the configuration without asking.
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
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
        if ($PSCmdlet.ShouldProcess('azsbackup controller', 'Reset the backup configuration')) {
            Invoke-AzsBackupEngine -Command 'config', 'clear' -Option $option -Caller $PSCmdlet | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Configuration'
        }
    }
}
