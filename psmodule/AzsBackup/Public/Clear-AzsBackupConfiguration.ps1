function Clear-AzsBackupConfiguration {
    <#
    .SYNOPSIS
    Resets the backup configuration to its defaults.

    .DESCRIPTION
    Removes the external location, its credentials and the certificate, and returns to 12 hours and 7 days
    with the scheduler off. Registered components and existing backups are kept.

    .PARAMETER Force
    Does not ask for confirmation.

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
    Clear-AzsBackupConfiguration -Force

    Resets the configuration without asking.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High', PositionalBinding = $false)]
    [OutputType('AzsBackup.Configuration')]
    param(
        [switch] $Force,

        [ValidateNotNullOrEmpty()]
        [string[]] $ComputerName,

        [pscredential] $Credential,

        [System.Management.Automation.Runspaces.PSSession[]] $Session,

        [ValidateRange(1, 1024)]
        [int] $ThrottleLimit
    )

    process {
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) {
            $ConfirmPreference = 'None'
        }
        if ($PSCmdlet.ShouldProcess('azsbackup controller', 'Reset the backup configuration to its defaults')) {
            Invoke-AzsBackupCmdlet -Caller $PSCmdlet -BoundParameters $PSBoundParameters
        }
    }
}
