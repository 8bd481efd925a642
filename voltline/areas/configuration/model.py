"""Device configuration records: where a setting lives, what a station reported about it, and the
configuration templates that say what it should be.

One address shape serves both versions. OCPP 2.0.1 names a setting by component (name, instance, EVSE,
connector), variable (name, instance) and attribute type; OCPP 1.6 by a configuration key alone, which is
the variable name here (no component, attribute Actual). Records only: the services live in
domain/configuration.py and domain/config_templates.py, storage in storage/sql/device_model.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from voltline.kernel.versions import OcppVersion, SettingName


class AttributeType(StrEnum):
    ACTUAL = "Actual"
    TARGET = "Target"
    MIN_SET = "MinSet"
    MAX_SET = "MaxSet"


class Mutability(StrEnum):
    READ_ONLY = "ReadOnly"
    WRITE_ONLY = "WriteOnly"
    READ_WRITE = "ReadWrite"


@dataclass(slots=True, frozen=True)
class EvseRef:
    id: int
    connector_id: int | None = None


@dataclass(slots=True, frozen=True)
class ComponentRef:
    name: str
    instance: str | None = None
    evse: EvseRef | None = None


@dataclass(slots=True, frozen=True)
class VariableRef:
    name: str
    instance: str | None = None


@dataclass(slots=True, frozen=True)
class SettingAddress:
    """A setting of a station: a 1.6 key is `SettingAddress(None, VariableRef(key))`."""

    component: ComponentRef | None
    variable: VariableRef
    attribute_type: AttributeType = AttributeType.ACTUAL

    @classmethod
    def key(cls, name: str) -> SettingAddress:
        return cls(None, VariableRef(name))

    @classmethod
    def of(cls, name: SettingName) -> SettingAddress:
        """The setting a version's capabilities name (a limit or feature a station announces)."""
        component = ComponentRef(name.component) if name.component is not None else None
        return cls(component, VariableRef(name.variable, name.instance))

    def as_key(self) -> SettingAddress:
        """The same setting as an OCPP 1.6 station names it (component and attribute dropped)."""
        return SettingAddress(None, VariableRef(self.variable.name))

    @property
    def identity(self) -> str:
        """A canonical, unambiguous text form: the storage key of the setting."""
        component = self.component
        evse = component.evse if component is not None else None
        return json.dumps(
            [
                component.name if component else None,
                component.instance if component else None,
                evse.id if evse else None,
                evse.connector_id if evse else None,
                self.variable.name,
                self.variable.instance,
                self.attribute_type.value,
            ],
            separators=(",", ":"),
            ensure_ascii=False,
        )

    def __str__(self) -> str:
        parts = []
        if self.component is not None:
            c = self.component
            parts.append(c.name + (f"[{c.instance}]" if c.instance else ""))
            if c.evse is not None:
                parts.append(f"EVSE {c.evse.id}" + (f"/{c.evse.connector_id}" if c.evse.connector_id else ""))
        parts.append(self.variable.name + (f"[{self.variable.instance}]" if self.variable.instance else ""))
        text = ".".join(parts)
        return text if self.attribute_type is AttributeType.ACTUAL else f"{text} ({self.attribute_type.value})"


def address_document(address: SettingAddress) -> dict[str, Any]:
    """The address as a JSON document (the API's shape; also how templates store it)."""
    component: dict[str, Any] | None = None
    if address.component is not None:
        c = address.component
        component = {"name": c.name}
        if c.instance is not None:
            component["instance"] = c.instance
        if c.evse is not None:
            component["evse"] = {"id": c.evse.id}
            if c.evse.connector_id is not None:
                component["evse"]["connector_id"] = c.evse.connector_id
    variable: dict[str, Any] = {"name": address.variable.name}
    if address.variable.instance is not None:
        variable["instance"] = address.variable.instance
    return {"component": component, "variable": variable, "attribute_type": address.attribute_type.value}


def address_from_document(document: dict[str, Any]) -> SettingAddress:
    component = None
    raw = document.get("component")
    if raw is not None:
        evse = raw.get("evse")
        component = ComponentRef(
            raw["name"],
            raw.get("instance"),
            EvseRef(evse["id"], evse.get("connector_id")) if evse is not None else None,
        )
    variable = document["variable"]
    return SettingAddress(
        component,
        VariableRef(variable["name"], variable.get("instance")),
        AttributeType(document.get("attribute_type", "Actual")),
    )


@dataclass(slots=True, frozen=True)
class VariableCharacteristics:
    data_type: str
    supports_monitoring: bool = False
    unit: str | None = None
    min_limit: float | None = None
    max_limit: float | None = None
    values_list: str | None = None


@dataclass(slots=True, frozen=True)
class DeviceVariable:
    """One attribute of one variable, as the station last reported (or confirmed) it."""

    address: SettingAddress
    value: str | None = None
    mutability: Mutability | None = None
    persistent: bool | None = None
    constant: bool | None = None
    characteristics: VariableCharacteristics | None = None
    updated_at: datetime | None = None


@dataclass(slots=True, frozen=True)
class DeviceModelQuery:
    component: str | None = None  # exact component name, case-insensitive
    variable: str | None = None  # substring of the variable name, case-insensitive
    text: str | None = None  # substring of component, variable or value, case-insensitive
    evse_id: int | None = None
    limit: int = 100
    offset: int = 0


@dataclass(slots=True, frozen=True)
class DeviceModelInfo:
    """When a station's model was last replaced by a full inventory, and last touched by any report."""

    station_id: str
    refreshed_at: datetime | None = None
    refresh_source: str | None = None  # GetConfiguration (1.6) or GetBaseReport (2.0.1)
    last_report_at: datetime | None = None


@dataclass(slots=True, frozen=True)
class DeviceModelPage:
    info: DeviceModelInfo
    total: int
    variables: list[DeviceVariable]


@dataclass(slots=True, frozen=True)
class SettingValue:
    address: SettingAddress
    value: str


@dataclass(slots=True, frozen=True)
class TemplateSelector:
    """Which stations a template is for; every given criterion must hold, none given selects all."""

    station_ids: tuple[str, ...] | None = None
    vendor: str | None = None
    model: str | None = None
    ocpp_version: str | None = None  # as the operator wrote it: "1.6" or "2.0.1" (see `version`)

    @property
    def version(self) -> OcppVersion | None:
        """The version selected; None when the selector takes every version (or names an unknown one)."""
        return OcppVersion.from_number(self.ocpp_version)

    def selects(self, station_id: str, vendor: str | None, model: str | None, ocpp_version: OcppVersion | None) -> bool:
        if self.station_ids is not None and station_id not in self.station_ids:
            return False
        if self.vendor is not None and (vendor or "").casefold() != self.vendor.casefold():
            return False
        if self.model is not None and (model or "").casefold() != self.model.casefold():
            return False
        return self.ocpp_version is None or (ocpp_version is not None and ocpp_version is self.version)

    def as_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {}
        if self.station_ids is not None:
            document["station_ids"] = list(self.station_ids)
        for name in ("vendor", "model", "ocpp_version"):
            if getattr(self, name) is not None:
                document[name] = getattr(self, name)
        return document

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> TemplateSelector:
        ids = document.get("station_ids")
        return cls(
            station_ids=tuple(ids) if ids is not None else None,
            vendor=document.get("vendor"),
            model=document.get("model"),
            ocpp_version=document.get("ocpp_version"),
        )


@dataclass(slots=True, frozen=True)
class ConfigurationTemplate:
    id: int | None
    name: str
    description: str | None = None
    selector: TemplateSelector = field(default_factory=TemplateSelector)
    values: tuple[SettingValue, ...] = ()
    apply_on_boot: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(slots=True, frozen=True)
class TemplateItemResult:
    """What happened to one desired value on one station during an apply."""

    address: SettingAddress
    desired: str
    previous: str | None  # the value read before writing (None: unreadable)
    status: str  # InSync, or the station's write status (Accepted, RebootRequired, Rejected, ...), or a read status


@dataclass(slots=True, frozen=True)
class TemplateRun:
    """The last apply of a template to one station."""

    template_id: int
    station_id: str
    at: datetime
    trigger: str  # "boot" or "api"
    outcome: str  # InSync, Applied, Partial, Failed
    reboot_required: bool = False
    detail: str | None = None
    items: tuple[TemplateItemResult, ...] = ()
