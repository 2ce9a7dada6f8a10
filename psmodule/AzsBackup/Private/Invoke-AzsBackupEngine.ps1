function Invoke-AzsBackupEngine {
    <#
    .SYNOPSIS
    Runs one cmdlet call on this host: starts the engine's bridge (python -m azsbackup.pwsh) and speaks its protocol.

    .DESCRIPTION
    The only place in the module that starts Python. It sends one request on the engine's standard input:
    the cmdlet's name, its parameter set, its engine parameters as plain JSON values, and its secrets
    (docs/powershell.md, "The module and engine protocol"). On the way, path parameters are resolved
    through the PowerShell provider (so .\b.cer means the current PowerShell location, and PSDrives
    work), switches become booleans, DateTimes ISO 8601 text in UTC, and SecureStrings (and the passwords
    of PSCredentials) become plain text only while the request is written. Python is told to use UTF-8 for
    its standard streams, and the request is written as UTF-8 without a byte order mark.

    The engine answers with one JSON message per line: progress (Write-Progress with PercentComplete and
    SecondsRemaining), warning, verbose, and last the result: the objects, typed and with their DateTime
    properties, then the error. Every field of every message is always there, so nothing here needs a
    presence check under Set-StrictMode -Version Latest. An engine error becomes an ErrorRecord
    (AzsBackup.<code>), terminating when the engine says the request itself is wrong. Every non-zero
    exit gives an ErrorRecord: when there is no result (a crash, a wrong interpreter), with the last lines
    of the engine's standard error.

    .PARAMETER Caller
    The public cmdlet's $PSCmdlet: objects, errors and progress are written in its name.

    .PARAMETER BoundParameters
    The public cmdlet's $PSBoundParameters.

    .PARAMETER Entry
    The cmdlet's entry of AzsBackup.Engine.psd1: EngineParameters, ProviderPaths, LocationPaths.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet] $Caller,

        [Parameter(Mandatory = $true)]
        [System.Collections.IDictionary] $BoundParameters,

        [Parameter(Mandatory = $true)]
        [hashtable] $Entry
    )

    $commandName = $Caller.MyInvocation.MyCommand.Name
    $parameters = @{}
    $secrets = @{}
    foreach ($key in $Entry.EngineParameters) {
        if (-not $BoundParameters.ContainsKey($key)) { continue }
        $value = $BoundParameters[$key]
        if ($value -is [securestring]) {
            $secrets[$key] = $value
            continue
        }
        if ($value -is [pscredential]) {
            $parameters[$key] = $value.UserName
            $secrets[$key] = $value.Password
            continue
        }
        if ($value -is [switch]) {
            $value = $value.IsPresent
        }
        elseif ($value -is [datetime]) {
            $value = $value.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ', [cultureinfo]::InvariantCulture)
        }
        elseif ($key -in $Entry.ProviderPaths -or ($key -in $Entry.LocationPaths -and $value -notmatch '^(\\\\|//|[A-Za-z][A-Za-z0-9+.-]*://)')) {
            $value = $Caller.SessionState.Path.GetUnresolvedProviderPathFromPSPath($value)
        }
        $parameters[$key] = $value
    }

    $python = Resolve-AzsBackupPython
    $utf8 = [System.Text.UTF8Encoding]::new($false)
    $startInfo = [System.Diagnostics.ProcessStartInfo]::new()
    $startInfo.FileName = $python.Path
    # Constant words only: every value travels in the request on standard input.
    $startInfo.Arguments = (@($python.Prefix) + @('-m', 'azsbackup.pwsh')) -join ' '
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardInput = $true
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $startInfo.StandardOutputEncoding = $utf8
    $startInfo.StandardErrorEncoding = $utf8
    $startInfo.EnvironmentVariables['PYTHONUTF8'] = '1'
    $startInfo.EnvironmentVariables['PYTHONIOENCODING'] = 'utf-8'

    try {
        $process = [System.Diagnostics.Process]::Start($startInfo)
    }
    catch {
        $record = New-AzsBackupErrorRecord -EngineError ([pscustomobject]@{
                code = 'engine-not-started'; message = "cannot start $($python.Path): $($_.Exception.Message)"
                hint = 'Set $env:AZSBACKUP_PYTHON to a Python 3.11+ with azsbackup installed.'
                category = 'ResourceUnavailable'; target = $commandName
            })
        $Caller.ThrowTerminatingError($record)
    }
    $result = $null
    try {
        $stderrTask = $process.StandardError.ReadToEndAsync()
        $stdin = [System.IO.StreamWriter]::new($process.StandardInput.BaseStream, $utf8)
        try {
            $plainSecrets = @{}
            foreach ($key in $secrets.Keys) {
                $plainSecrets[$key] = [System.Net.NetworkCredential]::new('', $secrets[$key]).Password
            }
            $request = [ordered]@{
                protocol      = 1
                cmdlet        = $commandName
                parameter_set = $Caller.ParameterSetName
                parameters    = $parameters
                secrets       = $plainSecrets
            }
            $stdin.Write((ConvertTo-Json -InputObject $request -Compress -Depth 4))
            $plainSecrets.Clear()
        }
        finally {
            $stdin.Dispose()
        }

        while ($null -ne ($line = $process.StandardOutput.ReadLine())) {
            if (-not $line.StartsWith('{')) {
                $Caller.WriteVerbose($line)
                continue
            }
            try {
                $message = ConvertFrom-Json -InputObject $line
            }
            catch {
                $Caller.WriteVerbose($line)
                continue
            }
            switch ($message.kind) {
                'progress' {
                    $progress = [System.Management.Automation.ProgressRecord]::new(1, $message.activity, $message.status)
                    $progress.PercentComplete = $message.percent_complete
                    $progress.SecondsRemaining = $message.seconds_remaining
                    if ($message.completed) {
                        $progress.RecordType = [System.Management.Automation.ProgressRecordType]::Completed
                    }
                    $Caller.WriteProgress($progress)
                }
                'warning' {
                    $Caller.WriteWarning($message.message)
                }
                'verbose' {
                    $Caller.WriteVerbose($message.message)
                }
                'result' {
                    $result = $message
                }
            }
        }
        $process.WaitForExit()
        $stderr = $stderrTask.GetAwaiter().GetResult()
        $exitCode = $process.ExitCode
    }
    finally {
        if (-not $process.HasExited) {
            $process.Kill()
        }
        $process.Dispose()
    }

    if ($null -ne $result) {
        foreach ($object in $result.objects) {
            $object.PSObject.TypeNames.Insert(0, $result.type_name)
            foreach ($date in $result.dates) {
                $property = $object.PSObject.Properties[$date]
                if ($null -ne $property -and $property.Value -is [string]) {
                    $property.Value = [datetime]::Parse($property.Value, [cultureinfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::RoundtripKind)
                }
            }
            $Caller.WriteObject($object)
        }
        if ($null -ne $result.error) {
            $record = New-AzsBackupErrorRecord -EngineError $result.error
            if ($result.error.terminating) {
                $Caller.ThrowTerminatingError($record)
            }
            $Caller.WriteError($record)
            return
        }
    }
    if ($exitCode -ne 0) {
        $tail = @($stderr -split '\r?\n' | Where-Object { $_.Trim() } | Select-Object -Last 5) -join ' | '
        $record = New-AzsBackupErrorRecord -EngineError ([pscustomobject]@{
                code = 'engine-failed'; message = "the engine exited with code $exitCode without a result: $tail"
                hint = 'Run python -m azsbackup --debug with the same command to see why.'
                category = 'NotSpecified'; target = $commandName
            })
        $Caller.WriteError($record)
    }
}
