function Invoke-AzsBackupEngine {
    <#
    .SYNOPSIS
    Runs one engine command (python -m azsbackup) and returns its JSON result.

    .DESCRIPTION
    The only place in the module that starts Python. It always passes --json and --log-json, sends
    secrets as one JSON object on standard input (--secrets-stdin), converting SecureString values
    to plain text only while writing them there, and turns the engine's event lines into
    Write-Progress, Write-Warning and Write-Verbose. An engine error becomes an ErrorRecord whose
    FullyQualifiedErrorId is AzsBackup.<engine code>: terminating for configuration, lookup and
    lock errors, non-terminating for failures of the operation itself.

    .PARAMETER Command
    The engine command words, for example 'config', 'set'.

    .PARAMETER Argument
    Positional arguments after the command words (a backup id, a component name).

    .PARAMETER Option
    Ordered map of engine option to value. A value of $true is passed as a bare flag; $false and
    $null are left out.

    .PARAMETER Secret
    Map of secret name (password, key_password, remote_password) to SecureString.

    .PARAMETER Caller
    The calling cmdlet's $PSCmdlet, used to write errors and progress in its name.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory = $true)]
        [string[]] $Command,

        [string[]] $Argument = @(),

        [System.Collections.Specialized.OrderedDictionary] $Option = [ordered]@{},

        [hashtable] $Secret = @{},

        [System.Management.Automation.PSCmdlet] $Caller = $PSCmdlet
    )

    $python = Resolve-AzsBackupPython
    $engineArgs = [System.Collections.Generic.List[string]]::new()
    foreach ($word in $python.Prefix) { $engineArgs.Add($word) }
    foreach ($word in @('-m', 'azsbackup', '--json', '--log-json')) { $engineArgs.Add($word) }
    $secretValues = @{}
    foreach ($name in $Secret.Keys) {
        if ($null -ne $Secret[$name]) { $secretValues[$name] = $Secret[$name] }
    }
    if ($secretValues.Count -gt 0) { $engineArgs.Add('--secrets-stdin') }
    foreach ($word in $Command) { $engineArgs.Add($word) }
    foreach ($word in $Argument) { $engineArgs.Add([string]$word) }
    foreach ($key in $Option.Keys) {
        $value = $Option[$key]
        if ($null -eq $value -or $value -is [bool] -and -not $value) { continue }
        if ($value -is [bool] -or $value -is [switch]) { $engineArgs.Add($key); continue }
        foreach ($item in @($value)) {
            $engineArgs.Add($key)
            $engineArgs.Add([string]$item)
        }
    }

    $startInfo = [System.Diagnostics.ProcessStartInfo]::new()
    $startInfo.FileName = $python.Path
    if ($null -ne $startInfo.PSObject.Properties['ArgumentList']) {
        foreach ($word in $engineArgs) { $startInfo.ArgumentList.Add($word) }
    }
    else {
        # Windows PowerShell 5.1 (.NET Framework) has only the single Arguments string.
        $startInfo.Arguments = ($engineArgs | ForEach-Object { ConvertTo-AzsBackupQuotedArgument -Value $_ }) -join ' '
    }
    $startInfo.RedirectStandardInput = $true
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $startInfo.UseShellExecute = $false
    $startInfo.StandardOutputEncoding = [System.Text.Encoding]::UTF8
    $startInfo.StandardErrorEncoding = [System.Text.Encoding]::UTF8

    $process = [System.Diagnostics.Process]::Start($startInfo)
    try {
        if ($secretValues.Count -gt 0) {
            $plain = @{}
            foreach ($name in $secretValues.Keys) {
                $plain[$name] = [System.Net.NetworkCredential]::new('', $secretValues[$name]).Password
            }
            $process.StandardInput.Write(($plain | ConvertTo-Json -Compress))
            $plain.Clear()
        }
        $process.StandardInput.Close()
        $stdoutTask = $process.StandardOutput.ReadToEndAsync()
        $lastError = $null
        while ($null -ne ($line = $process.StandardError.ReadLine())) {
            $lastError = Write-AzsBackupEvent -Line $line -Caller $Caller -LastError $lastError
        }
        $process.WaitForExit()
        $stdout = $stdoutTask.GetAwaiter().GetResult()
        $exitCode = $process.ExitCode
    }
    finally {
        $process.Dispose()
    }

    $document = $null
    if ($stdout.Trim()) { $document = $stdout | ConvertFrom-Json }
    if ($null -ne $document -and $document.type -eq 'error') {
        $record = New-AzsBackupErrorRecord -EngineError $document -Target ($Argument -join ' ')
        # Problems with the request itself stop the pipeline; failures of the work are reported per item.
        if ($document.exit_code -in @(10, 13, 14, 16, 17)) {
            $Caller.ThrowTerminatingError($record)
        }
        $Caller.WriteError($record)
        return
    }
    if ($exitCode -eq 3) {
        $Caller.WriteWarning('The backup only partially succeeded; see the Components of the result.')
    }
    $document
}
