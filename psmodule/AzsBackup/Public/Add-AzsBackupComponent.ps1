function Add-AzsBackupComponent {
    <#
    .SYNOPSIS
    Registers a component to back up.

    .DESCRIPTION
    Registers a directory tree, a SQLite database, a dump command, or a directory on a Windows host (winrm).
    Every backup includes every registered component, and the controller itself.

    .PARAMETER Name
    The component's name: 1-64 letters, digits, dots, dashes and underscores.

    .PARAMETER Type
    The provider: directory, sqlite, command or winrm.

    .PARAMETER Path
    directory: the tree; sqlite: the database file.

    .PARAMETER Include
    directory: globs of relative paths to include.

    .PARAMETER Exclude
    directory: globs of relative paths to leave out.

    .PARAMETER DumpCommand
    command: prints the component's data on standard output.

    .PARAMETER RestoreCommand
    command: reads the data back on standard input.

    .PARAMETER TimeoutSeconds
    command: seconds before the command is stopped, 1 to 86400.

    .PARAMETER TargetHost
    winrm: the Windows host.

    .PARAMETER RemotePath
    winrm: the directory on that host.

    .PARAMETER RemoteCredential
    winrm: the account on that host; its password is kept as a controller secret.

    .PARAMETER RemotePort
    winrm: the WinRM port (5986 when not given).

    .PARAMETER RemoteCaCertPath
    winrm: the CA bundle or certificate that validates the host.

    .PARAMETER RemoteAuthentication
    winrm: negotiate (when not given), ntlm, kerberos or credssp.

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
    Add-AzsBackupComponent -Name config-store -Type directory -Path /etc/infra -Exclude '*.tmp'

    Backs up /etc/infra without temporary files.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium', PositionalBinding = $false)]
    [OutputType('AzsBackup.Component')]
    param(
        [Parameter(Mandatory = $true, Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter(Mandatory = $true)]
        [ValidateSet('directory', 'sqlite', 'command', 'winrm')]
        [string] $Type,

        [ValidateNotNullOrEmpty()]
        [string] $Path,

        [string[]] $Include,

        [string[]] $Exclude,

        [string] $DumpCommand,

        [string] $RestoreCommand,

        [ValidateRange(1, 86400)]
        [int] $TimeoutSeconds,

        [string] $TargetHost,

        [string] $RemotePath,

        [pscredential] $RemoteCredential,

        [ValidateRange(1, 65535)]
        [int] $RemotePort,

        [ValidateNotNullOrEmpty()]
        [string] $RemoteCaCertPath,

        [ValidateSet('negotiate', 'ntlm', 'kerberos', 'credssp')]
        [string] $RemoteAuthentication,

        [ValidateNotNullOrEmpty()]
        [string[]] $ComputerName,

        [pscredential] $Credential,

        [System.Management.Automation.Runspaces.PSSession[]] $Session,

        [ValidateRange(1, 1024)]
        [int] $ThrottleLimit
    )

    process {
        if ($PSCmdlet.ShouldProcess($Name, 'Register the component')) {
            Invoke-AzsBackupCmdlet -Caller $PSCmdlet -BoundParameters $PSBoundParameters
        }
    }
}
