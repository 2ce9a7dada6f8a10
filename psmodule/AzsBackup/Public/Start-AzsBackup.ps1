function Start-AzsBackup {
    <#
    .SYNOPSIS
    Starts a backup now.

    .DESCRIPTION
    Backs up every enabled component into the internal store and exports it to the external location. An
    on-demand backup does not move the next scheduled backup. With -AsJob it runs as a background job.

    .PARAMETER AsJob
    Runs the backup as a PowerShell background job and returns the job.

    .PARAMETER Wait
    Waits for the backup to finish (the default; kept for Azure Stack scripts).

    .PARAMETER ComputerName
    Runs the command on these hosts through WinRM (Invoke-Command) instead of locally.

    .PARAMETER Credential
    Credential for -ComputerName.

    .PARAMETER Session
    Runs the command in these existing PowerShell sessions.

    .EXAMPLE
    $job = Start-AzsBackup -AsJob; Receive-Job $job -Wait

    Starts a backup in the background and waits for its result.
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
    [OutputType('AzsBackup.Backup')]
    param(
        [switch] $AsJob,

        [switch] $Wait,

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
        if ($AsJob) {
            $modulePath = (Get-Module -Name 'AzsBackup').Path
            return Start-Job -ScriptBlock {
                param($Path)
                Import-Module -Name $Path
                Start-AzsBackup -Confirm:$false
            } -ArgumentList $modulePath
        }
        $option = [ordered]@{}
        if ($PSCmdlet.ShouldProcess('azsbackup controller', 'Start a backup')) {
            Invoke-AzsBackupEngine -Command 'backup', 'start' -Option $option -Caller $PSCmdlet | ConvertTo-AzsBackupObject -TypeName 'AzsBackup.Backup'
        }
    }
}
