"""Device configuration on OCPP 2.0.1: GetVariables, SetVariables, GetBaseReport and GetReport.

The station's reports arrive later as NotifyReport calls (protocol/v201/reports.py).
"""

from __future__ import annotations

from typing import Any

from voltline.areas.configuration.model import AttributeType, ComponentRef, EvseRef, SettingAddress, VariableRef
from voltline.areas.configuration.service import (
    ReadSettings,
    RequestBaseReport,
    RequestReport,
    SettingReading,
    SettingWriteResult,
    WriteSettings,
)
from voltline.kernel.errors import InvalidRequest
from voltline.protocol.commands import EncoderTable, OutboundCall, Payload, status_info, status_info_of

MAX_SET_VALUE_LENGTH = 1000


def component_payload(component: ComponentRef) -> Payload:
    payload: Payload = {"name": component.name}
    if component.instance is not None:
        payload["instance"] = component.instance
    if component.evse is not None:
        payload["evse"] = {"id": component.evse.id}
        if component.evse.connector_id is not None:
            payload["evse"]["connectorId"] = component.evse.connector_id
    return payload


def variable_payload(variable: VariableRef) -> Payload:
    payload: Payload = {"name": variable.name}
    if variable.instance is not None:
        payload["instance"] = variable.instance
    return payload


def component_of(payload: dict[str, Any]) -> ComponentRef:
    evse = payload.get("evse")
    return ComponentRef(
        payload["name"],
        payload.get("instance"),
        EvseRef(evse["id"], evse.get("connectorId")) if evse is not None else None,
    )


def variable_of(payload: dict[str, Any]) -> VariableRef:
    return VariableRef(payload["name"], payload.get("instance"))


def address_of(item: dict[str, Any]) -> SettingAddress:
    """The address a GetVariables / SetVariables result names."""
    return SettingAddress(
        component_of(item["component"]),
        variable_of(item["variable"]),
        AttributeType(item.get("attributeType", AttributeType.ACTUAL.value)),
    )


def _addressed(address: SettingAddress) -> Payload:
    if address.component is None:
        raise InvalidRequest(
            f"OCPP 2.0.1 settings live in a component: give the component of {address.variable.name!r}"
        )
    payload: Payload = {
        "component": component_payload(address.component),
        "variable": variable_payload(address.variable),
    }
    if address.attribute_type is not AttributeType.ACTUAL:
        payload["attributeType"] = address.attribute_type.value
    return payload


def get_variables(command: ReadSettings) -> OutboundCall:
    if not command.addresses:
        raise InvalidRequest(
            "OCPP 2.0.1 stations are read variable by variable: name the settings, or refresh the "
            "device model inventory (POST .../device-model/refresh) to get them all"
        )
    payload = {"getVariableData": [_addressed(address) for address in command.addresses]}

    def decode(answer: Payload) -> list[SettingReading]:
        return [
            SettingReading(
                address_of(item),
                str(item["attributeStatus"]),
                item.get("attributeValue"),
                status_info=status_info(item.get("attributeStatusInfo")),
            )
            for item in answer["getVariableResult"]
        ]

    return OutboundCall("GetVariables", payload, decode)


def set_variables(command: WriteSettings) -> OutboundCall:
    data = []
    for setting in command.values:
        if len(setting.value) > MAX_SET_VALUE_LENGTH:
            raise InvalidRequest(f"OCPP 2.0.1 values are at most {MAX_SET_VALUE_LENGTH} characters ({setting.address})")
        data.append({**_addressed(setting.address), "attributeValue": setting.value})
    desired = {setting.address.identity: setting.value for setting in command.values}

    def decode(answer: Payload) -> list[SettingWriteResult]:
        results = []
        for index, item in enumerate(answer["setVariableResult"]):
            address = address_of(item)
            # A station that spells the echo differently (say, drops the instance) still answered in order.
            fallback = command.values[index].value if index < len(command.values) else ""
            value = desired.get(address.identity, fallback)
            info = status_info(item.get("attributeStatusInfo"))
            results.append(SettingWriteResult(address, value, str(item["attributeStatus"]), info))
        return results

    return OutboundCall("SetVariables", {"setVariableData": data}, decode)


def get_base_report(command: RequestBaseReport) -> OutboundCall:
    payload = {"requestId": command.request_id, "reportBase": command.base.value}
    return OutboundCall("GetBaseReport", payload, decode=status_info_of)


def get_report(command: RequestReport) -> OutboundCall:
    payload: Payload = {"requestId": command.request_id}
    if command.criteria:
        payload["componentCriteria"] = list(command.criteria)
    if command.selections:
        selections = []
        for selection in command.selections:
            entry: Payload = {"component": component_payload(selection.component)}
            if selection.variable is not None:
                entry["variable"] = variable_payload(selection.variable)
            selections.append(entry)
        payload["componentVariable"] = selections
    return OutboundCall("GetReport", payload, decode=status_info_of)


ENCODERS: EncoderTable = {
    ReadSettings: get_variables,
    WriteSettings: set_variables,
    RequestBaseReport: get_base_report,
    RequestReport: get_report,
}
