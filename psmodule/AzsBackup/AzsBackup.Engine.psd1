# Generated from azsbackup/pwsh/table.py by scripts/update-docs.py; do not edit.
# For each cmdlet: the parameters the module sends to the engine (python -m azsbackup.pwsh), those it
# resolves through the PowerShell provider on a local run (ProviderPaths always; LocationPaths unless
# \\server\share or scheme://), and the credential parameter that is for remoting.
@{
    Cmdlets           = @{
        'Add-AzsBackupComponent' = @{
            EngineParameters = @('Name', 'Type', 'Path', 'Include', 'Exclude', 'DumpCommand', 'RestoreCommand', 'TimeoutSeconds', 'TargetHost', 'RemotePath', 'RemoteCredential', 'RemotePort', 'RemoteCaCertPath', 'RemoteAuthentication')
            ProviderPaths    = @('Path', 'RemoteCaCertPath')
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Clear-AzsBackupConfiguration' = @{
            EngineParameters = @()
            ProviderPaths    = @()
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Close-AzsBackupAlert' = @{
            EngineParameters = @('AlertId')
            ProviderPaths    = @()
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Get-AzsBackup' = @{
            EngineParameters = @('External', 'BackupId')
            ProviderPaths    = @()
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Get-AzsBackupAlert' = @{
            EngineParameters = @('All')
            ProviderPaths    = @()
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Get-AzsBackupComponent' = @{
            EngineParameters = @()
            ProviderPaths    = @()
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Get-AzsBackupConfiguration' = @{
            EngineParameters = @()
            ProviderPaths    = @()
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Get-AzsBackupExternalCopy' = @{
            EngineParameters = @()
            ProviderPaths    = @()
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Get-AzsBackupFleetStatus' = @{
            EngineParameters = @()
            ProviderPaths    = @()
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Get-AzsBackupJob' = @{
            EngineParameters = @('Kind', 'Status', 'Since', 'First', 'Skip', 'JobId')
            ProviderPaths    = @()
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Invoke-AzsPruneBackupLocationExternalStore' = @{
            EngineParameters = @('OperationType')
            ProviderPaths    = @()
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'New-AzsBackupEncryptionCertificate' = @{
            EngineParameters = @('Name', 'OutputDirectory', 'Password', 'ValidityDays', 'KeySize')
            ProviderPaths    = @('OutputDirectory')
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Remove-AzsBackup' = @{
            EngineParameters = @('BackupId')
            ProviderPaths    = @()
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Remove-AzsBackupComponent' = @{
            EngineParameters = @('Name')
            ProviderPaths    = @()
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Restore-AzsBackup' = @{
            EngineParameters = @('BackupId', 'DecryptionCertPath', 'DecryptionCertPassword', 'ComponentName', 'Destination', 'Overwrite', 'PassThru')
            ProviderPaths    = @('DecryptionCertPath', 'Destination')
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Set-AzsBackupConfiguration' = @{
            EngineParameters = @('Path', 'UserName', 'Password', 'EncryptionCertPath', 'IsBackupSchedulerEnabled', 'BackupFrequencyInHours', 'BackupRetentionPeriodInDays', 'AllowUnencryptedShare', 'ReadBack', 'VerifyMaxBytes', 'BlobStorageUrl', 'BlobStorageKey', 'AllowInsecureHttp', 'BlobApiVersion')
            ProviderPaths    = @('EncryptionCertPath', 'EncryptionCertPath')
            LocationPaths    = @('Path', 'BlobStorageUrl')
            RemoteCredential = 'Credential'
        }
        'Start-AzsBackup' = @{
            EngineParameters = @('NoWait')
            ProviderPaths    = @()
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Test-AzsBackup' = @{
            EngineParameters = @('BackupId', 'Deep', 'DecryptionCertPath', 'DecryptionCertPassword')
            ProviderPaths    = @('DecryptionCertPath')
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Test-AzsBackupExternalCopy' = @{
            EngineParameters = @('MaxBytes', 'All', 'BackupId')
            ProviderPaths    = @()
            LocationPaths    = @()
            RemoteCredential = 'Credential'
        }
        'Test-AzsBackupLocation' = @{
            EngineParameters = @('Path', 'Credential')
            ProviderPaths    = @()
            LocationPaths    = @('Path')
            RemoteCredential = 'ComputerCredential'
        }
    }
    DeprecatedAliases = @{
        'Get-AzsBackupLocation' = 'Get-AzsBackupConfiguration'
        'Set-AzsBackupShare' = 'Set-AzsBackupConfiguration'
    }
}
