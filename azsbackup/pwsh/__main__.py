"""``python -m azsbackup.pwsh``: what the AzsBackup PowerShell module starts for every cmdlet call."""

from azsbackup.pwsh.bridge import main

if __name__ == "__main__":
    main()
