function Remove-AzsBackupComponent {
    <#
    .SYNOPSIS
    Unregisters a component.

    .DESCRIPTION
    Stops backing up a component. Its existing backups are kept.

    .PARAMETER Name
    The component's name (also from the ComponentName of piped components).

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
    Remove-AzsBackupComponent -Name old-db -Force

    Stops backing up old-db without asking.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High', PositionalBinding = $false)]
    [OutputType('AzsBackup.ComponentRemoval')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('ComponentName')]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

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
        if ($PSCmdlet.ShouldProcess($Name, 'Unregister the component')) {
            Invoke-AzsBackupCmdlet -Caller $PSCmdlet -BoundParameters $PSBoundParameters
        }
    }
}
