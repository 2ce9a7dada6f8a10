function Restore-AzsBackup {
    <#
    .SYNOPSIS
    Restores components from a backup.

    .DESCRIPTION
    Restores every component (or those named) where they came from, or into -Destination. Needs the .pfx
    of a certificate the backup was encrypted to. Existing data is replaced only with -Force.

    .PARAMETER Id
    The backup id, as Get-AzsBackup shows it (also accepted from the pipeline).

    .PARAMETER ComponentName
    Restores only these components (Azure Stack's -RoleName).

    .PARAMETER DecryptionCertPath
    The .pfx (or PEM key) of a certificate the backup was encrypted to.

    .PARAMETER DecryptionCertPassword
    Password of the .pfx.

    .PARAMETER Destination
    Restores into Destination\<component> instead of the original places.

    .PARAMETER Force
    Replaces existing data at the destination.

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    Get-AzsBackup -Id 20261124T215012.345Z-9f3a01bc | Restore-AzsBackup -DecryptionCertPath C:\certs\backup.pfx -DecryptionCertPassword $pfxPassword -Destination D:\restore

    Restores a backup into D:\restore.
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    [OutputType('AzsBackup.RestoreResult')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('BackupId', 'Name')]
        [string] $Id,

        [Alias('RoleName')]
        [string[]] $ComponentName,

        [Parameter(Mandatory = $true)]
        [string] $DecryptionCertPath,

        [securestring] $DecryptionCertPassword,

        [string] $Destination,

        [switch] $Force,

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
        if ($PSBoundParameters.ContainsKey('ComponentName')) { $option['--component'] = $ComponentName }
        if ($PSBoundParameters.ContainsKey('DecryptionCertPath')) { $option['--key'] = $DecryptionCertPath }
        if ($PSBoundParameters.ContainsKey('Destination')) { $option['--to'] = $Destination }
        if ($Force) { $option['--force'] = $true }
        if ($PSCmdlet.ShouldProcess($Id, 'Restore the backup')) {
            Invoke-AzsBackupEngine -Command 'restore' -Argument $Id -Option $option -Secret @{ key_password = $DecryptionCertPassword } -Caller $PSCmdlet | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.RestoreResult'
        }
    }
}
