function Get-AzsBackupComponent {
    <#
    .SYNOPSIS
    Gets the registered components.

    .DESCRIPTION
    Lists the components every backup includes (the controller itself is always backed up too).

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    Get-AzsBackupComponent

    Lists components.
    #>
    [CmdletBinding()]
    [OutputType('AzsBackup.Component')]
    param(
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
        $result = Invoke-AzsBackupEngine -Command 'component', 'list' -Option $option -Caller $PSCmdlet
        $result.components | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Component'
    }
}
