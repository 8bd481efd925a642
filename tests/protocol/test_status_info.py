"""Every OCPP 2.0.1 answer that can carry a StatusInfoType (statusInfo, or attributeStatusInfo per result
item) is decoded into the one kernel `StatusInfo`, by every area's encoders (the API shows it with the one
`StatusInfoBody`: tests/api/test_openapi.py)."""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.protocol.command_samples import COMMAND_SAMPLES
from tests.support.schema_check import validator
from tests.support.wiring import ENCODERS
from voltline.kernel.commands import StatusInfo
from voltline.kernel.errors import InvalidRequest
from voltline.ocppj import OcppVersion

REASON = {"reasonCode": "Busy", "additionalInfo": "try later"}
STATUS_INFO_KEYS = ("statusInfo", "attributeStatusInfo")


def an_answer(schema: dict[str, Any], node: dict[str, Any]) -> Any:
    """A small valid instance of `node`, with every StatusInfoType it may hold filled in with REASON."""
    if "$ref" in node:
        return an_answer(schema, schema["definitions"][node["$ref"].rsplit("/", 1)[1]])
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object":
        properties = node.get("properties", {})
        value = {name: an_answer(schema, properties[name]) for name in node.get("required", [])}
        for name in STATUS_INFO_KEYS:
            if name in properties:
                value[name] = dict(REASON)
        return value
    if kind == "array":
        return [an_answer(schema, node["items"]) for _ in range(max(node.get("minItems", 0), 1))]
    if kind == "integer":
        return node.get("minimum", 0)
    if kind == "number":
        return 0
    if kind == "boolean":
        return False
    if node.get("format") == "date-time":
        return "2026-01-01T00:00:00Z"
    return "x"


def status_infos(value: Any) -> list[StatusInfo]:
    """The StatusInfo values anywhere in a decoded answer."""
    if isinstance(value, StatusInfo):
        return [value]
    if isinstance(value, (list, tuple)):
        return [info for item in value for info in status_infos(item)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [info for f in dataclasses.fields(value) for info in status_infos(getattr(value, f.name))]
    return []


def mentions_status_info(schema: dict[str, Any]) -> bool:
    return any(f'"{key}"' in repr(schema).replace("'", '"') for key in STATUS_INFO_KEYS)


def test_every_2_0_1_answer_with_a_status_info_is_decoded_into_the_kernel_type() -> None:
    encoders = ENCODERS[OcppVersion.V201]
    checked: set[str] = set()
    for command_type in encoders.encoders:
        for command in COMMAND_SAMPLES[command_type]:
            try:
                call = encoders.encode(command)
            except InvalidRequest:
                continue
            schema = validator(OcppVersion.V201, call.action, "response").schema
            if not mentions_status_info(schema):
                continue
            answer = an_answer(schema, schema)
            assert not list(validator(OcppVersion.V201, call.action, "response").iter_errors(answer)), call.action
            assert call.decode is not None, f"{call.action}: its statusInfo is not decoded"
            found = status_infos(call.decode(answer))
            assert found, f"{call.action}: the decoded answer holds no StatusInfo"
            assert set(found) == {StatusInfo("Busy", "try later")}, call.action
            checked.add(call.action)
    # The areas' commands whose answers carry one (a new one joins this list by itself).
    assert {
        "RequestStartTransaction",
        "RequestStopTransaction",
        "Reset",
        "SendLocalList",
        "GetBaseReport",
        "GetReport",
        "GetVariables",
        "SetVariables",
        "DataTransfer",
    } <= checked
