"""OCPP 2.0.1 NotifyReport: a part of a device model report, stored before it is answered."""

from __future__ import annotations

from functools import partial
from typing import Any

from voltline.areas.configuration.model import (
    AttributeType,
    DeviceVariable,
    Mutability,
    SettingAddress,
    VariableCharacteristics,
)
from voltline.areas.configuration.ocpp.v201 import component_of, variable_of
from voltline.areas.configuration.service import ConfigurationService
from voltline.kernel.services import ServiceRegistry
from voltline.protocol.context import StationContext
from voltline.protocol.dispatcher import RouteTable


def report_variables(report_data: list[dict[str, Any]]) -> list[DeviceVariable]:
    """ReportData entries -> one record per variable attribute, characteristics repeated on each."""
    variables = []
    for entry in report_data:
        component, variable = component_of(entry["component"]), variable_of(entry["variable"])
        traits = entry.get("variableCharacteristics")
        characteristics = (
            VariableCharacteristics(
                data_type=traits["dataType"],
                supports_monitoring=traits["supportsMonitoring"],
                unit=traits.get("unit"),
                min_limit=traits.get("minLimit"),
                max_limit=traits.get("maxLimit"),
                values_list=traits.get("valuesList"),
            )
            if traits is not None
            else None
        )
        for attribute in entry["variableAttribute"]:
            variables.append(
                DeviceVariable(
                    address=SettingAddress(component, variable, AttributeType(attribute.get("type", "Actual"))),
                    value=attribute.get("value"),
                    # OCPP's defaults: ReadWrite, not persistent, not constant.
                    mutability=Mutability(attribute.get("mutability", Mutability.READ_WRITE.value)),
                    persistent=attribute.get("persistent", False),
                    constant=attribute.get("constant", False),
                    characteristics=characteristics,
                )
            )
    return variables


async def notify_report(
    configuration: ConfigurationService, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
    await configuration.record_report_part(
        ctx.station_id,
        payload["requestId"],
        report_variables(payload.get("reportData", [])),
        more=payload.get("tbc", False),
    )
    return {}


def routes(services: ServiceRegistry) -> RouteTable:
    """The actions this area answers, each handler bound to the services it uses."""
    configuration = services[ConfigurationService]
    return {
        "NotifyReport": partial(notify_report, configuration),
    }
