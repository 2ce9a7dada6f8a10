function ConvertTo-AzsBackupObject {
    <#
    .SYNOPSIS
    Gives engine JSON objects the PSTypeName the module's formats and pipeline binding expect.

    .PARAMETER InputObject
    An object parsed from the engine's JSON.

    .PARAMETER TypeName
    The PSTypeName to add, for example AzsBackup.Backup.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, ValueFromPipeline = $true)]
        [AllowNull()]
        [object] $InputObject,

        [Parameter(Mandatory = $true)]
        [string] $TypeName
    )

    process {
        if ($null -eq $InputObject) { return }
        $InputObject.PSObject.TypeNames.Insert(0, $TypeName)
        if ($InputObject.PSObject.Properties['id'] -and -not $InputObject.PSObject.Properties['BackupId']) {
            $InputObject | Add-Member -MemberType AliasProperty -Name 'BackupId' -Value 'id'
        }
        $InputObject
    }
}
