function Remove-AzsBackupComponent {
    <#
    .SYNOPSIS
    Unregisters a component.

    .DESCRIPTION
    Stops backing up a component. Its existing backups are kept.

    .PARAMETER Name
    The component's name (also accepted from the pipeline).

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    Remove-AzsBackupComponent -Name old-db

    Stops backing up old-db.
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    [OutputType('AzsBackup.Component')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [string] $Name,

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
        if ($PSCmdlet.ShouldProcess($Name, 'Unregister the component')) {
            Invoke-AzsBackupEngine -Command 'component', 'remove' -Argument $Name -Option $option -Caller $PSCmdlet | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Component'
        }
    }
}
