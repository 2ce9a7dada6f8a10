function Restore-AzsBackup {
    <#
    .SYNOPSIS
    Restores components from a backup.

    .DESCRIPTION
    Restores every component, or those named with -RoleName, where it came from or into -Destination. Needs
    the .pfx of a certificate the backup was encrypted to. Asks first unless -Force is given, as Azure
    Stack's Restore-AzsBackup does; existing data is replaced only with -Overwrite.

    .PARAMETER BackupId
    The backup, as Get-AzsBackup shows it (also from the BackupId of piped backups). -Name, Azure Stack's
    name, works too.

    .PARAMETER DecryptionCertPath
    The .pfx (or PEM key) of a certificate the backup was encrypted to.

    .PARAMETER DecryptionCertPassword
    The password of the .pfx.

    .PARAMETER ComponentName
    Restores only these components. -RoleName, Azure Stack's name, works too.

    .PARAMETER Destination
    Restores into Destination\<component> instead of where each component came from.

    .PARAMETER Overwrite
    Replaces existing data at the destination; without it a restore onto existing data fails.

    .PARAMETER PassThru
    Returns the restore result (its Status is Restored, with one entry per component).

    .PARAMETER Force
    Does not ask for confirmation.

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
    Restore-AzsBackup -Name $backupResourceName -DecryptionCertPath $decryptionCertPath -DecryptionCertPassword $decryptionCertPassword

    Restores a backup after asking (Azure Stack's documented call).

    .EXAMPLE
    Get-AzsBackup -BackupId 20261124T215012.345Z-9f3a01bc | Restore-AzsBackup -DecryptionCertPath C:\certs\backup.pfx -DecryptionCertPassword $pfxPassword -Destination D:\restore -Force -PassThru

    Restores a backup into D:\restore without asking, and returns the result.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High', PositionalBinding = $false)]
    [OutputType('AzsBackup.RestoreResult')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('Name', 'Id')]
        [ValidateNotNullOrEmpty()]
        [string] $BackupId,

        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $DecryptionCertPath,

        [securestring] $DecryptionCertPassword,

        [Alias('RoleName')]
        [ValidateNotNullOrEmpty()]
        [string[]] $ComponentName,

        [ValidateNotNullOrEmpty()]
        [string] $Destination,

        [switch] $Overwrite,

        [switch] $PassThru,

        [switch] $Force,

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
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) {
            $ConfirmPreference = 'None'
        }
        if ($PSCmdlet.ShouldProcess($BackupId, 'Restore the backup')) {
            Invoke-AzsBackupCmdlet -Caller $PSCmdlet -BoundParameters $PSBoundParameters
        }
    }
}
