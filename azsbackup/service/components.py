"""Registering, listing and removing components."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from azsbackup.errors import AlreadyExists, InvalidValue, NotFound
from azsbackup.model import check_component_name, iso, utc_now
from azsbackup.providers import provider_type
from azsbackup.providers.base import Provider
from azsbackup.providers.controller import NAME as CONTROLLER_NAME
from azsbackup.providers.controller import ControllerProvider
from azsbackup.service.controller import Controller
from azsbackup.state.db import transaction


@dataclass(frozen=True)
class Component:
    name: str
    type: str
    provider: Provider
    enabled: bool = True

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.type,
            "enabled": self.enabled,
            "settings": self.provider.settings(),
            "description": self.provider.describe(),
        }


def add_component(
    controller: Controller, name: str, type_name: str, settings: Mapping[str, object], *, password: str | None = None
) -> Component:
    """Validate and register a component; nothing is stored if anything is invalid.

    ``password`` is the remote account's password of a ``winrm`` component; it goes to the secrets file.
    """
    check_component_name(name)
    if name == CONTROLLER_NAME:
        raise InvalidValue(
            field="component name",
            value=repr(name),
            allowed="any name but 'controller' (it is always included)",
        )
    provider = provider_type(type_name).from_settings(name, settings)
    with transaction(controller.db) as db:
        if db.execute("SELECT 1 FROM components WHERE name = ?", (name,)).fetchone():
            raise AlreadyExists(kind="component", name=name)
        db.execute(
            "INSERT INTO components (name, type, settings, enabled, created) VALUES (?, ?, ?, 1, ?)",
            (name, type_name, json.dumps(provider.settings(), sort_keys=True), iso(utc_now())),
        )
    if password:
        from azsbackup.providers.winrm import secret_key

        controller.secrets.set(secret_key(name), password)
    return Component(name, type_name, _with_secrets(controller, provider))


def remove_component(controller: Controller, name: str) -> None:
    with transaction(controller.db) as db:
        if db.execute("DELETE FROM components WHERE name = ?", (name,)).rowcount == 0:
            raise NotFound(kind="component", name=name, how="azsbackup component list")


def _with_secrets(controller: Controller, provider: Provider) -> Provider:
    bind = getattr(provider, "bind_secrets", None)
    if bind is not None:
        bind(controller.secrets.get)
    return provider


def list_components(controller: Controller, *, include_controller: bool = False) -> list[Component]:
    """The registered components in name order; with the implicit ``controller`` component last if asked."""
    components = [_from_row(controller, row) for row in controller.db.execute("SELECT * FROM components ORDER BY name")]
    if include_controller:
        components.append(controller_component(controller))
    return components


def controller_component(controller: Controller) -> Component:
    provider = ControllerProvider(CONTROLLER_NAME, controller.home)
    return Component(CONTROLLER_NAME, ControllerProvider.type_name, provider)


def get_component(controller: Controller, name: str) -> Component:
    if name == CONTROLLER_NAME:
        return controller_component(controller)
    row = controller.db.execute("SELECT * FROM components WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFound(kind="component", name=name, how="azsbackup component list")
    return _from_row(controller, row)


def _from_row(controller: Controller, row: sqlite3.Row) -> Component:
    provider = provider_type(row["type"]).from_settings(row["name"], json.loads(row["settings"]))
    return Component(row["name"], row["type"], _with_secrets(controller, provider), bool(row["enabled"]))
