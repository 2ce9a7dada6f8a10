# Pester 5 tests of the AzsBackup module for those who have PowerShell (Windows PowerShell 5.1 or PowerShell 7)
# and the engine (pip install azsbackup, or a checkout with $env:AZSBACKUP_PYTHON set to its Python).
# CI has no PowerShell: tests/psmodule/ checks the module statically there. Run: Invoke-Pester psmodule/tests
#
# Each Describe covers one defect the static checks were built for; the engine is the real one, in a
# controller directory of its own under TestDrive:, except where a broken engine is the point.

BeforeAll {
    Import-Module -Name (Join-Path -Path $PSScriptRoot -ChildPath '..\AzsBackup\AzsBackup.psd1') -Force
    $script:controllerHome = Join-Path -Path $TestDrive -ChildPath 'controller'
    $env:AZSBACKUP_HOME = $script:controllerHome
    $script:pfxPassword = ConvertTo-SecureString -String 'Pässwört-密码-🔑' -AsPlainText -Force
    Push-Location -Path $TestDrive
    $script:certificate = New-AzsBackupEncryptionCertificate -Name 'pester' -OutputDirectory '.\certs' -Password $script:pfxPassword -Confirm:$false
    Set-AzsBackupConfiguration -EncryptionCertPath '.\certs\pester.cer' -Confirm:$false | Out-Null
    $tree = New-Item -ItemType Directory -Path (Join-Path -Path $TestDrive -ChildPath 'Données-数据') -Force
    Set-Content -Path (Join-Path -Path $tree.FullName -ChildPath 'fichier.txt') -Value 'contenu'
    Add-AzsBackupComponent -Name 'tree' -Type 'directory' -Path $tree.FullName -Confirm:$false | Out-Null
    Pop-Location

    # A "Python" that fails before it prints anything, as a wrong interpreter or an ImportError would.
    $script:brokenPython = if ($IsLinux -or $IsMacOS) {
        $path = Join-Path -Path $TestDrive -ChildPath 'broken-python'
        Set-Content -Path $path -Value "#!/bin/sh`necho 'ImportError: No module named azsbackup' >&2`nexit 3"
        chmod +x $path
        $path
    }
    else {
        $path = Join-Path -Path $TestDrive -ChildPath 'broken-python.cmd'
        Set-Content -Path $path -Value "@echo ImportError: No module named azsbackup 1>&2`r`n@exit /b 3"
        $path
    }
}

AfterAll {
    Remove-Item -Path Env:\AZSBACKUP_HOME -ErrorAction SilentlyContinue
}

Describe 'Defect 1: every engine read is safe under Set-StrictMode -Version Latest' {
    It 'returns the configuration with Azure''s property names and no error' {
        Set-StrictMode -Version Latest
        $configuration = Get-AzsBackupConfiguration -ErrorVariable errors
        $errors | Should -BeNullOrEmpty
        $configuration.BackupFrequencyInHours | Should -Be 12
        $configuration.BackupRetentionPeriodInDays | Should -Be 7
        $configuration.EncryptionCertThumbprint | Should -Be $script:certificate.Thumbprint
        $configuration.PSObject.TypeNames[0] | Should -Be 'AzsBackup.Configuration'
        $names = @('Path', 'UserName', 'AvailableCapacity', 'BackupFrequencyInHours', 'BackupRetentionPeriodInDays',
            'IsBackupSchedulerEnabled', 'EncryptionCertThumbprint', 'NextBackupTime', 'LastBackupTime')
        ($configuration | Select-Object -Property $names).PSObject.Properties.Name.Count | Should -Be 9
    }

    It 'writes progress and returns a backup with its Azure properties' {
        Set-StrictMode -Version Latest
        $backup = Start-AzsBackup -Force
        $backup.Status | Should -Be 'Succeeded'
        $backup.TimeTakenToCreate | Should -Match '^PT'
        $backup.CreatedDateTime | Should -BeOfType [datetime]
        $backup.RoleStatus.RoleName | Should -Contain 'tree'
    }
}

Describe 'Defect 2: every non-zero exit gives an ErrorRecord' {
    It 'reports an engine that prints nothing, with its standard error' {
        $saved = $env:AZSBACKUP_PYTHON
        try {
            $env:AZSBACKUP_PYTHON = $script:brokenPython
            $result = Get-AzsBackupConfiguration -ErrorVariable errors -ErrorAction SilentlyContinue
        }
        finally {
            $env:AZSBACKUP_PYTHON = $saved
        }
        $result | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'AzsBackup.engine-failed*'
        $errors[0].Exception.Message | Should -BeLike '*ImportError*'
    }

    It 'returns a failed backup and an ErrorRecord' {
        Add-AzsBackupComponent -Name 'gone' -Type 'directory' -Path (Join-Path -Path $TestDrive -ChildPath 'missing') -Confirm:$false | Out-Null
        try {
            $backup = Start-AzsBackup -Force -ErrorVariable errors -ErrorAction SilentlyContinue
        }
        finally {
            Remove-AzsBackupComponent -Name 'gone' -Force | Out-Null
        }
        $backup.Status | Should -Be 'PartialSucceeded'
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'AzsBackup.source-missing*'
    }
}

Describe 'Defect 3: ShouldProcess comes before any job; -AsJob works locally and remotely' {
    It 'starts nothing with -AsJob -WhatIf' {
        $before = @(Get-AzsBackup).Count
        $jobs = @(Get-Job).Count
        Start-AzsBackup -AsJob -WhatIf | Should -BeNullOrEmpty
        @(Get-Job).Count | Should -Be $jobs
        @(Get-AzsBackup).Count | Should -Be $before
    }

    It 'gives the backup through Receive-Job' {
        $job = Start-AzsBackup -Force -AsJob
        $backup = Receive-Job -Job $job -Wait -AutoRemoveJob
        $backup.BackupId | Should -Not -BeNullOrEmpty
        $backup.Status | Should -Be 'Succeeded'
    }

    It 'uses Invoke-Command -AsJob with -ComputerName' {
        Mock -ModuleName 'AzsBackup' -CommandName 'Invoke-Command' -MockWith { 'job' }
        Start-AzsBackup -ComputerName 'azs-ctl01' -Force -AsJob | Should -Be 'job'
        Should -Invoke -ModuleName 'AzsBackup' -CommandName 'Invoke-Command' -Times 1 -ParameterFilter { $AsJob -and $ComputerName -eq 'azs-ctl01' }
    }
}

Describe 'Defect 4: relative paths are resolved from the PowerShell location' {
    It 'finds .\certs\pester.cer after Set-Location' {
        Push-Location -Path $TestDrive
        try {
            $configuration = Set-AzsBackupConfiguration -EncryptionCertPath '.\certs\pester.cer' -Confirm:$false
        }
        finally {
            Pop-Location
        }
        $configuration.EncryptionCertThumbprint | Should -Be $script:certificate.Thumbprint
    }
}

Describe 'Defect 5: non-ASCII paths and passwords arrive intact' {
    It 'restores with a non-ASCII .pfx password into a non-ASCII path' {
        $backup = Start-AzsBackup -Force
        $destination = Join-Path -Path $TestDrive -ChildPath 'Wiederherstellung-復元'
        $result = Restore-AzsBackup -BackupId $backup.BackupId -DecryptionCertPath $script:certificate.PfxPath `
            -DecryptionCertPassword $script:pfxPassword -Destination $destination -Force -PassThru
        $result.Status | Should -Be 'Restored'
        Get-Content -Path (Join-Path -Path $destination -ChildPath 'tree\fichier.txt') | Should -Be 'contenu'
        (Get-AzsBackupComponent | Where-Object -Property ComponentName -EQ -Value 'tree').Settings.Path | Should -BeLike '*Données-数据'
    }
}

Describe 'Defect 6: remote calls send plain values, not switches' {
    It 'sends booleans and -Confirm:$false through one Invoke-Command for every host' {
        Mock -ModuleName 'AzsBackup' -CommandName 'Invoke-Command' -MockWith { $null }
        Restore-AzsBackup -ComputerName @('a', 'b', 'c') -ThrottleLimit 2 -BackupId 'x' -DecryptionCertPath 'C:\k.pfx' -Overwrite -Force
        Should -Invoke -ModuleName 'AzsBackup' -CommandName 'Invoke-Command' -Times 1 -Exactly -ParameterFilter {
            $ComputerName.Count -eq 3 -and $ThrottleLimit -eq 2 -and
            $ArgumentList[1]['Overwrite'] -is [bool] -and $ArgumentList[1]['Overwrite'] -and
            $ArgumentList[1]['Confirm'] -eq $false -and -not $ArgumentList[1].ContainsKey('Force')
        }
    }
}

Describe 'Defect 7: pipelines bind what they should; one bad host does not stop the others' {
    It 'does not bind a job to Test-AzsBackup' {
        { Get-AzsBackupJob -First 1 | Test-AzsBackup -ErrorAction Stop } | Should -Throw
    }

    It 'verifies backups from Get-AzsBackup' {
        $verified = Get-AzsBackup | Select-Object -First 1 | Test-AzsBackup
        $verified.Status | Should -Be 'Verified'
    }

    It 'lets the module''s errors be non-terminating (no module-scope $ErrorActionPreference = Stop)' {
        $module = Get-Module -Name 'AzsBackup'
        & $module { $ErrorActionPreference } | Should -Not -Be 'Stop'
        $missing = Get-AzsBackup -BackupId '20260101T000000.000Z-00000000' -ErrorVariable errors -ErrorAction SilentlyContinue
        $missing | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'AzsBackup.not-found*'
    }
}

Describe 'Azure Stack parity' {
    It 'takes -IsBackupSchedulerEnabled $false, Microsoft''s documented form' {
        (Set-AzsBackupConfiguration -IsBackupSchedulerEnabled $false -Confirm:$false).IsBackupSchedulerEnabled | Should -BeFalse
        (Set-AzsBackupConfiguration -IsBackupSchedulerEnabled:$true -Confirm:$false).IsBackupSchedulerEnabled | Should -BeTrue
    }

    It 'warns that Set-AzsBackupShare is deprecated' {
        Set-AzsBackupShare -BackupFrequencyInHours 6 -Confirm:$false -WarningVariable warnings | Out-Null
        $warnings[0] | Should -BeLike '*Set-AzsBackupShare is deprecated*'
    }

    It 'lists what a dry-run prune would delete without asking' {
        $result = Invoke-AzsPruneBackupLocationExternalStore -OperationType DryRun
        $result.OperationType | Should -Be 'DryRun'
    }

    It 'restores only with -Overwrite onto existing data' {
        $backup = Get-AzsBackup | Select-Object -Last 1
        $destination = Join-Path -Path $TestDrive -ChildPath 'again'
        $parameters = @{ BackupId = $backup.BackupId; DecryptionCertPath = $script:certificate.PfxPath; DecryptionCertPassword = $script:pfxPassword; Destination = $destination; Force = $true }
        Restore-AzsBackup @parameters
        { Restore-AzsBackup @parameters -ErrorAction Stop } | Should -Throw -ErrorId 'AzsBackup.restore-target-exists*'
        { Restore-AzsBackup @parameters -Overwrite -ErrorAction Stop } | Should -Not -Throw
    }
}
