"""Rules of docs/format.md section 4 that an independent reader depends on."""

from __future__ import annotations

import json

import pytest

from azsbackup.archive.manifest import decode_signed
from azsbackup.errors import FormatError
from azsbackup.jsontext import json_safe, printable
from tests.reliability.test_fuzz_parsers import VALID_BODY, VALID_MANIFEST, signed_manifest


def _stored(document: dict[str, object]) -> bytes:
    """A document serialised exactly as section 5.2 says a stored manifest is."""
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("member", ["note", "body_b64", "signature2"])
def test_a_member_beside_body_schema_and_signature_is_refused(member: str) -> None:
    """Outside the signature, such a member could tell a reader something the signer never said."""
    document = json.loads(VALID_MANIFEST)
    decode_signed(_stored(document))  # the serialisation above is the writer's: the genuine file passes
    document[member] = "restore me to /etc"
    with pytest.raises(FormatError, match="not a valid azsbackup manifest"):
        decode_signed(_stored(document))


def test_a_manifest_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(FormatError):
        decode_signed(b"[]")


def test_bytes_that_do_not_decode_become_one_replacement_character_each() -> None:
    """`e2 82` begins a character that `ff` does not finish: three bytes, three U+FFFD (format.md 4.1)."""
    name = b"a\xe2\x82\xffb".decode("utf-8", "surrogateescape")
    assert printable(name) == "a\ufffd\ufffd\ufffdb"
    assert json_safe({"subject": name}) == {"subject": "a\ufffd\ufffd\ufffdb", "subject_b64": "YeKC/2I="}


def test_valid_text_is_left_as_it_is() -> None:
    assert printable("café/\ufffd") == "café/\ufffd"


@pytest.mark.parametrize(
    ("name", "file"),
    [("..", "...azsb"), ("config", "../config.azsb"), ("config", "config.azsb/../../x.azsb"), ("con", "con.azsb")],
)
def test_a_signed_manifest_cannot_name_a_path_outside_its_backup(name: str, file: str) -> None:
    """Even a correctly signed body: a reader joins these names to the backup's directory and the target."""
    body = json.loads(json.dumps(VALID_BODY))
    body["components"][0]["name"] = name
    body["components"][0]["archive"]["file"] = file
    with pytest.raises(FormatError, match="not well formed"):
        decode_signed(signed_manifest(body))


def test_archive_names_after_a_rekey_are_accepted() -> None:
    body = json.loads(json.dumps(VALID_BODY))
    component = body["components"][0]
    component["archive"]["file"] = f"{component['name']}.0a1b2c.azsb"
    decode_signed(signed_manifest(body))
