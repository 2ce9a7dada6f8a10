@{
    RootModule           = 'AzsBackup.psm1'
    ModuleVersion        = '0.2.0'
    GUID                 = '6f1c2a3e-8d4b-4e59-9b7a-2c1d0e5f4a37'
    Author               = 'azsbackup contributors'
    CompanyName          = 'azsbackup'
    Copyright            = '(c) azsbackup contributors. MIT License.'
    Description          = 'Operate azsbackup, the infrastructure backup service, from PowerShell: configuration, backups, restores, verification, alerts and jobs, locally or on remote hosts over WinRM.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FormatsToProcess     = @('AzsBackup.Format.ps1xml')
    FunctionsToExport    = @(
        'Add-AzsBackupComponent',
        'Clear-AzsBackupConfiguration',
        'Close-AzsBackupAlert',
        'Get-AzsBackup',
        'Get-AzsBackupAlert',
        'Get-AzsBackupComponent',
        'Get-AzsBackupConfiguration',
        'Get-AzsBackupExternalCopy',
        'Get-AzsBackupFleetStatus',
        'Get-AzsBackupJob',
        'Invoke-AzsPruneBackupLocationExternalStore',
        'New-AzsBackupEncryptionCertificate',
        'Remove-AzsBackup',
        'Remove-AzsBackupComponent',
        'Restore-AzsBackup',
        'Set-AzsBackupConfiguration',
        'Start-AzsBackup',
        'Test-AzsBackup',
        'Test-AzsBackupExternalCopy',
        'Test-AzsBackupLocation'
    )
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @(
        'Set-AzsBackupShare',
        'Get-AzsBackupLocation'
    )
    PrivateData          = @{
        PSData = @{
            Tags       = @('Backup', 'AzureStack', 'Infrastructure', 'Encryption', 'SMB')
            ProjectUri = 'https://pypi.org/project/azsbackup/'
        }
    }
}
