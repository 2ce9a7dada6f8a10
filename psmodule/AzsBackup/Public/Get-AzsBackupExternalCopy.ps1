function Get-AzsBackupExternalCopy {
    <#
    .SYNOPSIS
    Lists the copies of the backups on the external location, and when each was last verified.

    .DESCRIPTION
    Lists each backup's copy on the configured external location, oldest backup first: its size, when it was
    exported, when Test-AzsBackupExternalCopy last read it back, and the result (Verified, Damaged or
    Missing, with the detail). LastVerifiedDateTime is $null for a copy not verified since it was exported;
    ExportedDateTime is $null for a copy exported before copies were recorded. Read from the controller's
    state only: the location is not contacted.

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
    Get-AzsBackupExternalCopy | Where-Object -Property VerificationResult -NE -Value Verified

    Lists the copies that are not verified yet, or that the last verification found damaged or missing.

    .EXAMPLE
    Get-AzsBackupExternalCopy | Where-Object -Property LastVerifiedDateTime -EQ -Value $null | Test-AzsBackupExternalCopy

    Reads back every copy not verified since it was exported.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(PositionalBinding = $false)]
    [OutputType('AzsBackup.ExternalCopy')]
    param(
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
