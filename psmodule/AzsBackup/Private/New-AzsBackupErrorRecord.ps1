function New-AzsBackupErrorRecord {
    <#
    .SYNOPSIS
    Builds the ErrorRecord for an engine error: FullyQualifiedErrorId AzsBackup.<code>.

    .DESCRIPTION
    The engine decides everything (azsbackup/pwsh/table.py): the code, the message, the hint (shown as
    ErrorDetails.RecommendedAction), the ErrorCategory and the target. This only puts them together.

    .PARAMETER EngineError
    The error of the engine's result message: code, message, hint, category, target (always all there).
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory = $true)]
        [object] $EngineError
    )

    $category = [System.Management.Automation.ErrorCategory]::NotSpecified
    if ([System.Enum]::GetNames([System.Management.Automation.ErrorCategory]) -contains [string]$EngineError.category) {
        $category = [System.Management.Automation.ErrorCategory][string]$EngineError.category
    }
    $exception = [System.Exception]::new([string]$EngineError.message)
    $record = [System.Management.Automation.ErrorRecord]::new($exception, "AzsBackup.$($EngineError.code)", $category, $EngineError.target)
    $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new([string]$EngineError.message)
    $record.ErrorDetails.RecommendedAction = [string]$EngineError.hint
    $record
}
