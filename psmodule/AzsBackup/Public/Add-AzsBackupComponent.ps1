function Add-AzsBackupComponent {
    <#
    .SYNOPSIS
    Registers a component to back up.

    .DESCRIPTION
    Registers a directory tree, a SQLite database, a dump command or a directory on a Windows host
    (winrm).

    .PARAMETER Name
    The component's name.

    .PARAMETER Type
    The provider type.

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
    command: seconds before the command is stopped.

    .PARAMETER TargetHost
    winrm: the Windows host.

    .PARAMETER RemotePath
    winrm: the directory on the host.

    .PARAMETER RemoteUsername
    winrm: the account on the host.

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    Add-AzsBackupComponent -Name config-store -Type directory -Path /etc/infra -Exclude '*.tmp'

    Backs up /etc/infra without temporary files.
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    [OutputType('AzsBackup.Component')]
    param(
        [Parameter(Mandatory = $true, Position = 0)]
        [string] $Name,

        [Parameter(Mandatory = $true)]
        [ValidateSet('directory', 'sqlite', 'command', 'winrm')]
        [string] $Type,

        [string] $Path,

        [string[]] $Include,

        [string[]] $Exclude,

        [string] $DumpCommand,

        [string] $RestoreCommand,

        [ValidateRange(1, 86400)]
        [int] $TimeoutSeconds,

        [string] $TargetHost,

        [string] $RemotePath,

        [string] $RemoteUsername,

        [ValidateNotNullOrEmpty()]
        [string[]] $ComputerName,

        [pscredential] $Credential,

        [System.Management.Automation.Runspaces.PSSession[]] $Session
    )

    process {
        if (Test-AzsBackupRemote -BoundParameters $PSBoundParameters) {
            Invoke-AzsBackupRemote -CommandName $MyInvocation.MyCommand.Name -BoundParameters $PSBoundParameters
            return
        }
        $option = [ordered]@{}
        if ($PSBoundParameters.ContainsKey('Type')) { $option['--type'] = $Type }
        if ($PSBoundParameters.ContainsKey('Path')) { $option['--path'] = $Path }
        if ($PSBoundParameters.ContainsKey('Include')) { $option['--include'] = $Include }
        if ($PSBoundParameters.ContainsKey('Exclude')) { $option['--exclude'] = $Exclude }
        if ($PSBoundParameters.ContainsKey('DumpCommand')) { $option['--dump-command'] = $DumpCommand }
        if ($PSBoundParameters.ContainsKey('RestoreCommand')) { $option['--restore-command'] = $RestoreCommand }
        if ($PSBoundParameters.ContainsKey('TimeoutSeconds')) { $option['--timeout'] = $TimeoutSeconds }
        if ($PSBoundParameters.ContainsKey('TargetHost')) { $option['--host'] = $TargetHost }
        if ($PSBoundParameters.ContainsKey('RemotePath')) { $option['--remote-path'] = $RemotePath }
        if ($PSBoundParameters.ContainsKey('RemoteUsername')) { $option['--remote-username'] = $RemoteUsername }
        if ($PSCmdlet.ShouldProcess($Name, 'Register the component')) {
            Invoke-AzsBackupEngine -Command 'component', 'add' -Argument $Name -Option $option -Caller $PSCmdlet | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Component'
        }
    }
}
