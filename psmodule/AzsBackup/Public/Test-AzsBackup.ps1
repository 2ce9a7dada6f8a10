function Test-AzsBackup {
    <#
    .SYNOPSIS
    Verifies a backup.

    .DESCRIPTION
    Checks the manifest's signature and signer, the sizes and the SHA-256 of every archive, without any key.
    With -Deep and the decryption certificate it also decrypts and reads everything: a restore drill that
    writes nothing.

    .PARAMETER BackupId
    The backup, as Get-AzsBackup shows it (also from the BackupId of piped backups).

    .PARAMETER Deep
    Also decrypts and reads every archive (needs -DecryptionCertPath).

    .PARAMETER DecryptionCertPath
    The .pfx (or PEM key) of a certificate the backup was encrypted to.

    .PARAMETER DecryptionCertPassword
    The password of the .pfx.

    .PARAMETER AsJob
    Runs the verification as a background job and returns the job.

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
    Get-AzsBackup | Test-AzsBackup

    Verifies every backup.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(PositionalBinding = $false)]
    [OutputType('AzsBackup.Verification')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('Name', 'Id')]
        [ValidateNotNullOrEmpty()]
        [string] $BackupId,

        [switch] $Deep,

        [ValidateNotNullOrEmpty()]
        [string] $DecryptionCertPath,

        [securestring] $DecryptionCertPassword,

        [switch] $AsJob,

        [ValidateNotNullOrEmpty()]
        [string[]] $ComputerName,

        [pscredential] $Credential,

        [System.Management.Automation.Runspaces.PSSession[]] $Session,

        [ValidateRange(1, 1024)]
        [int] $ThrottleLimit
    )

    process {
        Invoke-AzsBackupCmdlet -Caller $PSCmdlet -BoundParameters $PSBoundParameters
    }
}
