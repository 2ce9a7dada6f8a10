function Test-AzsBackupLocation {
    <#
    .SYNOPSIS
    Tests the external location.

    .DESCRIPTION
    Connects and logs on, reports the SMB dialect and encryption, writes, reads back, renames and
    deletes a probe file, reports free space and whether the backups retention keeps will fit.

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    Test-AzsBackupLocation | Format-List

    Shows every check.
    #>
    [CmdletBinding()]
    [OutputType('AzsBackup.LocationTest')]
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
        Invoke-AzsBackupEngine -Command 'location', 'test' -Option $option -Caller $PSCmdlet | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.LocationTest'
    }
}
