"""OCPP 2.0.1 NotifyReport: a part of a device model report, stored before it is answered."""

from __future__ import annotations

from typing import Any

from voltline.domain.device_model import (
    AttributeType,
    DeviceVariable,
    Mutability,
    SettingAddress,
    VariableCharacteristics,
)
from voltline.protocol.context import StationContext
from voltline.protocol.v201.configuration import component_of, variable_of


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


async def notify_report(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    await ctx.services.configuration.record_report_part(
        ctx.station_id,
        payload["requestId"],
        report_variables(payload.get("reportData", [])),
        more=payload.get("tbc", False),
    )
    return {}
