"""azsbackup: an infrastructure backup service.

Backs up registered infrastructure components, compresses and encrypts each one
to X.509 certificates, keeps the backups in an internal store and exports a copy
to an SMB share. See docs/design.md for the architecture.
"""

__version__ = "0.1.0"
