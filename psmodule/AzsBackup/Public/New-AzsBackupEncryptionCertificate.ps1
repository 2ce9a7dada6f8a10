function New-AzsBackupEncryptionCertificate {
    <#
    .SYNOPSIS
    Creates an encryption certificate pair.

    .DESCRIPTION
    Creates a self-signed RSA certificate: Name.cer to configure with Set-AzsBackupConfiguration and the
    password-protected Name.pfx that restores need. Keep the .pfx and its password safe, away from this
    host.

    .PARAMETER Name
    File name stem of the .cer and .pfx.

    .PARAMETER OutputDirectory
    Where to write the files.

    .PARAMETER Password
    Password protecting the .pfx (8 characters or more).

    .PARAMETER ValidityDays
    Days the certificate is valid.

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    New-AzsBackupEncryptionCertificate -Name backup-2026 -OutputDirectory C:\certs -Password (Read-Host -AsSecureString)

    Creates C:\certs\backup-2026.cer and .pfx.
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    [OutputType('AzsBackup.Certificate')]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Name,

        [Parameter(Mandatory = $true)]
        [string] $OutputDirectory,

        [Parameter(Mandatory = $true)]
        [securestring] $Password,

        [ValidateRange(1, 3650)]
        [int] $ValidityDays,

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
        if ($PSBoundParameters.ContainsKey('Name')) { $option['--name'] = $Name }
        if ($PSBoundParameters.ContainsKey('OutputDirectory')) { $option['--out-dir'] = $OutputDirectory }
        if ($PSBoundParameters.ContainsKey('ValidityDays')) { $option['--days'] = $ValidityDays }
        if ($PSCmdlet.ShouldProcess($Name, 'Create the certificate files')) {
            Invoke-AzsBackupEngine -Command 'cert', 'new' -Option $option -Secret @{ password = $Password } -Caller $PSCmdlet | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Certificate'
        }
    }
}
