function New-AzsBackupErrorRecord {
    <#
    .SYNOPSIS
    Builds the ErrorRecord for an engine error, with FullyQualifiedErrorId AzsBackup.<code>.

    .DESCRIPTION
    The ErrorCategory comes from the engine's exit code (one table, here), the message and the
    recommended action from the engine's message and hint.

    .PARAMETER EngineError
    The engine's JSON error object: type, code, message, hint, exit_code.

    .PARAMETER Target
    What the command was acting on (a backup id, a component name).
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory = $true)]
        [object] $EngineError,

        [object] $Target
    )

    $category = switch ([int]$EngineError.exit_code) {
        10 { [System.Management.Automation.ErrorCategory]::InvalidArgument }
        11 { [System.Management.Automation.ErrorCategory]::ConnectionError }
        12 { [System.Management.Automation.ErrorCategory]::AuthenticationError }
        13 { [System.Management.Automation.ErrorCategory]::ResourceBusy }
        14 { [System.Management.Automation.ErrorCategory]::ObjectNotFound }
        15 { [System.Management.Automation.ErrorCategory]::InvalidData }
        16 { [System.Management.Automation.ErrorCategory]::SecurityError }
        17 { [System.Management.Automation.ErrorCategory]::PermissionDenied }
        18 { [System.Management.Automation.ErrorCategory]::WriteError }
        130 { [System.Management.Automation.ErrorCategory]::OperationStopped }
        default { [System.Management.Automation.ErrorCategory]::NotSpecified }
    }
    $exception = [System.Exception]::new([string]$EngineError.message)
    $record = [System.Management.Automation.ErrorRecord]::new($exception, "AzsBackup.$($EngineError.code)", $category, $Target)
    $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new([string]$EngineError.message)
    $record.ErrorDetails.RecommendedAction = [string]$EngineError.hint
    $record
}
