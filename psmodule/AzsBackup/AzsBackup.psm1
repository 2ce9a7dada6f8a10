# AzsBackup: PowerShell cmdlets over the azsbackup engine (python -m azsbackup).
# Private helpers first, then one public cmdlet per file; each file is loaded on its own so that an
# error names the file it came from.

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

foreach ($folder in @('Private', 'Public')) {
    $files = Get-ChildItem -Path (Join-Path -Path $PSScriptRoot -ChildPath $folder) -Filter '*.ps1' -ErrorAction SilentlyContinue
    foreach ($file in $files) {
        try {
            . $file.FullName
        }
        catch {
            throw "AzsBackup: cannot load $($file.FullName): $_"
        }
    }
}

New-Alias -Name 'Set-AzsBackupShare' -Value 'Set-AzsBackupConfiguration' -Force
New-Alias -Name 'Get-AzsBackupLocation' -Value 'Get-AzsBackupConfiguration' -Force

Export-ModuleMember -Function (Get-ChildItem -Path (Join-Path -Path $PSScriptRoot -ChildPath 'Public') -Filter '*.ps1').BaseName -Alias @('Set-AzsBackupShare', 'Get-AzsBackupLocation')
