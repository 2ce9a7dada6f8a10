function New-AzsBackupEncryptionCertificate {
    <#
    .SYNOPSIS
    Creates an encryption certificate pair.

    .DESCRIPTION
    Creates a self-signed RSA certificate: Name.cer, to configure with Set-AzsBackupConfiguration
    -EncryptionCertPath, and the password-protected Name.pfx that restores need. Keep the .pfx and its
    password safe, away from this host: without them the backups cannot be restored.

    .PARAMETER Name
    The file name stem of the .cer and the .pfx.

    .PARAMETER OutputDirectory
    Where to write the two files.

    .PARAMETER Password
    The password protecting the .pfx (8 characters or more).

    .PARAMETER ValidityDays
    Days the certificate is valid, 1 to 3650 (730 when not given).

    .PARAMETER KeySize
    RSA key size in bits: 3072 (when not given) or 4096.

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
    New-AzsBackupEncryptionCertificate -Name backup-2026 -OutputDirectory C:\certs -Password (Read-Host -AsSecureString)

    Creates C:\certs\backup-2026.cer and C:\certs\backup-2026.pfx.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium', PositionalBinding = $false)]
    [OutputType('AzsBackup.Certificate')]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $OutputDirectory,

        [Parameter(Mandatory = $true)]
        [securestring] $Password,

        [ValidateRange(1, 3650)]
        [int] $ValidityDays,

        [ValidateSet('3072', '4096')]
        [string] $KeySize,

        [ValidateNotNullOrEmpty()]
        [string[]] $ComputerName,

        [pscredential] $Credential,

        [System.Management.Automation.Runspaces.PSSession[]] $Session,

        [ValidateRange(1, 1024)]
        [int] $ThrottleLimit
    )

    process {
        if ($PSCmdlet.ShouldProcess($Name, 'Create the certificate files')) {
            Invoke-AzsBackupCmdlet -Caller $PSCmdlet -BoundParameters $PSBoundParameters
        }
    }
}
