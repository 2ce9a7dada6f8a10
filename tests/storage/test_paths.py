"""The external path forms operators type, and the errors for everything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from azsbackup.errors import InvalidValue
from azsbackup.storage.paths import LocationSpec, parse_location


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            r"\\fs01.contoso.com\AzSBackups\contoso\nyc",
            LocationSpec("smb", "contoso/nyc", "fs01.contoso.com", 445, "AzSBackups"),
        ),
        ("//10.0.0.5/backups", LocationSpec("smb", "", "10.0.0.5", 445, "backups")),
        ("smb://fs01:4450/share/a/b", LocationSpec("smb", "a/b", "fs01", 4450, "share")),
        ("smb://[::1]:4451/share/x", LocationSpec("smb", "x", "[::1]", 4451, "share")),
        ("/srv/backups", LocationSpec("local", "/srv/backups")),
        (r"C:\Backups\azs", LocationSpec("local", r"C:\Backups\azs")),
    ],
)
def test_accepted_forms(text: str, expected: LocationSpec) -> None:
    assert parse_location(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        r"\\server-only",
        "//",
        "smb://host",
        "smb://user:pw@host/share",
        "relative/dir",
        "ftp://x/y",
        r"\\srv\share\..\escape",
        "/srv/../etc",
        "smb://ho st/share",
        "",
    ],
)
def test_refused_forms_name_the_accepted_ones(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_location(text)
    assert "smb://server[:port]/share/folder" in caught.value.message
    assert "user:pw" not in caught.value.message


segment = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=1, max_size=12)


@given(
    server=st.from_regex(r"[a-z][a-z0-9]{0,10}(\.[a-z]{2,5}){0,2}", fullmatch=True),
    share=segment,
    folders=st.lists(segment, max_size=4),
)
def test_unc_and_url_forms_agree(server: str, share: str, folders: list[str]) -> None:
    unc = parse_location("\\\\" + "\\".join([server, share, *folders]))
    url = parse_location("smb://" + "/".join([server, share, *folders]))
    assert unc == url
    assert (unc.kind, unc.server, unc.share, unc.path) == ("smb", server, share, "/".join(folders))
