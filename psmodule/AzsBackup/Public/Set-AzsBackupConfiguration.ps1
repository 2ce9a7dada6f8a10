function Set-AzsBackupConfiguration {
    <#
    .SYNOPSIS
    Changes the backup configuration.

    .DESCRIPTION
    Sets the external location (an SMB share, a local path, or an Azure Blob container with -BlobStorageUrl
    and -BlobStorageKey), its credentials, the encryption certificate and the schedule. Parameters
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

    .PARAMETER BlobStorageUrl
    An Azure Blob container as the external location, as in Azure Stack's 2021-09-01 API:
    https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX], an Azure Stack Hub storage account
    (https://ACCOUNT.blob.REGION.FQDN/CONTAINER), or path style https://HOST[:PORT]/ACCOUNT/CONTAINER. The
    container must exist. Not with -Path, -UserName or -Password; a share's user name is dropped.

    .PARAMETER BlobStorageKey
    The storage account's key, or a SAS token with the permissions r, w, d and l on the container. It goes
    to the engine on its standard input, never on a command line.

    .PARAMETER AllowInsecureHttp
    Allows a -BlobStorageUrl on plain http:// ($true), for emulators and test setups; the engine warns.
    $false requires https again.

    .PARAMETER BlobApiVersion
    The blob REST API version to ask for (default 2019-02-02, which Azure, Azure Stack Hub and the Azurite
    emulator serve); an empty string goes back to the default.

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

    .PARAMETER ReadBack
    Every file written, in the internal store and on the external location, is read back and its SHA-256
    compared before the file gets its name ($true); off by default ($false): the stored copies are proven by
    Test-AzsBackup (the internal store) and Test-AzsBackupExternalCopy (the external location; the scheduler
    runs it after each scheduled backup). -ReadBack $false and -ReadBack:$false both work.

    .PARAMETER VerifyMaxBytes
    Bytes of exported copies the scheduler reads back after each scheduled backup (Test-AzsBackupExternalCopy
    with the configured budget): 10GB, 500GB (PowerShell's 1024-based multipliers, as the engine's). The
    default is 10 GiB; 0 turns the scheduled verification off.

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
    Set-AzsBackupConfiguration -BlobStorageUrl https://contosobackup.blob.local.azurestack.external/azsbackups -BlobStorageKey (Read-Host -AsSecureString) -EncryptionCertPath C:\certs\AzSIBCCert.cer

    Exports the backups to a blob container of an Azure Stack Hub storage account, with its key.

    .EXAMPLE
    Set-AzsBackupConfiguration -BackupFrequencyInHours 10 -BackupRetentionPeriodInDays 5

    Changes only the schedule and the retention; the path and the credentials are kept.

    .EXAMPLE
    Set-AzsBackupConfiguration -IsBackupSchedulerEnabled $false

    Stops scheduled backups; on-demand backups still work.

    .EXAMPLE
    Set-AzsBackupConfiguration -VerifyMaxBytes 200GB -ReadBack $false

    Reads back up to 200 GiB of exported copies after each scheduled backup, and writes backups and exports
    without an inline read-back.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(DefaultParameterSetName = 'FileShare', SupportsShouldProcess = $true, ConfirmImpact = 'Medium', PositionalBinding = $false)]
    [OutputType('AzsBackup.Configuration')]
    param(
        [Parameter(ParameterSetName = 'FileShare')]
        [Alias('BackupShare')]
        [ValidateNotNullOrEmpty()]
        [string] $Path,

        [Parameter(ParameterSetName = 'FileShare')]
        [string] $UserName,

        [Parameter(ParameterSetName = 'FileShare')]
        [securestring] $Password,

        [Parameter(Mandatory = $true, ParameterSetName = 'Blob')]
        [ValidateNotNullOrEmpty()]
        [string] $BlobStorageUrl,

        [Parameter(ParameterSetName = 'Blob')]
        [securestring] $BlobStorageKey,

        [Parameter(ParameterSetName = 'Blob')]
        [bool] $AllowInsecureHttp,

        [Parameter(ParameterSetName = 'Blob')]
        [string] $BlobApiVersion,

        [ValidateNotNullOrEmpty()]
        [string] $EncryptionCertPath,

        [bool] $IsBackupSchedulerEnabled,

        [ValidateRange(4, 12)]
        [int] $BackupFrequencyInHours,

        [ValidateRange(2, 14)]
        [int] $BackupRetentionPeriodInDays,

        [bool] $AllowUnencryptedShare,

        [bool] $ReadBack,

        [ValidateRange(0, 999999999999999)]
        [long] $VerifyMaxBytes,

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
