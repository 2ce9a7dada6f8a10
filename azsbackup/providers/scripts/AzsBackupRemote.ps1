# File commands the azsbackup `winrm` provider runs on a Windows host (installed with the AzsBackup module
# or dot-sourced into the session). They move bytes and hashes only; all decisions stay in the engine.

function Get-AzsBackupRemoteTree {
    <#
    .SYNOPSIS
    Lists a directory tree with sizes, modification times and SHA-256 hashes.

    .PARAMETER Path
    The root of the tree.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Path
    )

    $root = (Resolve-Path -LiteralPath $Path).ProviderPath.TrimEnd('\')
    Get-ChildItem -LiteralPath $root -Recurse -Force | Sort-Object -Property FullName | ForEach-Object {
        $relative = $_.FullName.Substring($root.Length + 1).Replace('\', '/')
        $isDirectory = $_.PSIsContainer
        [pscustomobject]@{
            RelativePath = $relative
            Type         = if ($isDirectory) { 'Directory' } else { 'File' }
            Size         = if ($isDirectory) { 0 } else { $_.Length }
            MtimeNs      = ($_.LastWriteTimeUtc.Ticks - 621355968000000000) * 100
            Sha256       = if ($isDirectory) { '' } else { (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash.ToLowerInvariant() }
        }
    }
}

function Read-AzsBackupRemoteFile {
    <#
    .SYNOPSIS
    Returns Length bytes of a file from Offset.

    .PARAMETER Path
    The file.

    .PARAMETER Offset
    Where to start reading.

    .PARAMETER Length
    How many bytes to read at most.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Path,

        [long] $Offset = 0,

        [int] $Length = 4194304
    )

    $stream = [System.IO.File]::OpenRead($Path)
    try {
        [void]$stream.Seek($Offset, [System.IO.SeekOrigin]::Begin)
        $buffer = [byte[]]::new($Length)
        $read = $stream.Read($buffer, 0, $Length)
        if ($read -lt $Length) { [System.Array]::Resize([ref]$buffer, $read) }
        , $buffer
    }
    finally {
        $stream.Dispose()
    }
}

function Write-AzsBackupRemoteFile {
    <#
    .SYNOPSIS
    Writes bytes into a file at Offset (Offset 0 creates or truncates it).

    .PARAMETER Path
    The file.

    .PARAMETER Offset
    Where to write.

    .PARAMETER Data
    The bytes.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Path,

        [long] $Offset = 0,

        [byte[]] $Data = @()
    )

    $mode = if ($Offset -eq 0) { [System.IO.FileMode]::Create } else { [System.IO.FileMode]::Open }
    $stream = [System.IO.File]::Open($Path, $mode, [System.IO.FileAccess]::Write)
    try {
        [void]$stream.Seek($Offset, [System.IO.SeekOrigin]::Begin)
        $stream.Write($Data, 0, $Data.Length)
    }
    finally {
        $stream.Dispose()
    }
}

function Get-AzsBackupRemoteFileHash {
    <#
    .SYNOPSIS
    Returns the lower-case hex SHA-256 of a file.

    .PARAMETER Path
    The file.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Path
    )

    (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant()
}

function New-AzsBackupRemoteDirectory {
    <#
    .SYNOPSIS
    Creates a directory and its parents.

    .PARAMETER Path
    The directory.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Path
    )

    [void](New-Item -ItemType Directory -Path $Path -Force)
}
