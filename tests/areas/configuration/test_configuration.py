"""Reading and writing settings and keeping the device model, on SQLite and PostgreSQL, against the
simulator's configuration handlers through the real encoders (tests/support/simulated_link.py)."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.simulated_link import SimulatedLink
from voltline.areas.configuration.model import (
    AttributeType,
    ComponentRef,
    DeviceModelQuery,
    DeviceVariable,
    EvseRef,
    Mutability,
    SettingAddress,
    SettingValue,
    VariableRef,
)
from voltline.areas.configuration.service import ConfigurationService, ReportSelection
from voltline.areas.stations.model import Registration
from voltline.areas.stations.service import StationRegistration, StationService
from voltline.kernel.commands import CommandService
from voltline.kernel.errors import InvalidRequest, NotFound, StationOffline, StationRejectedCall, StationTimeout
from voltline.kernel.pending_requests import InProcessPendingRequests
from voltline.storage.sql import SqlStorage

STATION = "CP-1"


def key(name: str) -> SettingAddress:
    return SettingAddress.key(name)


def var(component: str, name: str, *, evse: int | None = None, attribute: str = "Actual") -> SettingAddress:
    return SettingAddress(
        ComponentRef(component, evse=EvseRef(evse) if evse else None), VariableRef(name), AttributeType(attribute)
    )


@pytest.fixture
def link() -> SimulatedLink:
    return SimulatedLink()


@pytest.fixture
async def configuration(storage: SqlStorage, stations: StationService, link: SimulatedLink) -> ConfigurationService:
    await stations.register(STATION, StationRegistration(Registration.ACCEPTED, 0))
    service = ConfigurationService(storage, CommandService(link), InProcessPendingRequests())
    link.configuration = service
    return service


async def stored(configuration: ConfigurationService, **query: object) -> dict[str, DeviceVariable]:
    page = await configuration.device_model(STATION, DeviceModelQuery(limit=1000, **query))  # type: ignore[arg-type]
    return {str(v.address): v for v in page.variables}


async def test_1_6_reads_and_writes_key_by_key_and_keeps_what_the_station_took(
    configuration: ConfigurationService, link: SimulatedLink
) -> None:
    station = link.attach(STATION, "1.6")
    readings = await configuration.read(STATION, [key("heartbeatinterval"), key("NumberOfConnectors"), key("Nope")])
    assert [(r.address.variable.name, r.status, r.value, r.readonly) for r in readings] == [
        ("heartbeatinterval", "Accepted", "300", False),  # keys are case-insensitive: named as asked
        ("NumberOfConnectors", "Accepted", "1", True),
        ("Nope", "UnknownKey", None, None),
    ]
    outcome = await configuration.write(
        STATION,
        [
            SettingValue(key("MeterValueSampleInterval"), "15"),
            SettingValue(key("NumberOfConnectors"), "2"),
            SettingValue(key("WebSocketPingInterval"), "10"),
            SettingValue(key("Nope"), "x"),
        ],
    )
    assert [r.status for r in outcome.results] == ["Accepted", "Rejected", "RebootRequired", "NotSupported"]
    assert outcome.reboot_required
    assert link.sent.count((STATION, "ChangeConfiguration")) == 4  # one key per call
    assert station.device_model.get("MeterValueSampleInterval") == "15"

    model = await stored(configuration)
    assert {name: (v.value, v.mutability) for name, v in model.items()} == {
        "heartbeatinterval": ("300", Mutability.READ_WRITE),
        "NumberOfConnectors": ("1", Mutability.READ_ONLY),
        "MeterValueSampleInterval": ("15", None),
        "WebSocketPingInterval": ("10", None),
    }


async def test_2_0_1_reads_and_writes_in_one_call_with_per_item_statuses(
    configuration: ConfigurationService, link: SimulatedLink
) -> None:
    link.attach(STATION, "2.0.1")
    readings = await configuration.read(
        STATION,
        [
            var("OCPPCommCtrlr", "HeartbeatInterval"),
            var("EVSE", "Power", evse=1, attribute="MaxSet"),
            var("Nowhere", "X"),
            var("OCPPCommCtrlr", "X"),
            var("OCPPCommCtrlr", "HeartbeatInterval", attribute="Target"),
            var("SecurityCtrlr", "BasicAuthPassword"),
        ],
    )
    assert [(r.status, r.value) for r in readings] == [
        ("Accepted", "300"),
        ("Accepted", "11000"),
        ("UnknownComponent", None),
        ("UnknownVariable", None),
        ("NotSupportedAttributeType", None),
        ("Rejected", None),
    ]
    outcome = await configuration.write(
        STATION,
        [
            SettingValue(var("OCPPCommCtrlr", "HeartbeatInterval"), "120"),
            SettingValue(var("OCPPCommCtrlr", "WebSocketPingInterval"), "45"),
            SettingValue(var("SecurityCtrlr", "SecurityProfile"), "3"),
            SettingValue(var("SampledDataCtrlr", "TxUpdatedMeasurands"), "Energy.Active.Import.Register,Bogus"),
        ],
    )
    assert [r.status for r in outcome.results] == ["Accepted", "RebootRequired", "Rejected", "Rejected"]
    assert link.sent.count((STATION, "SetVariables")) == 1
    model = await stored(configuration)
    assert model["OCPPCommCtrlr.HeartbeatInterval"].value == "120"
    assert model["EVSE.EVSE 1.Power (MaxSet)"].value == "11000"
    assert "SecurityCtrlr.SecurityProfile" not in model


async def test_a_1_6_write_that_fails_midway_keeps_the_keys_already_taken(
    configuration: ConfigurationService, link: SimulatedLink
) -> None:
    link.attach(STATION, "1.6")
    link.time_out_after = 1
    with pytest.raises(StationTimeout):
        await configuration.write(
            STATION, [SettingValue(key("HeartbeatInterval"), "90"), SettingValue(key("ConnectionTimeOut"), "20")]
        )
    assert {name: v.value for name, v in (await stored(configuration)).items()} == {"HeartbeatInterval": "90"}


async def test_requests_a_version_cannot_express_are_refused(
    configuration: ConfigurationService, link: SimulatedLink
) -> None:
    with pytest.raises(StationOffline):
        await configuration.read(STATION, [key("HeartbeatInterval")])
    link.attach(STATION, "2.0.1")
    with pytest.raises(InvalidRequest, match="device-model/refresh"):
        await configuration.read(STATION, [])
    with pytest.raises(InvalidRequest, match="component"):
        await configuration.write(STATION, [SettingValue(key("HeartbeatInterval"), "1")])
    with pytest.raises(InvalidRequest, match="twice"):
        value = SettingValue(var("OCPPCommCtrlr", "HeartbeatInterval"), "1")
        await configuration.write(STATION, [value, value])
    link.attach(STATION, "1.6")
    with pytest.raises(InvalidRequest, match="Target"):
        await configuration.read(STATION, [var("X", "HeartbeatInterval", attribute="Target")])
    with pytest.raises(InvalidRequest, match="GetReport"):
        await configuration.report(STATION, [], [])
    assert not link.sent


async def test_1_6_refresh_replaces_the_model_with_every_key(
    configuration: ConfigurationService, link: SimulatedLink
) -> None:
    station = link.attach(STATION, "1.6")
    await configuration.write(STATION, [SettingValue(key("HeartbeatInterval"), "90")])
    await configuration.record_report_part(STATION, 5, [DeviceVariable(key("Forgotten"), "1")], more=False)
    outcome = await configuration.refresh(STATION)
    assert outcome.stored == len(station.device_model.keys)
    page = await configuration.device_model(STATION, DeviceModelQuery(limit=1000))
    assert page.total == len(station.device_model.keys)
    assert page.info.refresh_source == "GetConfiguration" and page.info.refreshed_at == outcome.refreshed_at
    names = [v.address.variable.name for v in page.variables]
    assert "Forgotten" not in names and names == sorted(names)
    assert (await stored(configuration, variable="heartbeat"))["HeartbeatInterval"].value == "90"


async def test_2_0_1_refresh_assembles_the_report_parts_and_replaces_the_model(
    configuration: ConfigurationService, link: SimulatedLink
) -> None:
    station = link.attach(STATION, "2.0.1")
    station.device_model.add_filler(30)
    station.device_model.items_per_report = 7
    # Something stored earlier that the station no longer has: gone after a full inventory.
    await configuration.record_report_part(STATION, 5, [DeviceVariable(var("OldCtrlr", "Gone"), "1")], more=False)
    attributes = sum(len(v.attributes) for v in station.device_model.variables.values())
    outcome = await configuration.refresh(STATION)
    assert (outcome.status, outcome.variables, outcome.stored) == ("Accepted", attributes, attributes)
    assert outcome.parts == -(-len(station.device_model.variables) // 7)
    page = await configuration.device_model(STATION, DeviceModelQuery(component="oldctrlr"))
    assert page.total == 0 and page.info.refresh_source == "GetBaseReport"

    heartbeat = (await stored(configuration, component="OCPPCommCtrlr", variable="Heartbeat"))[
        "OCPPCommCtrlr.HeartbeatInterval"
    ]
    assert heartbeat.mutability is Mutability.READ_WRITE and heartbeat.persistent is True
    assert heartbeat.characteristics is not None and heartbeat.characteristics.unit == "s"
    assert heartbeat.characteristics.max_limit == 86400


async def test_a_stalled_report_times_out_and_keeps_what_arrived(
    configuration: ConfigurationService, link: SimulatedLink
) -> None:
    station = link.attach(STATION, "2.0.1")
    station.device_model.items_per_report = 5
    parts = 0
    report = station.call

    async def stall_after_two_parts(action: str, payload: dict[str, object]) -> dict[str, object]:
        nonlocal parts
        parts += 1
        if parts > 2:
            await asyncio.sleep(3600)  # the station hangs mid-report
        return await report(action, payload)  # type: ignore[arg-type]

    station.call = stall_after_two_parts  # type: ignore[method-assign]
    configuration.report_idle_timeout = 0.2
    with pytest.raises(StationTimeout, match="2 report part"):
        await configuration.refresh(STATION)
    page = await configuration.device_model(STATION, DeviceModelQuery())
    assert page.total == 10 and page.info.refreshed_at is None and page.info.last_report_at is not None
    for task in list(station._tasks):
        task.cancel()


async def test_report_parts_nobody_waits_for_are_stored(configuration: ConfigurationService) -> None:
    variables = [DeviceVariable(var("CustomCtrlr", f"V{n}"), str(n), Mutability.READ_ONLY) for n in range(3)]
    await configuration.record_report_part(STATION, 99, variables, more=True)
    await configuration.record_report_part(STATION, 99, variables[:1], more=False)  # repeated: overwritten
    page = await configuration.device_model(STATION, DeviceModelQuery(component="customctrlr"))
    assert [v.value for v in page.variables] == ["0", "1", "2"]
    assert page.info.refreshed_at is None and page.info.last_report_at is not None


async def test_searching_the_model(configuration: ConfigurationService) -> None:
    variables = [
        DeviceVariable(var("EVSE", "Power", evse=1), "7400"),
        DeviceVariable(var("EVSE", "Power", evse=2), "11000"),
        DeviceVariable(var("OCPPCommCtrlr", "HeartbeatInterval"), "300"),
        DeviceVariable(var("OCPPCommCtrlr", "Message_Timeout"), "30"),
        DeviceVariable(var("SecurityCtrlr", "OrganizationName"), "Power 100%"),
    ]
    await configuration.record_report_part(STATION, 1, variables, more=False)

    async def names(**query: object) -> list[str]:
        page = await configuration.device_model(STATION, DeviceModelQuery(**query))  # type: ignore[arg-type]
        return [str(v.address) for v in page.variables]

    assert await names(component="evse") == ["EVSE.EVSE 1.Power", "EVSE.EVSE 2.Power"]
    assert await names(evse_id=2) == ["EVSE.EVSE 2.Power"]
    assert await names(variable="TIMEOUT") == ["OCPPCommCtrlr.Message_Timeout"]
    assert await names(text="power") == ["EVSE.EVSE 1.Power", "EVSE.EVSE 2.Power", "SecurityCtrlr.OrganizationName"]
    assert await names(text="_") == ["OCPPCommCtrlr.Message_Timeout"]  # LIKE wildcards are taken literally
    assert await names(text="%") == ["SecurityCtrlr.OrganizationName"]
    assert await names(limit=2, offset=1) == ["EVSE.EVSE 2.Power", "OCPPCommCtrlr.HeartbeatInterval"]
    with pytest.raises(NotFound):
        await configuration.device_model("CP-NOPE", DeviceModelQuery())


async def test_get_report_stores_what_matches_and_keeps_the_rest(
    configuration: ConfigurationService, link: SimulatedLink
) -> None:
    station = link.attach(STATION, "2.0.1")
    await configuration.record_report_part(STATION, 5, [DeviceVariable(var("OldCtrlr", "Kept"), "1")], more=False)
    outcome = await configuration.report(STATION, ["Available"], [ReportSelection(ComponentRef("AuthCtrlr"))])
    auth = [v for v in station.device_model.variables.values() if v.component == "AuthCtrlr"]
    assert (outcome.status, outcome.variables, outcome.stored) == ("Accepted", len(auth), None)
    page = await configuration.device_model(STATION, DeviceModelQuery(limit=100))
    assert page.total == len(auth) + 1 and page.info.refreshed_at is None
    assert (await configuration.report(STATION, ["Problem"], [])).status == "EmptyResultSet"


async def test_long_reads_and_writes_go_in_parts_the_station_can_take(
    configuration: ConfigurationService, link: SimulatedLink
) -> None:
    station = link.attach(STATION, "2.0.1")
    station.device_model.set("ItemsPerMessage", "3", "DeviceDataCtrlr", instance="GetVariables")
    station.device_model.set("ItemsPerMessage", "2", "DeviceDataCtrlr", instance="SetVariables")
    wanted = [var("OCPPCommCtrlr", "HeartbeatInterval"), var("SampledDataCtrlr", "TxUpdatedInterval")]
    addresses = [*wanted, *(var("VendorFillerCtrlr", f"Filler{n:04d}") for n in range(5))]
    station.device_model.add_filler(5)
    with pytest.raises(StationRejectedCall, match="OccurrenceConstraintViolation"):
        await configuration.read(STATION, addresses)  # 7 at once: over the station's limit, refused whole

    await configuration.refresh(STATION)  # now its limits are known
    link.sent.clear()
    readings = await configuration.read(STATION, addresses)
    assert [r.status for r in readings] == ["Accepted"] * 7
    assert [action for _, action in link.sent] == ["GetVariables"] * 3  # 3 + 3 + 1

    link.sent.clear()
    outcome = await configuration.write(
        STATION,
        [
            SettingValue(var("OCPPCommCtrlr", "HeartbeatInterval"), "120"),
            SettingValue(var("SampledDataCtrlr", "TxUpdatedInterval"), "30"),
            SettingValue(var("OCPPCommCtrlr", "MessageTimeout", attribute="Actual"), "40"),
        ],
    )
    assert len(outcome.results) == 3
    assert [action for _, action in link.sent] == ["SetVariables"] * 2  # 2 + 1


async def test_a_1_6_read_of_many_keys_respects_get_configuration_max_keys(
    configuration: ConfigurationService, link: SimulatedLink
) -> None:
    station = link.attach(STATION, "1.6")
    station.device_model.set("GetConfigurationMaxKeys", "2")
    configuration.default_items_per_message = 2  # not known yet: the default applies
    keys = [key("HeartbeatInterval"), key("MeterValueSampleInterval"), key("ConnectionTimeOut"), key("Nope")]
    readings = await configuration.read(STATION, keys)
    assert [r.status for r in readings] == ["Accepted", "Accepted", "Accepted", "UnknownKey"]
    assert [action for _, action in link.sent] == ["GetConfiguration"] * 2
    link.sent.clear()
    assert len(await configuration.read(STATION, [])) > 4  # every key: one call, whatever the limit
    assert [action for _, action in link.sent] == ["GetConfiguration"]
