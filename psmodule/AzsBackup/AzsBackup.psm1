# AzsBackup: PowerShell cmdlets over the azsbackup engine.
# Every public cmdlet is its help, its parameters, its ShouldProcess and one call to Invoke-AzsBackupCmdlet.
# What each cmdlet runs is the engine's table (azsbackup/pwsh/table.py); AzsBackup.Engine.psd1 carries the
# little the module needs to know before it starts the engine. Each file is loaded on its own so that an
# error names the file it came from.

Set-StrictMode -Version Latest

$script:AzsBackupEngine = Import-PowerShellDataFile -Path (Join-Path -Path $PSScriptRoot -ChildPath 'AzsBackup.Engine.psd1')

foreach ($folder in @('Private', 'Public')) {
    $files = Get-ChildItem -Path (Join-Path -Path $PSScriptRoot -ChildPath $folder) -Filter '*.ps1'
    foreach ($file in $files) {
        try {
            . $file.FullName
        }
        catch {
            throw "AzsBackup: cannot load $($file.FullName): $_"
        }
    }
}

# Azure Stack's earlier names keep working; Invoke-AzsBackupCmdlet warns that they are deprecated.
foreach ($alias in $script:AzsBackupEngine.DeprecatedAliases.Keys) {
    New-Alias -Name $alias -Value $script:AzsBackupEngine.DeprecatedAliases[$alias] -Force
}

Export-ModuleMember -Function @($script:AzsBackupEngine.Cmdlets.Keys) -Alias @($script:AzsBackupEngine.DeprecatedAliases.Keys)
