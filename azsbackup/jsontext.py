"""Text that is not valid Unicode, in JSON: one rule for every document the engine writes.

A POSIX file name is bytes. Python carries the bytes of a name that do not decode as UTF-8 as lone
surrogates (``surrogateescape``), which UTF-8 cannot encode and JSON parsers outside Python refuse.
Every JSON document the engine writes (manifests, ``--json`` output, ``--log-json`` events, webhook
bodies) follows one rule instead (docs/json-api.md, docs/format.md):

* such text is written with U+FFFD in place of each byte that does not decode;
* an object member ``f`` whose value is such text also gets a member ``f_b64``: the exact bytes,
  standard base64 (RFC 4648 section 4, with padding). The member is absent when the text is valid.

:func:`restore_text` undoes the rule for one object, so a value read back is the value written.
This module is a leaf: it imports nothing from azsbackup.
"""

from __future__ import annotations

import json
import re

# typing and base64 stay out of the import: the lean ``config get`` start (fastpath.py) uses this module.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

B64_SUFFIX = "_b64"
_SURROGATE = re.compile("[\ud800-\udfff]")


def is_valid(text: str) -> bool:
    """Whether ``text`` is valid Unicode (holds no surrogate-escaped byte)."""
    return _SURROGATE.search(text) is None


def raw_bytes(text: str) -> bytes:
    """The bytes ``text`` stands for: UTF-8, with surrogate escapes turned back into their bytes."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that is not an escaped byte
        return text.encode("utf-8", "surrogatepass")


def printable(text: str) -> str:
    """``text`` as valid Unicode: each byte that does not decode becomes one U+FFFD.

    Byte by byte, as docs/format.md says, so that a reader in another language gets the same text;
    Python's ``"replace"`` handler would give one U+FFFD per maximal subpart (``e2 82`` → one).
    """
    if is_valid(text):
        return text
    return _SURROGATE.sub("\ufffd", raw_bytes(text).decode("utf-8", "surrogateescape"))


def json_safe(value: Any) -> Any:
    """``value`` with the rule applied to every string in it; values that need no change are returned as they are."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        safe: dict[Any, Any] = {}
        for key, item in value.items():
            name = printable(key) if isinstance(key, str) else key
            if isinstance(item, str) and not is_valid(item):
                safe[name] = printable(item)
                safe[f"{name}{B64_SUFFIX}"] = _b64encode(raw_bytes(item))
            else:
                safe[name] = json_safe(item)
        return safe
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return printable(str(value))


def restore_text(obj: dict[str, Any]) -> dict[str, Any]:
    """The inverse of the rule for one object: each ``f``/``f_b64`` pair becomes ``f`` holding the exact bytes."""
    restored = {k: v for k, v in obj.items() if not (k.endswith(B64_SUFFIX) and k[: -len(B64_SUFFIX)] in obj)}
    for key in restored:
        encoded = obj.get(f"{key}{B64_SUFFIX}")
        if isinstance(encoded, str):
            restored[key] = _b64decode(encoded).decode("utf-8", "surrogateescape")
    return restored


def _b64encode(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str) -> bytes:
    import base64

    return base64.b64decode(text, validate=True)


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps`` (UTF-8 text, non-ASCII as itself) of ``value`` under the rule; never fails on text."""
    text = json.dumps(value, ensure_ascii=False, default=str, **options)
    if is_valid(text):  # the usual case: one pass, no copy of the document
        return text
    return json.dumps(json_safe(value), ensure_ascii=False, **options)
