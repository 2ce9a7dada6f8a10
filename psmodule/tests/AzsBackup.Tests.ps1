# Pester 5 tests for people who have PowerShell: argument mapping, ShouldProcess, pipeline binding and error
# mapping, with the engine mocked. (CI has no PowerShell; tests/psmodule/ checks the module statically.)

BeforeAll {
    Import-Module -Name (Join-Path -Path $PSScriptRoot -ChildPath '..\AzsBackup\AzsBackup.psd1') -Force
}

Describe 'Set-AzsBackupConfiguration' {
    BeforeEach {
        Mock -ModuleName 'AzsBackup' -CommandName 'Invoke-AzsBackupEngine' -MockWith { [pscustomobject]@{ path = 'x' } }
    }

    It 'passes only the given settings, and the password as a secret' {
        $password = ConvertTo-SecureString -String 'S3cret!' -AsPlainText -Force
        Set-AzsBackupConfiguration -BackupFrequencyInHours 10 -Password $password -Confirm:$false
        Should -Invoke -ModuleName 'AzsBackup' -CommandName 'Invoke-AzsBackupEngine' -Times 1 -ParameterFilter {
            ($Command -join ' ') -eq 'config set' -and
            $Option['--frequency-hours'] -eq 10 -and
            -not $Option.Contains('--retention-days') -and
            $Secret['password'] -is [securestring]
        }
    }

    It 'rejects a frequency outside 4-12 before calling the engine' {
        { Set-AzsBackupConfiguration -BackupFrequencyInHours 13 -Confirm:$false } | Should -Throw
        Should -Invoke -ModuleName 'AzsBackup' -CommandName 'Invoke-AzsBackupEngine' -Times 0
    }

    It 'does nothing with -WhatIf' {
        Set-AzsBackupConfiguration -BackupRetentionPeriodInDays 5 -WhatIf
        Should -Invoke -ModuleName 'AzsBackup' -CommandName 'Invoke-AzsBackupEngine' -Times 0
    }

    It 'maps -IsBackupSchedulerEnabled:$false to --no-scheduler' {
        Set-AzsBackupConfiguration -IsBackupSchedulerEnabled:$false -Confirm:$false
        Should -Invoke -ModuleName 'AzsBackup' -CommandName 'Invoke-AzsBackupEngine' -ParameterFilter {
            $Option['--no-scheduler'] -eq $true -and -not $Option.Contains('--scheduler')
        }
    }
}

Describe 'Restore-AzsBackup' {
    It 'takes the backup id from Get-AzsBackup through the pipeline' {
        Mock -ModuleName 'AzsBackup' -CommandName 'Invoke-AzsBackupEngine' -MockWith { [pscustomobject]@{ status = 'Restored' } }
        $backup = [pscustomobject]@{ PSTypeName = 'AzsBackup.Backup'; Id = '20261124T215012.345Z-9f3a01bc' }
        $backup | Restore-AzsBackup -DecryptionCertPath 'C:\certs\b.pfx' -Confirm:$false
        Should -Invoke -ModuleName 'AzsBackup' -CommandName 'Invoke-AzsBackupEngine' -ParameterFilter {
            $Argument -contains '20261124T215012.345Z-9f3a01bc' -and $Option['--key'] -eq 'C:\certs\b.pfx'
        }
    }
}

Describe 'New-AzsBackupErrorRecord' {
    It 'carries the engine code in the FullyQualifiedErrorId' {
        InModuleScope 'AzsBackup' {
            $record = New-AzsBackupErrorRecord -EngineError ([pscustomobject]@{
                    code = 'authentication-failed'; message = 'rejected'; hint = 'check the password'; exit_code = 12 })
            $record.FullyQualifiedErrorId | Should -Be 'AzsBackup.authentication-failed'
            $record.CategoryInfo.Category | Should -Be 'AuthenticationError'
            $record.ErrorDetails.RecommendedAction | Should -Be 'check the password'
        }
    }
}

Describe 'Module' {
    It 'exports exactly the public cmdlets and the two Azure Stack aliases' {
        $module = Get-Module -Name 'AzsBackup'
        $module.ExportedFunctions.Keys | Should -Contain 'Start-AzsBackup'
        $module.ExportedAliases.Keys | Should -Be @('Get-AzsBackupLocation', 'Set-AzsBackupShare')
    }
}
