"""Request and response bodies of device configuration: settings, device models, templates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from voltline.api.params import STATION_ID_PATTERN
from voltline.api.schemas import MAX_INT32, NO_NUL, PRINTABLE, AnyCase, FreeText, StatusInfoBody, Strict
from voltline.areas.configuration.model import (
    AttributeType,
    ComponentRef,
    ConfigurationTemplate,
    DeviceModelPage,
    DeviceVariable,
    EvseRef,
    SettingAddress,
    SettingValue,
    TemplateItemResult,
    TemplateRun,
    TemplateSelector,
    VariableRef,
)
from voltline.areas.configuration.service import ReportOutcome, SettingReading, SettingWriteResult, WriteOutcome
from voltline.areas.configuration.templates import DriftItem, StationApply, StationDrift, TemplateDrift

Name = Annotated[str, Field(min_length=1, max_length=50, pattern=PRINTABLE)]
Value = Annotated[
    str,
    Field(
        max_length=1000,
        pattern=NO_NUL,
        description="The value as text (OCPP sends every value as a string; 1.6 keys take at most 500 characters).",
    ),
]
AttributeName = Literal["Actual", "Target", "MinSet", "MaxSet"]
VersionName = Literal["1.6", "2.0.1"]
# The length is in the pattern too (as for the path parameter), with the bounds shown in /openapi.json.
StationIdItem = Annotated[str, Field(min_length=1, max_length=48, pattern=STATION_ID_PATTERN)]


class Evse(Strict):
    id: int = Field(ge=1, le=MAX_INT32, description="EVSE id (OCPP 1.6 connector N is EVSE N).")
    connector_id: int | None = Field(default=None, ge=1, le=MAX_INT32)


class Component(Strict):
    name: Name = Field(examples=["OCPPCommCtrlr"])
    instance: Name | None = None
    evse: Evse | None = None


class Variable(Strict):
    name: Name = Field(examples=["HeartbeatInterval"])
    instance: Name | None = None


class Address(Strict):
    """Where a setting lives. OCPP 1.6 stations use `variable.name` as the configuration key and ignore
    the component; OCPP 2.0.1 stations need the component."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                {"component": None, "variable": {"name": "HeartbeatInterval"}},
            ]
        },
    )

    component: Component | None = Field(default=None, description="The 2.0.1 component; null for a 1.6 key.")
    variable: Variable
    attribute_type: AnyCase[AttributeName] = Field(default="Actual", description="Which attribute of the variable.")

    def to_domain(self) -> SettingAddress:
        component = None
        if self.component is not None:
            evse = self.component.evse
            component = ComponentRef(
                self.component.name,
                self.component.instance,
                EvseRef(evse.id, evse.connector_id) if evse is not None else None,
            )
        return SettingAddress(
            component, VariableRef(self.variable.name, self.variable.instance), AttributeType(self.attribute_type)
        )


class EvseBody(BaseModel):
    id: int
    connector_id: int | None = None


class ComponentBody(BaseModel):
    name: str
    instance: str | None = None
    evse: EvseBody | None = None


class VariableBody(BaseModel):
    name: str
    instance: str | None = None


class AddressBody(BaseModel):
    """A setting's address as stored or reported (same shape as the request's address)."""

    component: ComponentBody | None
    variable: VariableBody
    attribute_type: str = Field(examples=["Actual"])

    @classmethod
    def of(cls, address: SettingAddress) -> AddressBody:
        component = None
        if address.component is not None:
            c = address.component
            evse = EvseBody(id=c.evse.id, connector_id=c.evse.connector_id) if c.evse is not None else None
            component = ComponentBody(name=c.name, instance=c.instance, evse=evse)
        return cls(
            component=component,
            variable=VariableBody(name=address.variable.name, instance=address.variable.instance),
            attribute_type=address.attribute_type.value,
        )


class SettingItem(Strict):
    address: Address
    value: Value

    def to_domain(self) -> SettingValue:
        return SettingValue(self.address.to_domain(), self.value)


class ReadRequest(Strict):
    addresses: list[Address] = Field(
        default_factory=list,
        max_length=1000,
        description="The settings to read. Empty: every key of an OCPP 1.6 station (refused for 2.0.1, "
        "whose full inventory comes from POST .../device-model/refresh).",
    )


class ReadingBody(BaseModel):
    address: AddressBody
    status: str = Field(
        description="1.6: Accepted or UnknownKey; 2.0.1: Accepted, Rejected, UnknownComponent, "
        "UnknownVariable or NotSupportedAttributeType.",
        examples=["Accepted"],
    )
    value: str | None = Field(default=None, description="The value, when the station gave one.")
    readonly: bool | None = Field(default=None, description="OCPP 1.6 only: whether the key is read-only.")
    status_info: StatusInfoBody | None = Field(
        default=None, description="Why the station answered so, when it said (OCPP 2.0.1 attributeStatusInfo)."
    )

    @classmethod
    def of(cls, reading: SettingReading) -> ReadingBody:
        return cls(
            address=AddressBody.of(reading.address),
            status=reading.status,
            value=reading.value,
            readonly=reading.readonly,
            status_info=StatusInfoBody.of(reading.status_info),
        )


class ReadResultBody(BaseModel):
    station_id: str
    results: list[ReadingBody]


class WriteRequest(Strict):
    items: list[SettingItem] = Field(min_length=1, max_length=500, description="The settings to change, in order.")


class WriteResultItemBody(BaseModel):
    address: AddressBody
    value: str
    status: str = Field(
        description="1.6: Accepted, Rejected, RebootRequired or NotSupported; 2.0.1: Accepted, Rejected, "
        "UnknownComponent, UnknownVariable, NotSupportedAttributeType or RebootRequired.",
        examples=["RebootRequired"],
    )
    status_info: StatusInfoBody | None = Field(
        default=None, description="Why the station answered so, when it said (OCPP 2.0.1 attributeStatusInfo)."
    )

    @classmethod
    def of(cls, result: SettingWriteResult) -> WriteResultItemBody:
        return cls(
            address=AddressBody.of(result.address),
            value=result.value,
            status=result.status,
            status_info=StatusInfoBody.of(result.status_info),
        )


class WriteResultBody(BaseModel):
    station_id: str
    results: list[WriteResultItemBody]
    reboot_required: bool = Field(description="Whether any change takes effect only after a reboot.")

    @classmethod
    def of(cls, station_id: str, outcome: WriteOutcome) -> WriteResultBody:
        return cls(
            station_id=station_id,
            results=[WriteResultItemBody.of(r) for r in outcome.results],
            reboot_required=outcome.reboot_required,
        )


class ReportOutcomeBody(BaseModel):
    station_id: str
    status: str = Field(description="The station's answer to the report request.", examples=["Accepted"])
    parts: int = Field(description="Report parts received (one GetConfiguration answer on 1.6).")
    variables: int = Field(description="Variable attributes received.")
    stored: int | None = Field(default=None, description="Records in the stored model after a full refresh.")
    refreshed_at: datetime | None = None
    status_info: StatusInfoBody | None = Field(
        default=None, description="Why the station answered so, when it said (OCPP 2.0.1 statusInfo)."
    )

    @classmethod
    def of(cls, station_id: str, outcome: ReportOutcome) -> ReportOutcomeBody:
        return cls(
            station_id=station_id,
            status=outcome.status,
            parts=outcome.parts,
            variables=outcome.variables,
            stored=outcome.stored,
            refreshed_at=outcome.refreshed_at,
            status_info=StatusInfoBody.of(outcome.status_info),
        )


class ReportSelectionBody(Strict):
    component: Component
    variable: Variable | None = None


class ReportRequest(Strict):
    criteria: list[AnyCase[Literal["Active", "Available", "Enabled", "Problem"]]] = Field(
        default_factory=list, max_length=4, description="Report components meeting these criteria."
    )
    components: list[ReportSelectionBody] = Field(
        default_factory=list, max_length=100, description="Report these components (or single variables)."
    )


class CharacteristicsBody(BaseModel):
    data_type: str = Field(examples=["integer"])
    unit: str | None = None
    min_limit: float | None = None
    max_limit: float | None = None
    values_list: str | None = None
    supports_monitoring: bool


class DeviceVariableBody(BaseModel):
    address: AddressBody
    value: str | None
    mutability: str | None = Field(default=None, examples=["ReadWrite"])
    persistent: bool | None = None
    constant: bool | None = None
    characteristics: CharacteristicsBody | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, variable: DeviceVariable) -> DeviceVariableBody:
        traits = variable.characteristics
        return cls(
            address=AddressBody.of(variable.address),
            value=variable.value,
            mutability=variable.mutability.value if variable.mutability else None,
            persistent=variable.persistent,
            constant=variable.constant,
            characteristics=CharacteristicsBody(
                data_type=traits.data_type,
                unit=traits.unit,
                min_limit=traits.min_limit,
                max_limit=traits.max_limit,
                values_list=traits.values_list,
                supports_monitoring=traits.supports_monitoring,
            )
            if traits is not None
            else None,
            updated_at=variable.updated_at,
        )


class DeviceModelBody(BaseModel):
    station_id: str
    refreshed_at: datetime | None = Field(description="When a full inventory last replaced the model (null: never).")
    refresh_source: str | None = Field(description="GetConfiguration (1.6) or GetBaseReport (2.0.1).")
    last_report_at: datetime | None = Field(description="When the station last reported any part of its model.")
    total: int = Field(description="Records matching the filters (all pages).")
    limit: int
    offset: int
    items: list[DeviceVariableBody]

    @classmethod
    def of(cls, page: DeviceModelPage, limit: int, offset: int) -> DeviceModelBody:
        return cls(
            station_id=page.info.station_id,
            refreshed_at=page.info.refreshed_at,
            refresh_source=page.info.refresh_source,
            last_report_at=page.info.last_report_at,
            total=page.total,
            limit=limit,
            offset=offset,
            items=[DeviceVariableBody.of(v) for v in page.variables],
        )


class Selector(Strict):
    station_ids: list[StationIdItem] | None = Field(default=None, max_length=10_000, description="Only these stations.")
    vendor: FreeText | None = Field(default=None, min_length=1, max_length=50, description="Vendor, case-insensitive.")
    model: FreeText | None = Field(default=None, min_length=1, max_length=50, description="Model, case-insensitive.")
    ocpp_version: VersionName | None = None

    def to_domain(self) -> TemplateSelector:
        return TemplateSelector(
            station_ids=tuple(self.station_ids) if self.station_ids is not None else None,
            vendor=self.vendor,
            model=self.model,
            ocpp_version=self.ocpp_version,
        )


class SelectorBody(BaseModel):
    station_ids: list[str] | None = None
    vendor: str | None = None
    model: str | None = None
    ocpp_version: str | None = None

    @classmethod
    def of(cls, selector: TemplateSelector) -> SelectorBody:
        return cls(
            station_ids=list(selector.station_ids) if selector.station_ids is not None else None,
            vendor=selector.vendor,
            model=selector.model,
            ocpp_version=selector.ocpp_version,
        )


class TemplateRequest(Strict):
    """A configuration template. An empty selector selects every station."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "heartbeat-5min",
                    "selector": {"ocpp_version": "2.0.1"},
                    "values": [
                        {
                            "address": {
                                "component": {"name": "OCPPCommCtrlr"},
                                "variable": {"name": "HeartbeatInterval"},
                            },
                            "value": "300",
                        }
                    ],
                    "apply_on_boot": True,
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=128, pattern=PRINTABLE)
    description: FreeText | None = Field(default=None, max_length=1000)
    selector: Selector = Field(default_factory=Selector)
    values: list[SettingItem] = Field(min_length=1, max_length=500)
    apply_on_boot: bool = Field(default=False, description="Apply after every boot of a selected station.")

    def to_domain(self) -> ConfigurationTemplate:
        return ConfigurationTemplate(
            id=None,
            name=self.name,
            description=self.description,
            selector=self.selector.to_domain(),
            values=tuple(v.to_domain() for v in self.values),
            apply_on_boot=self.apply_on_boot,
        )


class SettingValueBody(BaseModel):
    address: AddressBody
    value: str


class TemplateBody(BaseModel):
    id: int
    name: str
    description: str | None
    selector: SelectorBody
    values: list[SettingValueBody]
    apply_on_boot: bool
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, template: ConfigurationTemplate) -> TemplateBody:
        assert template.id is not None
        return cls(
            id=template.id,
            name=template.name,
            description=template.description,
            selector=SelectorBody.of(template.selector),
            values=[SettingValueBody(address=AddressBody.of(v.address), value=v.value) for v in template.values],
            apply_on_boot=template.apply_on_boot,
            created_at=template.created_at,
            updated_at=template.updated_at,
        )


class ApplyRequest(Strict):
    station_ids: list[StationIdItem] | None = Field(
        default=None, max_length=10_000, description="Only these of the selected stations (default: all of them)."
    )


class TemplateItemBody(BaseModel):
    address: AddressBody
    desired: str
    previous: str | None = Field(description="The value read before writing (null when unreadable).")
    status: str = Field(
        description="InSync (nothing written), the station's write status (Accepted, RebootRequired, Rejected, "
        "NotSupported, ...), or the read status when the station does not know the setting.",
        examples=["Accepted"],
    )

    @classmethod
    def of(cls, item: TemplateItemResult) -> TemplateItemBody:
        return cls(
            address=AddressBody.of(item.address), desired=item.desired, previous=item.previous, status=item.status
        )


class TemplateRunBody(BaseModel):
    at: datetime
    trigger: str = Field(description="boot, api, or timer (a retry of a run that failed).")
    outcome: str = Field(description="InSync, Applied, Partial or Failed.")
    reboot_required: bool
    detail: str | None = None
    items: list[TemplateItemBody]

    @classmethod
    def of(cls, run: TemplateRun) -> TemplateRunBody:
        return cls(
            at=run.at,
            trigger=run.trigger,
            outcome=run.outcome,
            reboot_required=run.reboot_required,
            detail=run.detail,
            items=[TemplateItemBody.of(i) for i in run.items],
        )


class StationApplyBody(BaseModel):
    station_id: str
    outcome: str = Field(description="InSync, Applied, Partial, Failed, Offline or NotSelected.")
    run: TemplateRunBody | None = None

    @classmethod
    def of(cls, result: StationApply) -> StationApplyBody:
        return cls(
            station_id=result.station_id,
            outcome=result.outcome,
            run=TemplateRunBody.of(result.run) if result.run is not None else None,
        )


class ApplyResultBody(BaseModel):
    template_id: int
    stations: list[StationApplyBody]


class DriftItemBody(BaseModel):
    address: AddressBody
    desired: str
    stored: str | None = Field(description="The value in the stored device model (null: never read).")
    state: str = Field(description="differs or unknown.")

    @classmethod
    def of(cls, item: DriftItem) -> DriftItemBody:
        return cls(address=AddressBody.of(item.address), desired=item.desired, stored=item.stored, state=item.state)


class StationDriftBody(BaseModel):
    station_id: str
    online: bool
    in_sync: bool = Field(description="Whether every desired value is the stored one.")
    drift: list[DriftItemBody]
    last_applied_at: datetime | None
    last_run: TemplateRunBody | None

    @classmethod
    def of(cls, station: StationDrift) -> StationDriftBody:
        return cls(
            station_id=station.station_id,
            online=station.online,
            in_sync=not station.items,
            drift=[DriftItemBody.of(i) for i in station.items],
            last_applied_at=station.last_run.at if station.last_run is not None else None,
            last_run=TemplateRunBody.of(station.last_run) if station.last_run is not None else None,
        )


class DriftBody(BaseModel):
    template_id: int
    stations: list[StationDriftBody]

    @classmethod
    def of(cls, drift: TemplateDrift) -> DriftBody:
        assert drift.template.id is not None
        return cls(template_id=drift.template.id, stations=[StationDriftBody.of(s) for s in drift.stations])
