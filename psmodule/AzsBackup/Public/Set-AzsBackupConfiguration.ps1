function Set-AzsBackupConfiguration {
    <#
    .SYNOPSIS
    Changes the backup configuration.

    .DESCRIPTION
    Sets the external location, its credentials, the encryption certificate and the schedule. Parameters
    that are not given keep their values, as with Azure Stack's Set-AzsBackupConfiguration; nothing is
    stored unless every given value is valid. The password goes to the engine on its standard input, never
    on a command line. Configuring a location for the first time turns the scheduler on, as in Azure Stack.
    Called as Set-AzsBackupShare (the earlier name) it warns that the name is deprecated.

    .PARAMETER Path
    The external location: \\server\share\folder (SMB 3), smb://server[:port]/share/folder, or a local path.
    -BackupShare is Azure Stack's earlier name for it.

    .PARAMETER UserName
    The share account: DOMAIN\user or user@domain.

    .PARAMETER Password
    The share account's password.

    .PARAMETER EncryptionCertPath
    The certificate (.cer, PEM or DER) backups are encrypted to. Keep its .pfx away from this host: restores
    need it.

    .PARAMETER IsBackupSchedulerEnabled
    Turns scheduled backups on ($true) or off ($false); the schedule and the settings are kept. Both
    -IsBackupSchedulerEnabled $false and -IsBackupSchedulerEnabled:$false work.

    .PARAMETER BackupFrequencyInHours
    Hours between scheduled backups, 4 to 12.

    .PARAMETER BackupRetentionPeriodInDays
    Days backups are kept, 2 to 14. Lowering it deletes older backups at the next backup.

    .PARAMETER AllowUnencryptedShare
    Allows SMB shares that cannot encrypt traffic ($true); backups stay encrypted at rest. $false requires
    SMB encryption again.

    .PARAMETER AsJob
    Runs the cmdlet as a background job and returns the job (Receive-Job gives the result). -NoWait, Azure
    Stack's name, does the same.

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
    Set-AzsBackupConfiguration -Path '\\fs01.contoso.com\AzSBackups\contoso.com\nyc' -UserName 'CONTOSO\backupadmin' -Password $password -EncryptionCertPath C:\certs\AzSIBCCert.cer

    Configures the share, its credentials and the encryption certificate.

    .EXAMPLE
    Set-AzsBackupConfiguration -BackupFrequencyInHours 10 -BackupRetentionPeriodInDays 5

    Changes only the schedule and the retention; the path and the credentials are kept.

    .EXAMPLE
    Set-AzsBackupConfiguration -IsBackupSchedulerEnabled $false

    Stops scheduled backups; on-demand backups still work.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium', PositionalBinding = $false)]
    [OutputType('AzsBackup.Configuration')]
    param(
        [Alias('BackupShare')]
        [ValidateNotNullOrEmpty()]
        [string] $Path,

        [string] $UserName,

        [securestring] $Password,

        [ValidateNotNullOrEmpty()]
        [string] $EncryptionCertPath,

        [bool] $IsBackupSchedulerEnabled,

        [ValidateRange(4, 12)]
        [int] $BackupFrequencyInHours,

        [ValidateRange(2, 14)]
        [int] $BackupRetentionPeriodInDays,

        [bool] $AllowUnencryptedShare,

        [Alias('NoWait')]
        [switch] $AsJob,

        [ValidateNotNullOrEmpty()]
        [string[]] $ComputerName,

        [pscredential] $Credential,

        [System.Management.Automation.Runspaces.PSSession[]] $Session,

        [ValidateRange(1, 1024)]
        [int] $ThrottleLimit
    )

    process {
        if ($PSCmdlet.ShouldProcess('azsbackup controller', 'Change the backup configuration')) {
            Invoke-AzsBackupCmdlet -Caller $PSCmdlet -BoundParameters $PSBoundParameters
        }
    }
}
