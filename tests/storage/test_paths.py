"""The external path and account forms operators type, and the errors for everything else."""

from __future__ import annotations

import string
import urllib.parse

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from azsbackup.errors import InvalidValue
from azsbackup.storage.paths import (
    ALLOWED_PATHS,
    SMB_PORT,
    Credentials,
    LocationSpec,
    check_username,
    is_valid_name,
    parse_location,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            r"\\fs01.contoso.com\AzSBackups\contoso\nyc",
            LocationSpec("smb", server="fs01.contoso.com", share="AzSBackups", path="contoso/nyc"),
        ),
        (r"\\FS01\Backups$", LocationSpec("smb", server="fs01", share="Backups$")),
        ("//10.0.0.5/backups/", LocationSpec("smb", server="10.0.0.5", share="backups")),
        (r"\\fs01/share\a//b\\", LocationSpec("smb", server="fs01", share="share", path="a/b")),
        ("  smb://fs01:4450/share/a/b  ", LocationSpec("smb", server="fs01", port=4450, share="share", path="a/b")),
        ("SMB://fs01:445/share", LocationSpec("smb", server="fs01", share="share")),
        ("smb://[::1]:4451/share/x", LocationSpec("smb", server="[::1]", port=4451, share="share", path="x")),
        ("smb://[fe80::1]/share", LocationSpec("smb", server="[fe80::1]", share="share")),
        ("smb://fs01/my%20share/z%C3%BCrich", LocationSpec("smb", server="fs01", share="my share", path="zürich")),
        (r"\\fs01\Sicherung\Größe 2", LocationSpec("smb", server="fs01", share="Sicherung", path="Größe 2")),
        ("/srv/backups", LocationSpec("local", path="/srv/backups")),
        ("/srv/backups/", LocationSpec("local", path="/srv/backups")),
        ("/", LocationSpec("local", path="/")),
        (r"C:\Backups\azs", LocationSpec("local", path=r"C:\Backups\azs")),
        ("d:/backups", LocationSpec("local", path="d:/backups")),
        ("C:\\", LocationSpec("local", path="C:\\")),
    ],
)
def test_accepted_forms(text: str, expected: LocationSpec) -> None:
    spec = parse_location(text)
    assert spec == expected
    assert parse_location(spec.display) == spec


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        r"\\server-only",
        r"\\server-only\\",
        "//",
        "///srv/x",
        "smb://host",
        "smb://host/",
        "smb:///share",
        "smb://host:0/share",
        "smb://host:65536/share",
        "smb://host:44a/share",
        "smb://host/share?x=1",
        "smb://host/share#frag",
        "smb://host/share/%zz",
        "smb://host/share/%C3",
        "smb://[::g]/share",
        "smb://[::1/share",
        "smb://300.1.1.1/share",
        "smb://ho st/share",
        "smb://-host/share",
        "relative/dir",
        "backups",
        "ftp://x/y",
        "file:///srv/x",
        r"\\srv\share\..\escape",
        r"\\srv\share\.\x",
        r"\\srv\..\x",
        r"\\srv\share\a:b",
        r"\\srv\share\trailing.",
        r"\\srv\sh*re",
        r"\\srv\share[1]",
        "/srv/../etc",
        r"C:\Backups\..\Windows",
        "C:relative",
        "/srv/x\x00y",
    ],
)
def test_refused_forms_name_the_accepted_ones(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_location(text)
    assert caught.value.facts["field"] == "path"
    assert ALLOWED_PATHS in caught.value.message
    assert r"\\server\share\folder" in caught.value.message


@pytest.mark.parametrize(
    "text",
    ["smb://backup:S3cret-pw@fs01/share", r"\\backup:S3cret-pw@fs01\share", "//backup:S3cret-pw@fs01/share"],
)
def test_a_password_typed_into_the_path_is_refused_without_echoing_it(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_location(text)
    assert "S3cret-pw" not in caught.value.message
    assert "S3cret-pw" not in caught.value.hint
    assert "***@fs01" in caught.value.message


def _blob(server: str, port: int, account: str, container: str, path: str = "", **kw: object) -> LocationSpec:
    scheme = str(kw.get("scheme", "https"))
    return LocationSpec(
        "blob",
        server=server,
        port=port,
        share=container,
        path=path,
        account=account,
        scheme=scheme,
        path_style=bool(kw.get("path_style", False)),
    )


@pytest.mark.parametrize(
    ("text", "expected", "account_url"),
    [
        (
            "https://contoso.blob.core.windows.net/azsbackups/nyc/stamp1",
            _blob("contoso.blob.core.windows.net", 443, "contoso", "azsbackups", "nyc/stamp1"),
            "https://contoso.blob.core.windows.net",
        ),
        (  # an Azure Stack Hub storage account: the region's endpoint suffix
            "HTTPS://Contoso.Blob.Local.AzureStack.External/masbackup/",
            _blob("contoso.blob.local.azurestack.external", 443, "contoso", "masbackup"),
            "https://contoso.blob.local.azurestack.external",
        ),
        (
            "https://stamp01.blob.east.contoso.com:8443/backups/Größe",
            _blob("stamp01.blob.east.contoso.com", 8443, "stamp01", "backups", "Größe"),
            "https://stamp01.blob.east.contoso.com:8443",
        ),
        (  # path style, as the emulator serves it
            "http://127.0.0.1:10000/devstoreaccount1/backups/a/b",
            _blob("127.0.0.1", 10000, "devstoreaccount1", "backups", "a/b", scheme="http", path_style=True),
            "http://127.0.0.1:10000/devstoreaccount1",
        ),
        (
            "https://[::1]:10000/devstoreaccount1/backups",
            _blob("[::1]", 10000, "devstoreaccount1", "backups", scheme="https", path_style=True),
            "https://[::1]:10000/devstoreaccount1",
        ),
        (
            "https://storage.test.lab/acct01/backups/x%20y",
            _blob("storage.test.lab", 443, "acct01", "backups", "x y", path_style=True),
            "https://storage.test.lab/acct01",
        ),
    ],
)
def test_blob_urls_host_and_path_style(text: str, expected: LocationSpec, account_url: str) -> None:
    spec = parse_location(text)
    assert spec == expected
    assert spec.account_url == account_url
    assert parse_location(spec.display) == spec
    assert not spec.uses_username


@pytest.mark.parametrize(
    "text",
    [
        "https://contoso.blob.core.windows.net",
        "https://contoso.blob.core.windows.net/",
        "https://contoso.blob.core.windows.net/Upper",
        "https://contoso.blob.core.windows.net/ab",
        "https://contoso.blob.core.windows.net/a--b",
        "https://contoso.blob.core.windows.net/-ab",
        "https://contoso.blob.core.windows.net/abc/../x",
        "https://contoso.blob.core.windows.net/abc/./x",
        "https://contoso.blob.core.windows.net/abc/a%5Cb",
        "https://contoso.blob.core.windows.net/abc#frag",
        "https://Con_toso.blob.core.windows.net/abc",
        "https://ab.blob.core.windows.net/abc",
        "http://127.0.0.1:10000/devstoreaccount1",
        "http://127.0.0.1:10000/devstoreaccount1/",
        "http://127.0.0.1:99999/devstoreaccount1/abc",
        "https://storage.test.lab/Account/abc",
    ],
)
def test_refused_blob_urls_name_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_location(text)
    assert "https://ACCOUNT.blob.SUFFIX/CONTAINER[/PREFIX]" in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "https://contoso.blob.core.windows.net/abc?sv=2019-02-02&sp=rwdl&sig=S3cretSig%3D",
        "https://contoso.blob.core.windows.net/abc/?sig=S3cretSig",
        "https://contoso:S3cretSig@contoso.blob.core.windows.net/abc",
    ],
)
def test_a_sas_or_key_typed_into_a_blob_url_is_refused_without_echoing_it(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_location(text)
    assert "S3cretSig" not in caught.value.message and "S3cretSig" not in caught.value.hint


def test_unc_is_what_smbclient_takes() -> None:
    spec = parse_location("smb://[::1]:4450/share/a/b")
    assert spec.host == "::1"
    assert spec.unc() == r"\\::1\share\a\b"
    assert spec.unc("x/y.bin") == r"\\::1\share\a\b\x\y.bin"
    assert parse_location(r"\\fs01\share").unc("", "z") == r"\\fs01\share\z"
    with pytest.raises(ValueError):
        parse_location("/srv").unc()


def test_display_uses_unc_on_the_standard_port_and_a_url_otherwise() -> None:
    assert parse_location("smb://fs01/share/a").display == r"\\fs01\share\a"
    assert parse_location(r"\\fs01\my share\50%").display == r"\\fs01\my share\50%"
    assert parse_location("smb://fs01:4450/my%20share/50%25").display == "smb://fs01:4450/my%20share/50%25"


# --- properties --------------------------------------------------------------------------


_name_chars = st.characters(exclude_categories=("Cs", "Cc"), exclude_characters='\\/:*?"<>|%[]+=;,#@')
names = st.text(_name_chars, min_size=1, max_size=16).filter(is_valid_name)
shares = names.filter(lambda n: n.strip(".") != "")
label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
hosts = st.one_of(
    st.lists(label, min_size=1, max_size=3).map(".".join).filter(lambda h: not h.replace(".", "").isdigit()),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda a: f"[{a.compressed}]"),
)


@given(server=hosts, share=shares, folders=st.lists(names, max_size=4), port=st.integers(1, 65535))
@example(server="fs01", share="C$", folders=["größe", "日本"], port=445)
def test_every_form_of_the_same_place_parses_alike(server: str, share: str, folders: list[str], port: int) -> None:
    expected = LocationSpec("smb", server=server, port=port, share=share, path="/".join(folders))
    quoted = "/".join(urllib.parse.quote(p, safe="") for p in [share, *folders])
    assert parse_location(f"smb://{server}:{port}/{quoted}") == expected
    assert parse_location(expected.display) == expected
    if port == SMB_PORT:
        assert parse_location(f"smb://{server}/{quoted}") == expected
        assert parse_location("\\\\" + "\\".join([server, share, *folders])) == expected
        assert parse_location("//" + "/".join([server, share, *folders]) + "/") == expected
    assert expected.unc().split("\\")[2:] == [server.strip("[]"), share, *folders]


@given(st.text(max_size=60))
@example("smb://[")
@example("\\\\\\")
@example("smb://h/s/%")
def test_anything_parses_or_is_refused_with_invalid_value(text: str) -> None:
    try:
        spec = parse_location(text)
    except InvalidValue as exc:
        assert exc.facts["field"] == "path"
        return
    assert parse_location(spec.display) == spec
    if spec.kind == "smb":
        assert spec.share and all(is_valid_name(p) for p in spec.folders)
    else:
        assert ".." not in spec.path.replace("\\", "/").split("/")


@given(st.text(string.printable.replace("/", "").replace(":", ""), max_size=40))
def test_hostile_server_names_never_pass(server: str) -> None:
    assume(any(c in server for c in '\\*?"<>| @%#[]') and not server.startswith("["))
    with pytest.raises(InvalidValue):
        parse_location(f"smb://{server}/share")


# --- account names ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["root", "svc-backup", r"CONTOSO\svc", r"contoso.com\svc", "svc@contoso.com", "a b"])
def test_accepted_usernames(name: str) -> None:
    assert check_username(name) == name
    assert Credentials(name, "pw").username == name


@pytest.mark.parametrize("name", [r"a\b\c", "x@", "@x", " x", "x ", "a:b", "a/b", r"\svc", "svc@", "a@b@c", "..."])
def test_refused_usernames_name_the_accepted_forms(name: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Credentials(name, "pw")
    assert caught.value.facts["field"] == "username"
    assert r"DOMAIN\user, user@domain or user" in caught.value.message


@given(username=st.sampled_from(["svc", r"CONTOSO\svc", "svc@contoso.com"]), secret=st.text(min_size=1, max_size=30))
def test_credentials_never_show_the_password(username: str, secret: str) -> None:
    password = f"PW-{secret}"
    credentials = Credentials(username, password)
    assert password not in repr(credentials)
    assert password not in str(credentials)
    assert credentials.password == password


def test_empty_credentials_are_allowed_for_local_locations() -> None:
    assert Credentials() == Credentials("", "")
