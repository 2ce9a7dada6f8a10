function Remove-AzsBackup {
    <#
    .SYNOPSIS
    Deletes a backup from the internal store.

    .DESCRIPTION
    Deletes one backup. Copies already exported stay on the external location until retention removes them.

    .PARAMETER BackupId
    The backup, as Get-AzsBackup shows it (also from the BackupId of piped backups).

    .PARAMETER Force
    Does not ask for confirmation.

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
    Get-AzsBackup | Where-Object -Property Status -EQ -Value 'Failed' | Remove-AzsBackup -Force

    Deletes every failed backup without asking.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High', PositionalBinding = $false)]
    [OutputType('AzsBackup.BackupRemoval')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('Name', 'Id')]
        [ValidateNotNullOrEmpty()]
        [string] $BackupId,

        [switch] $Force,

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
        if ($PSCmdlet.ShouldProcess($BackupId, 'Delete the backup')) {
            Invoke-AzsBackupCmdlet -Caller $PSCmdlet -BoundParameters $PSBoundParameters
        }
    }
}
