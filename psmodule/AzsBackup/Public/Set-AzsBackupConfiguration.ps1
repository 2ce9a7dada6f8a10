function Set-AzsBackupConfiguration {
    <#
    .SYNOPSIS
    Changes the backup configuration.

    .DESCRIPTION
    Sets the external location, its credentials, the encryption certificate and the schedule. Parameters
    that are not given keep their values, as with Azure Stack's Set-AzsBackupConfiguration. The password
    is sent to the engine on its standard input, never on a command line.

    .PARAMETER Path
    External location: \\server\share\folder, smb://server[:port]/share/folder or a local path.

    .PARAMETER Username
    Account for the share: DOMAIN\user or user@domain.

    .PARAMETER Password
    Password of the share account.

    .PARAMETER EncryptionCertPath
    Path of the certificate (.cer) backups are encrypted to.

    .PARAMETER IsBackupSchedulerEnabled
    Enables or disables scheduled backups.

    .PARAMETER BackupFrequencyInHours
    Hours between scheduled backups.

    .PARAMETER BackupRetentionPeriodInDays
    Days backups are kept.

    .PARAMETER AllowUnencryptedShare
    Allows SMB shares that cannot encrypt traffic (backups stay encrypted at rest).

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    Set-AzsBackupConfiguration -Path '\\fs01.contoso.com\AzSBackups\contoso\nyc' -Username 'CONTOSO\backupadmin' -Password $password -EncryptionCertPath C:\certs\AzSIBCCert.cer

    Configures the share, its credentials and the encryption certificate.

    .EXAMPLE
    Set-AzsBackupConfiguration -BackupFrequencyInHours 10 -BackupRetentionPeriodInDays 5

    Changes only the schedule; the path and credentials are kept.
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    [OutputType('AzsBackup.Configuration')]
    param(
        [Alias('BackupShare')]
        [string] $Path,

        [string] $Username,

        [securestring] $Password,

        [string] $EncryptionCertPath,

        [bool] $IsBackupSchedulerEnabled,

        [ValidateRange(4, 12)]
        [int] $BackupFrequencyInHours,

        [ValidateRange(2, 14)]
        [int] $BackupRetentionPeriodInDays,

        [bool] $AllowUnencryptedShare,

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
        if ($PSBoundParameters.ContainsKey('Path')) { $option['--path'] = $Path }
        if ($PSBoundParameters.ContainsKey('Username')) { $option['--username'] = $Username }
        if ($PSBoundParameters.ContainsKey('EncryptionCertPath')) { $option['--encryption-cert'] = $EncryptionCertPath }
        if ($PSBoundParameters.ContainsKey('IsBackupSchedulerEnabled')) {
            if ($IsBackupSchedulerEnabled) { $option['--scheduler'] = $true } else { $option['--no-scheduler'] = $true }
        }
        if ($PSBoundParameters.ContainsKey('BackupFrequencyInHours')) { $option['--frequency-hours'] = $BackupFrequencyInHours }
        if ($PSBoundParameters.ContainsKey('BackupRetentionPeriodInDays')) { $option['--retention-days'] = $BackupRetentionPeriodInDays }
        if ($PSBoundParameters.ContainsKey('AllowUnencryptedShare')) {
            if ($AllowUnencryptedShare) { $option['--allow-unencrypted'] = $true } else { $option['--require-encryption'] = $true }
        }
        if ($PSCmdlet.ShouldProcess('azsbackup controller', 'Change the backup configuration')) {
            Invoke-AzsBackupEngine -Command 'config', 'set' -Option $option -Secret @{ password = $Password } -Caller $PSCmdlet | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Configuration'
        }
    }
}
