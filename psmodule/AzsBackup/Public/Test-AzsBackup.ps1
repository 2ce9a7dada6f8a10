function Test-AzsBackup {
    <#
    .SYNOPSIS
    Verifies a backup.

    .DESCRIPTION
    Checks the manifest signature, trust, sizes and SHA-256 of every archive without any key. With -Deep
    and a decryption certificate, also decrypts and reads everything (a restore drill that writes
    nothing).

    .PARAMETER Id
    The backup id, as Get-AzsBackup shows it (also accepted from the pipeline).

    .PARAMETER Deep
    Decrypt and read every archive.

    .PARAMETER DecryptionCertPath
    The .pfx (or PEM key) for -Deep.

    .PARAMETER DecryptionCertPassword
    Password of the .pfx.

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    Get-AzsBackup | Test-AzsBackup

    Verifies every backup.
    #>
    [CmdletBinding()]
    [OutputType('AzsBackup.Verification')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('BackupId', 'Name')]
        [string] $Id,

        [switch] $Deep,

        [string] $DecryptionCertPath,

        [securestring] $DecryptionCertPassword,

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
        if ($Deep) { $option['--deep'] = $true }
        if ($PSBoundParameters.ContainsKey('DecryptionCertPath')) { $option['--key'] = $DecryptionCertPath }
        Invoke-AzsBackupEngine -Command 'backup', 'verify' -Argument $Id -Option $option -Secret @{ key_password = $DecryptionCertPassword } -Caller $PSCmdlet | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Verification'
    }
}
