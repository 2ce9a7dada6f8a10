function Get-AzsBackup {
    <#
    .SYNOPSIS
    Gets backups.

    .DESCRIPTION
    Lists the complete backups of the internal store (with -External, of the external location, to recover
    on a new controller), or shows one backup with the status of each of its components (RoleStatus).

    .PARAMETER BackupId
    Shows only this backup, with its components. -Name (Azure Stack's name, which may be location/backupId)
    and -Id work too.

    .PARAMETER External
    Lists the backups on the external location instead (recovery on a new controller).

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
    Get-AzsBackup | Where-Object -Property Status -NE -Value 'Succeeded'

    Lists the backups that did not fully succeed.

    .EXAMPLE
    Get-AzsBackup -Name local/20261124T215012.345Z-9f3a01bc

    Shows one backup; the location/ prefix of Azure Stack's names is accepted.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(DefaultParameterSetName = 'List', PositionalBinding = $false)]
    [OutputType('AzsBackup.Backup')]
    param(
        [Parameter(Mandatory = $true, ParameterSetName = 'Get', Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('Name', 'Id')]
        [ValidateNotNullOrEmpty()]
        [string] $BackupId,

        [Parameter(ParameterSetName = 'List')]
        [switch] $External,

        [ValidateNotNullOrEmpty()]
        [string[]] $ComputerName,

        [pscredential] $Credential,

        [System.Management.Automation.Runspaces.PSSession[]] $Session,

        [ValidateRange(1, 1024)]
        [int] $ThrottleLimit
    )

    process {
        Invoke-AzsBackupCmdlet -Caller $PSCmdlet -BoundParameters $PSBoundParameters
    }
}
