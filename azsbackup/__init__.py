"""azsbackup: an infrastructure backup service.

Backs up registered infrastructure components, compresses and encrypts each one
to X.509 certificates, keeps the backups in an internal store and exports a copy
to an SMB share. See docs/design.md for the architecture.
"""

__version__ = "0.1.0"

SCHEMA = "azsbackup/1"
"""Schema tag carried by every JSON document the engine prints (also :data:`azsbackup.model.SCHEMA`).

It lives here, in a module with no imports, so that ``config get`` can print it
without importing :mod:`azsbackup.model` and its dataclasses (start-up time).
"""
