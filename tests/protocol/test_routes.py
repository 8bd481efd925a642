"""Walks each version's route table: every action a station may send has an OCA schema, a handler, and a
sample here that the handler answers with a schema-valid response over real storage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.protocol.command_samples import COMMAND_SAMPLES
from tests.support.databases import fresh_database
from tests.support.links import NoStations
from tests.support.schema_check import validator
from tests.support.wiring import ENCODERS, open_storage, route_tables, wired_services
from voltline.areas.stations.model import Registration
from voltline.areas.stations.service import StationRegistration, StationService
from voltline.kernel.errors import InvalidRequest
from voltline.kernel.services import ServiceRegistry
from voltline.ocppj import ErrorKind, OcppError, OcppVersion, shared_registry
from voltline.protocol.context import StationContext
from voltline.protocol.dispatcher import StationDispatcher

NOW = "2026-11-23T10:00:00Z"
V201_METER = [{"timestamp": NOW, "sampledValue": [{"value": 1234.5, "measurand": "Energy.Active.Import.Register"}]}]

SAMPLES: dict[OcppVersion, dict[str, dict[str, Any]]] = {
    OcppVersion.V16: {
        "BootNotification": {"chargePointVendor": "Acme", "chargePointModel": "A1", "firmwareVersion": "1.2"},
        "Heartbeat": {},
        "StatusNotification": {"connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted", "info": "RCD"},
        "Authorize": {"idTag": "TAG"},
        "DataTransfer": {"vendorId": "com.example", "messageId": "hello", "data": "x"},
        "StartTransaction": {"connectorId": 1, "idTag": "TAG", "meterStart": 10, "timestamp": NOW},
        "StopTransaction": {"transactionId": 1, "meterStop": 20, "timestamp": NOW, "reason": "Local"},
        "MeterValues": {
            "connectorId": 1,
            "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "15", "unit": "Wh"}]}],
        },
    },
    OcppVersion.V201: {
        "BootNotification": {"reason": "PowerUp", "chargingStation": {"model": "A2", "vendorName": "Acme"}},
        "Heartbeat": {},
        "StatusNotification": {"timestamp": NOW, "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1},
        "Authorize": {"idToken": {"idToken": "TAG", "type": "ISO14443"}},
        "NotifyEvent": {
            "generatedAt": NOW,
            "seqNo": 0,
            "eventData": [
                {
                    "eventId": 1,
                    "timestamp": NOW,
                    "trigger": "Alerting",
                    "actualValue": "Faulted",
                    "eventNotificationType": "HardWiredNotification",
                    "component": {"name": "Connector"},
                    "variable": {"name": "Problem"},
                }
            ],
        },
        "DataTransfer": {"vendorId": "com.example"},
        "TransactionEvent": {
            "eventType": "Started",
            "timestamp": NOW,
            "triggerReason": "Authorized",
            "seqNo": 0,
            "transactionInfo": {"transactionId": "tx-1"},
            "idToken": {"idToken": "TAG", "type": "ISO14443"},
            "evse": {"id": 1, "connectorId": 1},
            "meterValue": V201_METER,
        },
        "MeterValues": {"evseId": 1, "meterValue": V201_METER},
        "NotifyReport": {
            "requestId": 3,
            "generatedAt": NOW,
            "seqNo": 0,
            "tbc": False,
            "reportData": [
                {
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                    "variableAttribute": [{"value": "300", "mutability": "ReadWrite"}],
                    "variableCharacteristics": {"dataType": "integer", "unit": "s", "supportsMonitoring": False},
                }
            ],
        },
        "NotifyDisplayMessages": {
            "requestId": 5,
            "tbc": False,
            "messageInfo": [{"id": 1, "priority": "NormalCycle", "message": {"format": "UTF8", "content": "Hi"}}],
        },
        "ReportChargingProfiles": {
            "requestId": 6,
            "chargingLimitSource": "CSO",
            "evseId": 1,
            "tbc": False,
            "chargingProfile": [
                {
                    "id": 1,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "chargingProfileKind": "Absolute",
                    "chargingSchedule": [
                        {
                            "id": 1,
                            "startSchedule": NOW,
                            "chargingRateUnit": "A",
                            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
                        }
                    ],
                }
            ],
        },
        "NotifyChargingLimit": {
            "chargingLimit": {"chargingLimitSource": "EMS", "isGridCritical": True},
            "evseId": 0,
            "chargingSchedule": [
                {"id": 1, "chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7000.0}]}
            ],
        },
        "ClearedChargingLimit": {"chargingLimitSource": "EMS", "evseId": 0},
        "NotifyEVChargingNeeds": {
            "evseId": 1,
            "maxScheduleTuples": 12,
            "chargingNeeds": {
                "requestedEnergyTransfer": "AC_three_phase",
                "departureTime": NOW,
                "acChargingParameters": {
                    "energyAmount": 20000,
                    "evMinCurrent": 6,
                    "evMaxCurrent": 32,
                    "evMaxVoltage": 400,
                },
            },
        },
        "NotifyEVChargingSchedule": {
            "timeBase": NOW,
            "evseId": 1,
            "chargingSchedule": {
                "id": 1,
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}],
            },
        },
    },
}


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[ServiceRegistry]:
    async with fresh_database("sqlite", tmp_path) as url:
        storage = await open_storage(url)
        services = wired_services(storage, NoStations(), heartbeat_interval=30)
        await services[StationService].register("CP", StationRegistration(Registration.ACCEPTED, 0))
        yield services
        await storage.close()


@pytest.mark.parametrize("version", list(OcppVersion))
def test_every_route_has_a_schema_and_a_sample(version: OcppVersion, services: ServiceRegistry) -> None:
    routes = route_tables(services)[version]
    assert set(routes) == set(SAMPLES[version]), "add a sample for each new route (and a route per sample)"
    for action in routes:
        assert shared_registry().knows(version, action)


@pytest.mark.parametrize("version", list(OcppVersion))
async def test_every_handler_answers_its_sample_with_a_valid_response(
    version: OcppVersion, services: ServiceRegistry
) -> None:
    dispatcher = StationDispatcher(StationContext("CP", version, accepted=True), route_tables(services)[version])
    for action, payload in SAMPLES[version].items():
        shared_registry().validate_request(version, action, payload)  # the sample itself is valid
        response = await dispatcher.handle(action, payload)
        errors = list(validator(version, action, "response").iter_errors(response))
        assert not errors, f"{version.value} {action}: {errors[0].message}"
        if action == "DataTransfer":
            assert response["status"] == "UnknownVendorId"  # nothing registered for com.example


@pytest.mark.parametrize("version", list(OcppVersion))
async def test_only_boot_is_served_before_an_accepted_boot(version: OcppVersion, services: ServiceRegistry) -> None:
    context = StationContext("CP", version, accepted=False)
    dispatcher = StationDispatcher(context, route_tables(services)[version])
    with pytest.raises(OcppError) as refused:
        await dispatcher.handle("Heartbeat", {})
    assert refused.value.kind is ErrorKind.SECURITY
    boot = await dispatcher.handle("BootNotification", SAMPLES[version]["BootNotification"])
    assert boot["status"] == "Accepted" and boot["interval"] == 30
    assert context.accepted
    assert "currentTime" in await dispatcher.handle("Heartbeat", {})


@pytest.mark.parametrize("version", list(OcppVersion))
def test_every_encoder_has_sample_commands(version: OcppVersion) -> None:
    missing = [t.__name__ for t in ENCODERS[version].encoders if not COMMAND_SAMPLES.get(t)]
    assert not missing, f"add samples to tests/protocol/command_samples.py for {missing}"


@pytest.mark.parametrize("version", list(OcppVersion))
def test_commands_encode_to_valid_calls(version: OcppVersion) -> None:
    adapter = ENCODERS[version]
    for command_type in adapter.encoders:
        for command in COMMAND_SAMPLES.get(command_type, []):
            try:
                call = adapter.encode(command)
            except InvalidRequest:
                continue  # beyond this version (a 422); each area's tests pin down which samples are refused
            errors = list(validator(version, call.action, "request").iter_errors(call.payload))
            assert not errors, f"{call.action}: {errors[0].message}"
