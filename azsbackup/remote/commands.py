"""Which AzsBackup cmdlet runs an engine command on a remote host, with which parameters, and back.

``azsbackup --computer-name HOST COMMAND …`` parses COMMAND exactly as locally,
then runs the matching cmdlet on HOST through :class:`RemoteClient` and prints
the same JSON document a local run prints. Both directions come from the one
table the PowerShell module is served by (:mod:`azsbackup.pwsh.table`): the table
says which engine option each cmdlet parameter becomes; here it is read
backwards (engine options → cmdlet parameters), and the cmdlet's objects are
turned back into the engine's document by the same shapes that made them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from azsbackup.errors import InvalidValue
from azsbackup.model import parse_byte_size
from azsbackup.pwsh import table
from azsbackup.remote.client import RemoteCredential, SecureText


class ParsedCommand:
    """An engine command line as click parsed it: the command words, arguments in order, and the options
    given on the command line by every one of their flags (a flag pair by the flag that was given)."""

    def __init__(self, words: tuple[str, ...], arguments: list[Any], options: Mapping[str, Any]) -> None:
        self.words = words
        self.arguments = arguments
        self.options = dict(options)


def flags(variant: table.Variant) -> set[str]:
    """The engine options a variant's parameters can give."""
    found: set[str] = set()
    for binding in variant.bindings:
        if isinstance(binding, table.Option | table.Switch | table.Credential):
            found.add(binding.flag)
        elif isinstance(binding, table.Toggle):
            found |= {binding.on, binding.off}
        elif isinstance(binding, table.Choice):
            found |= {w for words in binding.words.values() for w in words}
    return found


def find_variant(words: tuple[str, ...], given: set[str] | None = None) -> tuple[table.Cmdlet, table.Variant]:
    """The cmdlet and parameter set that run ``words``: of two that do (Start-AzsBackup and -NoWait), the one
    whose parameters give the options given."""
    candidates = [(c, v) for c in table.CMDLETS.values() for v in c.variants if v.words == words]
    for cmdlet, variant in sorted(candidates, key=lambda cv: -len(flags(cv[1]) & (given or set()))):
        return cmdlet, variant
    raise InvalidValue(
        field="command",
        value=" ".join(words),
        allowed="a command the AzsBackup cmdlets cover: "
        + ", ".join(" ".join(v.words) for c in table.CMDLETS.values() for v in c.variants),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return str(value) if hasattr(value, "__fspath__") else value


def remote_call(
    parsed: ParsedCommand, secret: Callable[[str], str | None]
) -> tuple[table.Cmdlet, table.Variant, dict[str, Any]]:
    """The cmdlet and its parameters for an engine command line (:func:`azsbackup.pwsh.table.engine_call` inverted)."""
    given_flags = {flag for flag, value in parsed.options.items() if value not in (None, False, ())}
    cmdlet, variant = find_variant(parsed.words, given_flags)
    options, arguments = dict(parsed.options), list(parsed.arguments)
    parameters: dict[str, Any] = {}
    used: set[str] = set()
    for binding in variant.bindings:
        name = binding.parameter
        if isinstance(binding, table.Argument):
            if arguments:
                parameters[name] = _plain(arguments.pop(0))
        elif isinstance(binding, table.ByteSize):
            if options.get(binding.flag) is not None:
                # the engine's 10G is a number of bytes to the cmdlet's [long]
                parameters[name] = parse_byte_size(binding.flag.lstrip("-"), str(options[binding.flag]))
            used.add(binding.flag)
        elif isinstance(binding, table.Option):
            if options.get(binding.flag) is not None:
                parameters[name] = _plain(options[binding.flag])
            used.add(binding.flag)
        elif isinstance(binding, table.Switch):
            if options.get(binding.flag):
                parameters[name] = True
            used.add(binding.flag)
        elif isinstance(binding, table.Toggle):
            if options.get(binding.on) or options.get(binding.off):
                parameters[name] = bool(options.get(binding.on))
            used |= {binding.on, binding.off}
        elif isinstance(binding, table.Choice):
            given = [key for key, words in binding.words.items() if words and all(options.get(w) for w in words)]
            parameters[name] = given[0] if given else next(k for k, w in binding.words.items() if not w)
            used |= {w for words in binding.words.values() for w in words}
        elif isinstance(binding, table.Secret):
            value = secret(binding.key)
            if value:
                parameters[name] = SecureText(value)
        elif isinstance(binding, table.Credential):
            username, password = options.get(binding.flag), secret(binding.key)
            if username is not None:
                parameters[name] = RemoteCredential(str(username), password or "")
            used.add(binding.flag)
        elif isinstance(binding, table.PassThru):
            parameters[name] = True
    unused = sorted(flag for flag, value in options.items() if flag not in used and value not in (None, False, ()))
    if unused:
        raise InvalidValue(
            field="option",
            value=", ".join(unused),
            allowed=f"the options {cmdlet.name} takes on a remote host",
        )
    if cmdlet.should_process:
        parameters["Confirm"] = False  # asked (or not) on this side: the host must not ask again
    return cmdlet, variant, parameters


def local_document(variant: table.Variant, output: list[Any]) -> dict[str, Any]:
    """What the local command would print, from the cmdlet's objects."""
    from azsbackup.model import SCHEMA

    items = [_properties(item) for item in output]
    if variant.collection is not None:
        return {"schema": SCHEMA, variant.collection: [variant.shape.to_document(i) for i in items]}
    return variant.shape.to_document(items[0], top_level=True) if items else {"schema": SCHEMA}


def _properties(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _properties(v) for k, v in value.items() if k != "ps_type"}
    if isinstance(value, list):
        return [_properties(v) for v in value]
    return value
