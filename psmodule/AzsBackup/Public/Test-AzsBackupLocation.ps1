function Test-AzsBackupLocation {
    <#
    .SYNOPSIS
    Tests the external location, or a candidate before it is configured.

    .DESCRIPTION
    Connects and logs on, reports the SMB dialect and encryption, creates, writes, reads back, renames and
    deletes a probe file, and reports the free space and whether the backups retention keeps will fit.
    Without -Path it tests the configured location; with -Path (and -Credential) it tests that candidate and
    saves nothing, as Azure Stack's Test-AzureStack -Include AzsBackupShareAccessibility does.

    .PARAMETER Path
    A candidate location to test instead of the configured one: \\server\share\folder,
    smb://server/share/folder or a local path.

    .PARAMETER Credential
    The candidate share's account and password.

    .PARAMETER ComputerName
    Runs the cmdlet on these hosts instead of here, through one Invoke-Command (WinRM). Each host needs the
    AzsBackup module and the engine. Objects come back with PSComputerName; a host that fails gives an
    error naming it, and the other hosts go on.

    .PARAMETER ComputerCredential
    The account for -ComputerName.

    .PARAMETER Session
    Runs the cmdlet in these existing PowerShell sessions instead of here.

    .PARAMETER ThrottleLimit
    How many hosts are contacted at once (Invoke-Command's -ThrottleLimit; its default when not given).

    .EXAMPLE
    Test-AzsBackupLocation | Format-List

    Tests the configured location and shows every check.

    .EXAMPLE
    Test-AzsBackupLocation -Path \\fs02.contoso.com\AzSBackups\nyc -Credential (Get-Credential)

    Tests a new share before configuring it.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(PositionalBinding = $false)]
    [OutputType('AzsBackup.LocationTest')]
    param(
        [ValidateNotNullOrEmpty()]
        [string] $Path,

        [pscredential] $Credential,

        [ValidateNotNullOrEmpty()]
        [string[]] $ComputerName,

        [pscredential] $ComputerCredential,

        [System.Management.Automation.Runspaces.PSSession[]] $Session,

        [ValidateRange(1, 1024)]
        [int] $ThrottleLimit
    )

    process {
        Invoke-AzsBackupCmdlet -Caller $PSCmdlet -BoundParameters $PSBoundParameters
    }
}
