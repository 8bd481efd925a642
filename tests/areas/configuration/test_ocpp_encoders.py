"""Device configuration commands on each version: which samples each refuses, and how answers decode."""

from __future__ import annotations

import pytest

from tests.protocol.configuration_samples import CONFIGURATION_SAMPLES, EVSE_POWER, HEARTBEAT
from tests.support.wiring import ENCODERS
from voltline.areas.configuration.model import SettingAddress, SettingValue
from voltline.areas.configuration.service import ReadSettings, RequestBaseReport, RequestReport, WriteSettings
from voltline.kernel.errors import InvalidRequest
from voltline.ocppj import OcppVersion

V16, V201 = ENCODERS[OcppVersion.V16], ENCODERS[OcppVersion.V201]


def test_each_version_refuses_what_it_cannot_express() -> None:
    refused = {
        version: [
            f"{type(c).__name__}#{i}"
            for kind, samples in CONFIGURATION_SAMPLES.items()
            for i, c in enumerate(samples)
            if not _encodes(version, c)
        ]
        for version in ENCODERS
    }
    assert refused[OcppVersion.V16] == [
        "ReadSettings#2",  # a MaxSet attribute (or an instance) has no 1.6 key
        "WriteSettings#1",  # two keys in one ChangeConfiguration
        "RequestBaseReport#0",
        "RequestBaseReport#1",
        "RequestReport#0",
        "RequestReport#1",
    ]
    assert refused[OcppVersion.V201] == ["ReadSettings#0", "ReadSettings#1", "WriteSettings#0"]  # no component


def _encodes(version: OcppVersion, command: object) -> bool:
    try:
        ENCODERS[version].encode(command)  # type: ignore[arg-type]
    except InvalidRequest:
        return False
    return True


def test_1_6_answers_map_back_to_the_keys_asked_in_order_and_any_case() -> None:
    call = V16.encode(ReadSettings((SettingAddress.key("heartbeatINTERVAL"), SettingAddress.key("Missing"), HEARTBEAT)))
    assert call.payload == {"key": ["heartbeatINTERVAL", "Missing", "HeartbeatInterval"]}
    assert call.decode is not None
    readings = call.decode(
        {
            "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "60"}],
            "unknownKey": ["Missing"],
        }
    )
    assert [(str(r.address), r.status, r.value) for r in readings] == [
        ("HeartbeatInterval", "Accepted", "60"),
        ("Missing", "UnknownKey", None),
        ("HeartbeatInterval", "Accepted", "60"),
    ]
    every = V16.encode(ReadSettings())
    assert every.payload == {} and every.decode is not None
    assert (
        len(every.decode({"configurationKey": [{"key": "A", "readonly": True}, {"key": "B", "readonly": False}]})) == 2
    )


def test_1_6_refuses_values_too_long_for_its_schema() -> None:
    with pytest.raises(InvalidRequest, match="500"):
        V16.encode(WriteSettings((SettingValue(SettingAddress.key("K"), "x" * 501),)))


def test_2_0_1_results_map_back_even_when_the_echo_differs() -> None:
    call = V201.encode(WriteSettings((SettingValue(HEARTBEAT, "60"), SettingValue(EVSE_POWER, "7400"))))
    assert call.payload["setVariableData"][1] == {
        "component": {"name": "EVSE", "evse": {"id": 1}},
        "variable": {"name": "Power"},
        "attributeType": "MaxSet",
        "attributeValue": "7400",
    }
    assert call.decode is not None
    results = call.decode(
        {
            "setVariableResult": [
                {
                    "attributeStatus": "Accepted",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                },
                # The station left out the EVSE: still the second item, so still the second value.
                {
                    "attributeStatus": "Rejected",
                    "attributeType": "MaxSet",
                    "component": {"name": "EVSE"},
                    "variable": {"name": "Power"},
                },
            ]
        }
    )
    assert [(r.value, r.status) for r in results] == [("60", "Accepted"), ("7400", "Rejected")]


def test_2_0_1_report_requests() -> None:
    assert V201.encode(RequestBaseReport(7)).payload == {"requestId": 7, "reportBase": "FullInventory"}
    assert V201.encode(RequestReport(8)).payload == {"requestId": 8}
