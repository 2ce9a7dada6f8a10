function ConvertTo-AzsBackupQuotedArgument {
    <#
    .SYNOPSIS
    Quotes one argument the way CommandLineToArgvW (and Python on Windows) splits it back.

    .PARAMETER Value
    The argument to quote.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [AllowEmptyString()]
        [string] $Value
    )

    if ($Value -and $Value -notmatch '[\s"]') { return $Value }
    $escaped = [regex]::Replace($Value, '(\\*)"', '$1$1\"')
    $escaped = [regex]::Replace($escaped, '(\\+)$', '$1$1')
    '"' + $escaped + '"'
}
