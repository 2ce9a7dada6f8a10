"""The smbprotocol internals ``azsbackup/storage/smb/_compat.py`` relies on are all there, in a checked release.

An smbprotocol upgrade that drops or renames one fails here with its name, not
as an AttributeError in the middle of a transfer.
"""

from __future__ import annotations

from azsbackup.storage.smb import _compat


def test_the_installed_smbprotocol_is_a_release_the_compat_module_was_checked_on() -> None:
    installed = _compat.installed_version()
    assert _compat.checked(installed), (
        f"smbprotocol {installed} is installed, but azsbackup/storage/smb/_compat.py was checked on "
        f"{', '.join(_compat.CHECKED_VERSIONS)} only: review every function there against {installed}, run the "
        "SMB tests, then add the release to CHECKED_VERSIONS and to the cap in pyproject.toml"
    )


def test_every_smbprotocol_internal_azsbackup_relies_on_is_present() -> None:
    missing = _compat.missing_internals()
    assert not missing, (
        f"smbprotocol {_compat.installed_version()} lacks what azsbackup/storage/smb/_compat.py relies on: "
        + "; ".join(missing)
    )


def test_the_check_names_what_is_missing() -> None:
    # The check is only worth something if it can fail: a release without the private receive timeout.
    relied_on = _compat._relied_on()
    objects = _compat._objects()
    del objects["Connection"]._receive_timeout
    failing = [what for what, present in relied_on if not present(objects)]
    assert failing == ["Connection._receive_timeout"]
    assert not _compat.checked("1.18.0") and _compat.checked("1.17.3")
