# The functions the azsbackup `winrm` provider defines on a Windows host, in the runspace it opens there.
#
# The provider sends this file, unchanged, as one script pipeline run in the global scope of a runspace
# pool of one runspace (as if it were dot-sourced), then calls the functions by name with PSRP parameters:
# nothing is installed on the host, and nothing here outlives the connection. The file holds function
# definitions only; each function sets strict mode and 'Stop' for itself, whatever the session's defaults.
#
# For Windows PowerShell 5.1 (.NET Framework 4.6.2 or later) and PowerShell 7, in full language mode, under
# Set-StrictMode -Version Latest. ASCII only: the text travels inside PSRP messages and is never saved.
#
# Paths: -Root is the tree's root as configured (D:\Infra, \\server\share\dir). -RelativePath is a name
# below it with '/' between its parts, as Get-AzsBackupRemoteTree lists it; a part that is empty, '.', '..'
# or holds a character Windows forbids in names (':' among them, so no alternate data streams) is refused.
# Files are opened through the \\?\ form, so names longer than MAX_PATH work without the LongPathsEnabled
# policy, and read with FileShare ReadWrite and Delete, so files other processes hold open can be read.
# Hidden and system files are listed like any other. Symbolic links, junctions and mount points are
# listed as skipped and never followed. The functions move bytes, hashes and file facts; every decision
# stays in the engine.
#
# Errors are terminating ErrorRecords whose FullyQualifiedErrorId is AzsBackupRemote.<Reason> (PowerShell
# appends ',<function name>'): NotFound, AccessDenied, Locked (another process holds the file without
# sharing it), InvalidArgument (a refused name or value), Mismatch (bytes, hashes or offsets that do not
# agree), IOError.

function Get-AzsBackupRemotePath {
    <#
    .SYNOPSIS
    Returns the \\?\ form of a name below a root, refusing names that would leave the root.

    .PARAMETER Root
    The tree's root, a fully qualified path (D:\Infra, \\server\share\dir, or already \\?\D:\Infra).

    .PARAMETER RelativePath
    A name below the root with '/' between its parts; empty for the root itself (then the path ends in '\').
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $Root,

        [string] $RelativePath = ''
    )

    Set-StrictMode -Version Latest
    $ErrorActionPreference = 'Stop'

    [string] $base = $Root
    if (-not $Root.StartsWith('\\?\', [System.StringComparison]::Ordinal)) {
        if ($Root -notmatch '^(?:[A-Za-z]:[\\/]|[\\/][\\/][^\\/?.])') {
            throw [System.ArgumentException]::new(('The root {0} is not a fully qualified path (D:\dir or \\server\share\dir).' -f $Root))
        }
        [string] $full = [System.IO.Path]::GetFullPath($Root)
        $base = '\\?\' + $full
        if ($full.StartsWith('\\', [System.StringComparison]::Ordinal)) {
            $base = '\\?\UNC\' + $full.Substring(2)
        }
    }
    [string[]] $parts = @()
    if ($RelativePath.Length -gt 0) {
        $parts = $RelativePath.Split([char] '/')
    }
    [char[]] $forbidden = [System.IO.Path]::GetInvalidFileNameChars()
    foreach ($part in $parts) {
        if ($part.Length -eq 0 -or $part -eq '.' -or $part -eq '..' -or $part.IndexOfAny($forbidden) -ge 0) {
            throw [System.ArgumentException]::new(('The name {0} is not a plain name below the root.' -f $RelativePath))
        }
    }
    $base.TrimEnd([char] '\') + '\' + ($parts -join '\')
}

function ConvertTo-AzsBackupRemoteError {
    <#
    .SYNOPSIS
    Turns an exception into a terminating ErrorRecord with a stable AzsBackupRemote.<Reason> id.

    .PARAMETER Exception
    The exception caught; a .NET method's exception is unwrapped from PowerShell's MethodInvocationException.

    .PARAMETER Target
    The name the function was working on.
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Exception] $Exception,

        [string] $Target = ''
    )

    Set-StrictMode -Version Latest
    $ErrorActionPreference = 'Stop'

    [System.Exception] $cause = $Exception
    while ($cause -is [System.Management.Automation.MethodInvocationException] -and $null -ne $cause.InnerException) {
        $cause = $cause.InnerException
    }
    # The low word of an HRESULT from Win32 is the Win32 error: 32 sharing violation, 33 lock violation.
    [int] $win32 = $cause.HResult -band 0xFFFF
    [string] $reason = 'IOError'
    [System.Management.Automation.ErrorCategory] $category = [System.Management.Automation.ErrorCategory]::ReadError
    if ($cause -is [System.IO.FileNotFoundException] -or $cause -is [System.IO.DirectoryNotFoundException]) {
        $reason = 'NotFound'
        $category = [System.Management.Automation.ErrorCategory]::ObjectNotFound
    }
    elseif ($cause -is [System.UnauthorizedAccessException] -or $cause -is [System.Security.SecurityException]) {
        $reason = 'AccessDenied'
        $category = [System.Management.Automation.ErrorCategory]::PermissionDenied
    }
    elseif ($cause -is [System.IO.IOException] -and ($win32 -eq 32 -or $win32 -eq 33)) {
        $reason = 'Locked'
        $category = [System.Management.Automation.ErrorCategory]::ResourceBusy
    }
    elseif ($cause -is [System.ArgumentException] -or $cause -is [System.NotSupportedException] -or $cause -is [System.IO.PathTooLongException]) {
        $reason = 'InvalidArgument'
        $category = [System.Management.Automation.ErrorCategory]::InvalidArgument
    }
    elseif ($cause -is [System.IO.InvalidDataException]) {
        $reason = 'Mismatch'
        $category = [System.Management.Automation.ErrorCategory]::InvalidData
    }
    [System.Management.Automation.ErrorRecord]::new($cause, 'AzsBackupRemote.' + $reason, $category, $Target)
}

function New-AzsBackupRemoteTreeEntry {
    <#
    .SYNOPSIS
    One entry of Get-AzsBackupRemoteTree's listing: every entry has the same five properties.

    .PARAMETER RelativePath
    The name below the root, with '/' between its parts.

    .PARAMETER Type
    Directory, File or Skipped.

    .PARAMETER Size
    The file's length in bytes (0 for the others).

    .PARAMETER MtimeTicks
    The last write time in 100 ns ticks since 1970-01-01 UTC.

    .PARAMETER Reason
    Why the entry was skipped (empty for the others).
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory = $true)]
        [string] $RelativePath,

        [Parameter(Mandatory = $true)]
        [ValidateSet('Directory', 'File', 'Skipped')]
        [string] $Type,

        [long] $Size = 0,

        [long] $MtimeTicks = 0,

        [string] $Reason = ''
    )

    Set-StrictMode -Version Latest
    $ErrorActionPreference = 'Stop'

    [pscustomobject]@{
        RelativePath = $RelativePath
        Type         = $Type
        Size         = $Size
        MtimeTicks   = $MtimeTicks
        Reason       = $Reason
    }
}

function Get-AzsBackupRemoteTree {
    <#
    .SYNOPSIS
    Lists a directory tree: one object per directory, file and skipped entry, each directory before its contents.

    .DESCRIPTION
    Each object has RelativePath, Type (Directory, File or Skipped), Size (bytes, files only),
    MtimeTicks (last write time in 100 ns ticks since 1970-01-01 UTC) and Reason (why it was skipped).
    A link is skipped, never followed; so is a directory that cannot be listed, and a name that is not
    valid Unicode (listed with U+FFFD in place of the unpaired surrogate). The walk keeps its own stack,
    so depth is not bounded by PowerShell's call depth.

    .PARAMETER Root
    The root of the tree.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $Root
    )

    Set-StrictMode -Version Latest
    $ErrorActionPreference = 'Stop'

    try {
        [string] $base = Get-AzsBackupRemotePath -Root $Root
        if (-not [System.IO.Directory]::Exists($base)) {
            throw [System.IO.DirectoryNotFoundException]::new(('Cannot find the directory {0}.' -f $Root))
        }
        # Throws on an unpaired surrogate: NTFS allows such names, but they cannot cross PSRP or enter the archive.
        [System.Text.UTF8Encoding] $strictUtf8 = [System.Text.UTF8Encoding]::new($false, $true)
        [System.Collections.Generic.Stack[string]] $pending = [System.Collections.Generic.Stack[string]]::new()
        $pending.Push('')
        while ($pending.Count -gt 0) {
            [string] $prefix = $pending.Pop()
            [System.IO.FileSystemInfo[]] $children = @()
            try {
                [System.IO.DirectoryInfo] $directory = [System.IO.DirectoryInfo]::new($base + $prefix.Replace('/', '\'))
                $children = @($directory.EnumerateFileSystemInfos() | Sort-Object -Property Name)
            }
            catch {
                if ($prefix.Length -eq 0) {
                    throw
                }
                New-AzsBackupRemoteTreeEntry -RelativePath $prefix.TrimEnd([char] '/') -Type 'Skipped' -Reason ('cannot list the directory: ' + $_.Exception.Message)
                continue
            }
            foreach ($child in $children) {
                [string] $name = $prefix + $child.Name
                try {
                    [void] $strictUtf8.GetByteCount($name)
                }
                catch {
                    [string] $shown = [System.Text.Encoding]::UTF8.GetString([System.Text.Encoding]::UTF8.GetBytes($name))
                    New-AzsBackupRemoteTreeEntry -RelativePath $shown -Type 'Skipped' -Reason 'the name is not valid Unicode (an unpaired surrogate)'
                    continue
                }
                try {
                    [long] $ticks = $child.LastWriteTimeUtc.Ticks - 621355968000000000
                    [bool] $isDirectory = $child -is [System.IO.DirectoryInfo]
                    [bool] $isReparsePoint = $child.Attributes.HasFlag([System.IO.FileAttributes]::ReparsePoint)
                    # LinkType (SymbolicLink, Junction) comes from PowerShell's type data; a file reparse point
                    # that is no link (a deduplicated or cloud-tiered file) is read as data.
                    [string] $linkType = ''
                    if ($isReparsePoint) {
                        [System.Management.Automation.PSPropertyInfo] $linkProperty = $child.PSObject.Properties['LinkType']
                        if ($null -ne $linkProperty) {
                            $linkType = [string] $linkProperty.Value
                        }
                    }
                    if ($isReparsePoint -and ($isDirectory -or $linkType -eq 'SymbolicLink' -or $linkType -eq 'Junction')) {
                        New-AzsBackupRemoteTreeEntry -RelativePath $name -Type 'Skipped' -MtimeTicks $ticks -Reason 'a symbolic link, junction or mount point, not followed'
                    }
                    elseif ($isDirectory) {
                        New-AzsBackupRemoteTreeEntry -RelativePath $name -Type 'Directory' -MtimeTicks $ticks
                        $pending.Push($name + '/')
                    }
                    else {
                        [System.IO.FileInfo] $file = $child
                        New-AzsBackupRemoteTreeEntry -RelativePath $name -Type 'File' -Size $file.Length -MtimeTicks $ticks
                    }
                }
                catch {
                    New-AzsBackupRemoteTreeEntry -RelativePath $name -Type 'Skipped' -Reason ('cannot read its attributes: ' + $_.Exception.Message)
                }
            }
        }
    }
    catch {
        $PSCmdlet.ThrowTerminatingError((ConvertTo-AzsBackupRemoteError -Exception $_.Exception -Target $Root))
    }
}

function Read-AzsBackupRemoteFile {
    <#
    .SYNOPSIS
    Returns up to Length bytes of a file from Offset, as one byte array; nothing at the end of the file.

    .DESCRIPTION
    An empty byte array is never written: pypsrp cannot read one back, so no output means no bytes.

    .PARAMETER Root
    The root of the tree.

    .PARAMETER RelativePath
    The file, below the root.

    .PARAMETER Offset
    Where to start reading.

    .PARAMETER Length
    How many bytes to read at most (the provider asks for 1 MiB).
    #>
    [CmdletBinding()]
    [OutputType([byte[]])]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $Root,

        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $RelativePath,

        [long] $Offset = 0,

        [ValidateRange(1, 16777216)]
        [int] $Length = 1048576
    )

    Set-StrictMode -Version Latest
    $ErrorActionPreference = 'Stop'

    try {
        [string] $path = Get-AzsBackupRemotePath -Root $Root -RelativePath $RelativePath
        [byte[]] $buffer = [byte[]]::new($Length)
        [int] $filled = 0
        [System.IO.FileStream] $stream = [System.IO.FileStream]::new($path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare] 'ReadWrite, Delete')
        try {
            [void] $stream.Seek($Offset, [System.IO.SeekOrigin]::Begin)
            [int] $got = 1
            while ($filled -lt $Length -and $got -gt 0) {
                $got = $stream.Read($buffer, $filled, $Length - $filled)
                $filled += $got
            }
        }
        finally {
            $stream.Dispose()
        }
        if ($filled -gt 0) {
            [byte[]] $data = [byte[]]::new($filled)
            [System.Array]::Copy($buffer, $data, $filled)
            , $data
        }
    }
    catch {
        $PSCmdlet.ThrowTerminatingError((ConvertTo-AzsBackupRemoteError -Exception $_.Exception -Target $RelativePath))
    }
}

function Get-AzsBackupRemoteFileHash {
    <#
    .SYNOPSIS
    Returns the lower-case hex SHA-256 of a file and the number of bytes hashed (Sha256, Size).

    .PARAMETER Root
    The root of the tree.

    .PARAMETER RelativePath
    The file, below the root.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $Root,

        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $RelativePath
    )

    Set-StrictMode -Version Latest
    $ErrorActionPreference = 'Stop'

    try {
        [string] $path = Get-AzsBackupRemotePath -Root $Root -RelativePath $RelativePath
        # SHA256.Create() is FIPS-safe on .NET Framework 4.8 and .NET; Get-FileHash would open without FileShare.Delete.
        [System.Security.Cryptography.SHA256] $algorithm = [System.Security.Cryptography.SHA256]::Create()
        try {
            [System.IO.FileStream] $stream = [System.IO.FileStream]::new($path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare] 'ReadWrite, Delete', 1048576, [System.IO.FileOptions]::SequentialScan)
            try {
                [byte[]] $digest = $algorithm.ComputeHash($stream)
                [pscustomobject]@{
                    Sha256 = [System.BitConverter]::ToString($digest).Replace('-', '').ToLowerInvariant()
                    Size   = $stream.Position
                }
            }
            finally {
                $stream.Dispose()
            }
        }
        finally {
            $algorithm.Dispose()
        }
    }
    catch {
        $PSCmdlet.ThrowTerminatingError((ConvertTo-AzsBackupRemoteError -Exception $_.Exception -Target $RelativePath))
    }
}

function New-AzsBackupRemoteDirectory {
    <#
    .SYNOPSIS
    Creates a directory below the root, and its parents.

    .PARAMETER Root
    The root of the tree.

    .PARAMETER RelativePath
    The directory, below the root.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $Root,

        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $RelativePath
    )

    Set-StrictMode -Version Latest
    $ErrorActionPreference = 'Stop'

    try {
        [string] $path = Get-AzsBackupRemotePath -Root $Root -RelativePath $RelativePath
        [void] [System.IO.Directory]::CreateDirectory($path)
    }
    catch {
        $PSCmdlet.ThrowTerminatingError((ConvertTo-AzsBackupRemoteError -Exception $_.Exception -Target $RelativePath))
    }
}

function Write-AzsBackupRemoteFile {
    <#
    .SYNOPSIS
    Writes bytes at Offset into the partial file of RelativePath (.azsbackup-partial in the same directory).

    .DESCRIPTION
    Offset 0 creates or empties the partial file (and its directory); any other offset must equal the
    partial file's length, so a lost or repeated chunk fails with Mismatch. The file takes its name only
    in Complete-AzsBackupRemoteFile, once its SHA-256 is the one the engine sent.

    .PARAMETER Root
    The root of the tree.

    .PARAMETER RelativePath
    The file being restored, below the root.

    .PARAMETER Offset
    Where the bytes go: the number of bytes written so far.

    .PARAMETER Data
    The bytes.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $Root,

        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $RelativePath,

        [long] $Offset = 0,

        [byte[]] $Data = @()
    )

    Set-StrictMode -Version Latest
    $ErrorActionPreference = 'Stop'

    try {
        [string] $folder = $RelativePath.Substring(0, $RelativePath.LastIndexOf('/') + 1).TrimEnd([char] '/')
        [string] $directory = Get-AzsBackupRemotePath -Root $Root -RelativePath $folder
        [string] $path = Get-AzsBackupRemotePath -Root $Root -RelativePath $RelativePath
        [string] $partial = $directory.TrimEnd([char] '\') + '\.azsbackup-partial'
        [System.IO.FileMode] $mode = [System.IO.FileMode]::Open
        if ($Offset -eq 0) {
            [void] [System.IO.Directory]::CreateDirectory($directory)
            $mode = [System.IO.FileMode]::Create
        }
        [System.IO.FileStream] $stream = [System.IO.FileStream]::new($partial, $mode, [System.IO.FileAccess]::Write, [System.IO.FileShare]::None)
        try {
            if ($stream.Length -ne $Offset) {
                throw [System.IO.InvalidDataException]::new(('The partial file of {0} holds {1} bytes, not {2}: a chunk was lost or sent twice.' -f $path, $stream.Length, $Offset))
            }
            [void] $stream.Seek($Offset, [System.IO.SeekOrigin]::Begin)
            $stream.Write($Data, 0, $Data.Length)
        }
        finally {
            $stream.Dispose()
        }
    }
    catch {
        $PSCmdlet.ThrowTerminatingError((ConvertTo-AzsBackupRemoteError -Exception $_.Exception -Target $RelativePath))
    }
}

function Complete-AzsBackupRemoteFile {
    <#
    .SYNOPSIS
    Gives the partial file its name once its SHA-256 is the expected one; returns its Sha256 and Size.

    .DESCRIPTION
    A partial file whose hash differs is deleted and the call fails with Mismatch; the file the name held
    before stays as it was. An existing file is replaced with File.Replace, which keeps its attributes
    (hidden, system, read-only) and its access control list; its last write time becomes MtimeTicks.

    .PARAMETER Root
    The root of the tree.

    .PARAMETER RelativePath
    The file being restored, below the root.

    .PARAMETER Sha256
    The lower-case hex SHA-256 of the bytes the engine sent.

    .PARAMETER MtimeTicks
    The last write time to set, in 100 ns ticks since 1970-01-01 UTC.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $Root,

        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $RelativePath,

        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $Sha256,

        [long] $MtimeTicks = 0
    )

    Set-StrictMode -Version Latest
    $ErrorActionPreference = 'Stop'

    try {
        [string] $folder = $RelativePath.Substring(0, $RelativePath.LastIndexOf('/') + 1)
        [string] $partialName = $folder + '.azsbackup-partial'
        [string] $partial = Get-AzsBackupRemotePath -Root $Root -RelativePath $partialName
        [string] $path = Get-AzsBackupRemotePath -Root $Root -RelativePath $RelativePath
        $written = Get-AzsBackupRemoteFileHash -Root $Root -RelativePath $partialName
        if ($written.Sha256 -ne $Sha256) {
            [System.IO.File]::Delete($partial)
            throw [System.IO.InvalidDataException]::new(('{0} was written with SHA-256 {1}, not the {2} sent.' -f $RelativePath, $written.Sha256, $Sha256))
        }
        [System.DateTime] $mtime = [System.DateTime]::new($MtimeTicks + 621355968000000000, [System.DateTimeKind]::Utc)
        if ([System.IO.File]::Exists($path)) {
            # File.Replace refuses a read-only file; its attributes are put back once it holds the new bytes.
            [System.IO.FileAttributes] $attributes = [System.IO.File]::GetAttributes($path)
            [System.IO.File]::SetAttributes($path, [System.IO.FileAttributes]::Normal)
            [System.IO.File]::Replace($partial, $path, [System.Management.Automation.Language.NullString]::Value)
            [System.IO.File]::SetLastWriteTimeUtc($path, $mtime)
            [System.IO.File]::SetAttributes($path, $attributes)
        }
        else {
            [System.IO.File]::Move($partial, $path)
            [System.IO.File]::SetLastWriteTimeUtc($path, $mtime)
        }
        $written
    }
    catch {
        $PSCmdlet.ThrowTerminatingError((ConvertTo-AzsBackupRemoteError -Exception $_.Exception -Target $RelativePath))
    }
}
