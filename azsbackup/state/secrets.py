"""The controller's secrets file and how secrets reach the engine.

Secrets are the share password (stored) and the passwords of private keys
(never stored; given per command). They reach the engine on standard input or
from an environment variable, never on the command line where any local user
can read them in the process list.

``secrets.json`` sits in the controller directory, readable by its owner only;
it is the one file the controller's self-backup leaves out.
"""

from __future__ import annotations

import json
import os

from azsbackup.osutil import restrict_to_owner, write_private_file

# This module is on the path of ``config get``, whose start-up time is what operators feel:
# azsbackup.errors is imported where an error is raised (that query raises none), and
# typing and the annotation-only names below are not imported at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

# Names of environment variables, not secrets.
ENV_PASSWORD = "AZSBACKUP_PASSWORD"  # noqa: S105
ENV_PFX_PASSWORD = "AZSBACKUP_PFX_PASSWORD"  # noqa: S105
ENV_REMOTE_PASSWORD = "AZSBACKUP_REMOTE_PASSWORD"  # noqa: S105

SECRET_KEYS = ("password", "key_password", "remote_password")
_ENV_OF = {"password": ENV_PASSWORD, "key_password": ENV_PFX_PASSWORD, "remote_password": ENV_REMOTE_PASSWORD}
"""Keys accepted in the ``--secrets-stdin`` JSON object."""


class SuppliedSecrets:
    """Secrets given to this invocation (stdin JSON, one stdin line, or environment).

    A plain class rather than a dataclass: :class:`SecretStore` shares this module,
    and opening a controller should not import ``dataclasses`` (start-up time).
    """

    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.values: dict[str, str] = {} if values is None else values

    def get(self, key: str, env: str | None = None) -> str | None:
        """The secret ``key`` from stdin JSON, else from ``env`` (default: the key's own variable)."""
        env = env or _ENV_OF[key]
        return self.values.get(key) or os.environ.get(env) or None

    def __repr__(self) -> str:
        return f"SuppliedSecrets(keys={sorted(self.values)})"


def parse_secrets_json(text: str) -> SuppliedSecrets:
    """Parse the ``--secrets-stdin`` document: one JSON object with string values of known keys only."""
    from azsbackup.errors import InvalidValue

    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidValue(
            field="secrets on stdin",
            value="(not JSON)",
            allowed='one JSON object such as {"password": "..."}',
        ) from exc
    if not isinstance(doc, dict):
        raise InvalidValue(field="secrets on stdin", value=type(doc).__name__, allowed="a JSON object")
    unknown = sorted(set(doc) - set(SECRET_KEYS))
    if unknown:
        raise InvalidValue(field="secrets on stdin", value=", ".join(unknown), allowed=", ".join(SECRET_KEYS))
    if not all(isinstance(v, str) for v in doc.values()):
        raise InvalidValue(field="secrets on stdin", value="(non-string value)", allowed="string values")
    return SuppliedSecrets({k: v for k, v in doc.items() if v})


class SecretStore:
    """The owner-only ``secrets.json`` of a controller."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            from azsbackup.errors import ConfigError

            raise ConfigError(f"{self.path} cannot be read", hint="Set the password again with config set.") from exc
        return {k: v for k, v in data.items() if isinstance(v, str)}

    def get(self, key: str) -> str | None:
        return self._read().get(key)

    def set(self, key: str, value: str | None) -> None:
        data = self._read()
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
        write_private_file(self.path, json.dumps(data).encode("utf-8"))
        restrict_to_owner(self.path)

    def clear(self) -> None:
        if self.path.exists():
            write_private_file(self.path, b"{}")
