function Invoke-AzsPruneBackupLocationExternalStore {
    <#
    .SYNOPSIS
    Removes leftovers of interrupted writes from the backup stores.

    .DESCRIPTION
    Lists (-OperationType DryRun) or deletes (-OperationType Default, the default) incomplete backups,
    temporary files and files no manifest names, in the internal store and on the external location, and
    returns their paths. A dry run changes nothing and does not ask for confirmation.

    .PARAMETER OperationType
    DryRun lists what would be deleted; Default (also when not given) deletes it.

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
    Invoke-AzsPruneBackupLocationExternalStore -OperationType DryRun

    Lists what a prune would delete (Azure Stack's documented call).

    .EXAMPLE
    Invoke-AzsPruneBackupLocationExternalStore

    Deletes the leftovers after asking.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High', PositionalBinding = $false)]
    [OutputType('AzsBackup.PruneResult')]
    param(
        [Alias('Mode')]
        [ValidateSet('DryRun', 'Default')]
        [string] $OperationType,

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
        if (($Force -or $OperationType -eq 'DryRun') -and -not $PSBoundParameters.ContainsKey('Confirm')) {
            $ConfirmPreference = 'None'
        }
        if ($PSCmdlet.ShouldProcess('azsbackup controller', 'Delete leftovers of interrupted writes')) {
            Invoke-AzsBackupCmdlet -Caller $PSCmdlet -BoundParameters $PSBoundParameters
        }
    }
}
