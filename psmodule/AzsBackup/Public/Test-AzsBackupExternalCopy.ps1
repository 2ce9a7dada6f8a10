function Test-AzsBackupExternalCopy {
    <#
    .SYNOPSIS
    Verifies the copies of the backups on the external location.

    .DESCRIPTION
    Reads exported backups back from the external location and checks each manifest's signature and signer
    and each archive's size and SHA-256 against the signed manifest, without any key. Without parameters it
    reads the copies not verified since they were exported first, then the least recently verified, as many
    as the configured byte budget allows (Set-AzsBackupConfiguration -VerifyMaxBytes) and at least one.
    Returns the report: each copy read with its result (Verified, Damaged or Missing) and the copies left for
    later runs. A damaged or missing copy raises the alert external-copy-damaged and is written as a
    non-terminating error after the report (AzsBackup.checksum-mismatch, AzsBackup.signature-invalid, ... or
    AzsBackup.integrity-error for a missing file); with none left damaged the alert closes. Each run is a
    verify job (Get-AzsBackupJob -Kind verify).

    .PARAMETER BackupId
    Verifies only the copy of this backup (also from the BackupId of piped copies or backups). A backup the
    location holds no copy of is an AzsBackup.not-found error.

    .PARAMETER All
    Verifies every copy, whatever the byte budget.

    .PARAMETER MaxBytes
    The byte budget of this run instead of the configured one: 50GB, 512MB (PowerShell's 1024-based
    multipliers, as the engine's).

    .PARAMETER AsJob
    Runs the verification as a background job and returns the job.

    .PARAMETER ComputerName
    Runs the cmdlet on these hosts instead of here, through one Invoke-Command (WinRM). Each host needs the
    AzsBackup module and the engine. Objects come back with PSComputerName; a host that fails gives an
    error naming it, and the other hosts go on.

    .PARAMETER Credential
    The account for -ComputerName.

    .PARAMETER Session
    Runs the cmdlet in these existing PowerShell sessions instead of here.

    .PARAMETER ThrottleLimit
    How many hosts are contacted at once (Invoke-Command's -ThrottleLimit; its default when not given).

    .PARAMETER OriginComputerName
    The host a piped object came from: its PSComputerName, which Invoke-Command adds. Without -ComputerName
    or -Session the cmdlet runs on that host, so that what was listed there is changed there (not the
    object of the same name or id here). Objects of this host, or of a local background job (localhost),
    stay here. Filled from the pipeline.

    .EXAMPLE
    Test-AzsBackupExternalCopy

    Verifies as many copies as the configured budget allows, those never verified first.

    .EXAMPLE
    Test-AzsBackupExternalCopy -MaxBytes 50GB | Select-Object -ExpandProperty Copies

    Reads back up to 50 GiB of copies and shows the result of each.

    .EXAMPLE
    Test-AzsBackupExternalCopy -All -ComputerName azs-ctl01, azs-ctl02 -ErrorVariable damaged

    Verifies every copy on two controllers; $damaged holds an error for each controller with a damaged copy.

    .EXAMPLE
    Get-AzsBackupExternalCopy | Where-Object -Property VerificationResult -EQ -Value Damaged | Test-AzsBackupExternalCopy

    Verifies again the copies found damaged, for example after they were restored on the share.

    .LINK
    https://pypi.org/project/azsbackup/
    #>
    [CmdletBinding(DefaultParameterSetName = 'Budget', PositionalBinding = $false)]
    [OutputType('AzsBackup.ExternalCopyVerification')]
    param(
        [Parameter(Mandatory = $true, ParameterSetName = 'Backup', Position = 0, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $BackupId,

        [Parameter(Mandatory = $true, ParameterSetName = 'All')]
        [switch] $All,

        [Parameter(ParameterSetName = 'Budget')]
        [ValidateRange(0, 999999999999999)]
        [long] $MaxBytes,

        [switch] $AsJob,

        [ValidateNotNullOrEmpty()]
        [string[]] $ComputerName,

        [pscredential] $Credential,

        [System.Management.Automation.Runspaces.PSSession[]] $Session,

        [ValidateRange(1, 1024)]
        [int] $ThrottleLimit,

        [Parameter(ParameterSetName = 'Backup', ValueFromPipelineByPropertyName = $true)]
        [Alias('PSComputerName')]
        [string] $OriginComputerName
    )

    process {
        Invoke-AzsBackupCmdlet -Caller $PSCmdlet -BoundParameters $PSBoundParameters
    }
}
