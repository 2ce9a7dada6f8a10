function Write-AzsBackupEvent {
    <#
    .SYNOPSIS
    Turns one engine event line (--log-json) into the PowerShell stream it belongs to.

    .DESCRIPTION
    progress becomes Write-Progress, warning becomes Write-Warning, log becomes Write-Verbose and
    component_status becomes Write-Verbose with the component's outcome. error events are returned
    so the caller can report the last one; lines that are not JSON are written as verbose text.

    .PARAMETER Line
    One line of the engine's standard error.

    .PARAMETER Caller
    The cmdlet to write in the name of.

    .PARAMETER LastError
    The last error event seen so far (returned unchanged unless this line is an error).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [AllowEmptyString()]
        [string] $Line,

        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet] $Caller,

        [object] $LastError
    )

    if (-not $Line.StartsWith('{')) {
        $Caller.WriteVerbose($Line)
        return $LastError
    }
    $event = $Line | ConvertFrom-Json
    switch ($event.type) {
        'progress' {
            $percent = if ($null -ne $event.percent) { [int]$event.percent } else { -1 }
            $record = [System.Management.Automation.ProgressRecord]::new(1, [string]$event.activity, [string]$event.status)
            $record.PercentComplete = $percent
            if ($percent -ge 100) { $record.RecordType = [System.Management.Automation.ProgressRecordType]::Completed }
            $Caller.WriteProgress($record)
        }
        'warning' {
            $Caller.WriteWarning([string]$event.message)
        }
        'component_status' {
            $Caller.WriteVerbose("$($event.component.name): $($event.component.status)")
        }
        'error' {
            return $event
        }
        default {
            $Caller.WriteVerbose([string]$event.message)
        }
    }
    return $LastError
}
