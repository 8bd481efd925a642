"""The simulator against a fake CSMS over real sockets, both OCPP versions."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tests.support.fake_csms import FakeCsms, StationLink
from tests.support.schema_check import assert_server_frames_valid, assert_station_frames_valid
from voltline.ocppj import CallErrorReceived, OcppVersion
from voltline.simulator import SimulatedStation, run_fleet

VERSIONS = [OcppVersion.V16, OcppVersion.V201]
# 3600 simulated seconds per real second: 11 kW charges about 0.15 kWh per 0.05 s tick.
FAST = {"meter_interval": 0.05, "time_scale": 3600.0, "call_timeout": 5.0}


def a_station(csms: FakeCsms, version: OcppVersion, station_id: str = "CP1", **overrides: Any) -> SimulatedStation:
    return SimulatedStation(csms.url, station_id, version, **{**FAST, **overrides})


@asynccontextmanager
async def connected(
    version: OcppVersion, station_id: str = "CP1", **overrides: Any
) -> AsyncIterator[tuple[FakeCsms, SimulatedStation, StationLink]]:
    async with FakeCsms() as csms:
        station = a_station(csms, version, station_id, **overrides)
        await station.connect()
        try:
            link = await csms.link(station_id)
            yield csms, station, link
        finally:
            await station.close()
        # Both directions of everything that was said, checked independently of voltline's validator.
        assert assert_station_frames_valid(version, station.transcript) > 0
        assert_server_frames_valid(version, station.transcript)


def energy_of(version: OcppVersion, payload: dict[str, Any]) -> int:
    """The Energy.Active.Import.Register of a MeterValues / TransactionEvent / StopTransaction payload."""
    if "meterStart" in payload:
        return int(payload["meterStart"])
    meter_values = payload.get("meterValue") or payload.get("transactionData") or []
    for meter_value in meter_values:
        for sampled in meter_value["sampledValue"]:
            if sampled.get("measurand", "Energy.Active.Import.Register") == "Energy.Active.Import.Register":
                return int(float(sampled["value"]))
    raise AssertionError(f"no energy register in {payload}")


@pytest.mark.parametrize("version", VERSIONS)
async def test_boot_and_status_notification(version: OcppVersion) -> None:
    async with connected(version, serial="SN-42", firmware="9.9") as (_, station, link):
        answer = await station.boot()
        assert answer["status"] == "Accepted"
        assert station.registration_status == "Accepted"
        assert station.heartbeat_interval == 60
        await station.send_status(1, "Charging")
        await station.heartbeat()

        (boot,) = link.messages("BootNotification")
        (status,) = link.messages("StatusNotification")
        if version is OcppVersion.V16:
            assert boot["chargePointVendor"] == "Voltline"
            assert boot["chargePointSerialNumber"] == "SN-42"
            assert status["connectorId"] == 1 and status["status"] == "Charging"
            assert status["errorCode"] == "NoError"
        else:
            assert boot["chargingStation"]["serialNumber"] == "SN-42"
            assert boot["chargingStation"]["firmwareVersion"] == "9.9"
            assert boot["reason"] == "PowerUp"
            assert status["connectorStatus"] == "Occupied"  # 1.6 Charging folds into Occupied
            assert (status["evseId"], status["connectorId"]) == (1, 1)
        assert status["timestamp"].endswith("Z")
        assert len(link.messages("Heartbeat")) == 1


@pytest.mark.parametrize("version", VERSIONS)
async def test_basic_auth_and_subprotocol(version: OcppVersion) -> None:
    async with FakeCsms() as csms:
        with_password = a_station(csms, version, "CP-AUTH", password="s3cret")
        without = a_station(csms, version, "CP-OPEN")
        await with_password.connect()
        await without.connect()
        try:
            auth_link = await csms.link("CP-AUTH")
            open_link = await csms.link("CP-OPEN")
            expected = "Basic " + base64.b64encode(b"CP-AUTH:s3cret").decode()
            assert auth_link.headers["authorization"] == expected
            assert "authorization" not in open_link.headers
            assert auth_link.version is version
            assert auth_link.headers["sec-websocket-protocol"] == version.value
        finally:
            await with_password.close()
            await without.close()


@pytest.mark.parametrize("version", VERSIONS)
async def test_manual_transaction(version: OcppVersion) -> None:
    async with connected(version) as (_, station, link):
        await station.boot()
        assert (await station.authorize("TAG-1")) is not None
        answer = await station.start_transaction(1, "TAG-1")
        tx_id = station.transaction_id(1)
        assert tx_id is not None
        tx = station.connector(1).transaction
        assert tx is not None
        start_energy = station.energy_wh(1)
        # The register the transaction began at (it may have moved on since: the car draws 22 kW).
        assert tx.meter_start_wh <= start_energy
        await asyncio.sleep(0.05)
        await station.send_meter_values(1)
        assert station.energy_wh(1) > start_energy
        await asyncio.sleep(0.05)
        await station.stop_transaction(1, reason="Local", id_token="TAG-1")
        final = station.energy_wh(1)
        assert station.transaction_id(1) is None

        if version is OcppVersion.V16:
            assert tx_id == answer["transactionId"] == 1001
            (start,) = link.messages("StartTransaction")
            assert start["meterStart"] == tx.meter_start_wh
            (meter,) = link.messages("MeterValues")
            assert meter["transactionId"] == tx_id
            measurands = {s.get("measurand") for s in meter["meterValue"][0]["sampledValue"]}
            assert {
                "Energy.Active.Import.Register",
                "Power.Active.Import",
                "Current.Import",
                "Voltage",
            } <= measurands
            (stop,) = link.messages("StopTransaction")
            assert stop["meterStop"] == final and stop["transactionId"] == tx_id
            assert stop["reason"] == "Local" and stop["idTag"] == "TAG-1"
            assert energy_of(version, stop) == final
        else:
            events = link.messages("TransactionEvent")
            assert [e["eventType"] for e in events] == ["Started", "Updated", "Ended"]
            assert [e["seqNo"] for e in events] == [0, 1, 2]
            assert {e["transactionInfo"]["transactionId"] for e in events} == {tx_id}
            assert events[0]["triggerReason"] == "Authorized"
            assert events[0]["idToken"] == {"idToken": "TAG-1", "type": "ISO14443"}
            assert events[0]["evse"] == {"id": 1, "connectorId": 1}
            assert energy_of(version, events[0]) == tx.meter_start_wh
            assert events[1]["triggerReason"] == "MeterValuePeriodic"
            assert events[1]["meterValue"][0]["sampledValue"][0]["context"] == "Sample.Periodic"
            assert events[2]["transactionInfo"]["stoppedReason"] == "Local"
            assert events[2]["meterValue"][0]["sampledValue"][0]["context"] == "Transaction.End"
            assert energy_of(version, events[2]) == final
        assert final > start_energy


@pytest.mark.parametrize("version", VERSIONS)
async def test_remote_start_meter_values_and_remote_stop(version: OcppVersion) -> None:
    async with connected(version) as (_, station, link):
        await station.boot()
        if version is OcppVersion.V16:
            answer = await link.call("RemoteStartTransaction", {"idTag": "REMOTE-1", "connectorId": 1})
            assert answer == {"status": "Accepted"}
            (start,) = await link.wait_for("StartTransaction")
            assert start["idTag"] == "REMOTE-1"
            meters = await link.wait_for("MeterValues", count=3)
            energies = [energy_of(version, m) for m in meters]
            assert all(m["transactionId"] == 1001 for m in meters)
        else:
            answer = await link.call(
                "RequestStartTransaction",
                {"idToken": {"idToken": "REMOTE-1", "type": "Central"}, "remoteStartId": 77, "evseId": 1},
            )
            assert answer == {"status": "Accepted"}
            (start,) = await link.wait_for("TransactionEvent", lambda e: e["eventType"] == "Started")
            assert start["triggerReason"] == "RemoteStart"
            assert start["transactionInfo"]["remoteStartId"] == 77
            assert start["idToken"] == {"idToken": "REMOTE-1", "type": "Central"}
            meters = await link.wait_for("TransactionEvent", lambda e: e["eventType"] == "Updated", count=3)
            energies = [energy_of(version, m) for m in meters]
            assert [m["seqNo"] for m in meters[:3]] == [1, 2, 3]
        assert energies == sorted(energies) and energies[-1] > energies[0] >= energy_of(version, start)

        tx_id = station.transaction_id(1)
        assert tx_id is not None
        # The connector is busy now: a second remote start is refused.
        if version is OcppVersion.V16:
            assert (await link.call("RemoteStartTransaction", {"idTag": "X", "connectorId": 1}))["status"] == "Rejected"
            assert (await link.call("RemoteStopTransaction", {"transactionId": 999}))["status"] == "Rejected"
            assert (await link.call("RemoteStopTransaction", {"transactionId": tx_id}))["status"] == "Accepted"
            (stop,) = await link.wait_for("StopTransaction")
            assert stop["reason"] == "Remote" and stop["transactionId"] == tx_id
            assert stop["meterStop"] == station.energy_wh(1) >= energies[-1]
            statuses = await link.wait_for("StatusNotification", lambda s: s["status"] == "Available")
            assert [s["status"] for s in link.messages("StatusNotification")] == [
                "Preparing",
                "Charging",
                "Finishing",
                "Available",
            ]
            assert statuses
        else:
            request = {"idToken": {"idToken": "X", "type": "Central"}, "remoteStartId": 78, "evseId": 1}
            assert (await link.call("RequestStartTransaction", request))["status"] == "Rejected"
            assert (await link.call("RequestStopTransaction", {"transactionId": "nope"}))["status"] == "Rejected"
            assert (await link.call("RequestStopTransaction", {"transactionId": tx_id}))["status"] == "Accepted"
            (ended,) = await link.wait_for("TransactionEvent", lambda e: e["eventType"] == "Ended")
            assert ended["transactionInfo"]["stoppedReason"] == "Remote"
            assert ended["triggerReason"] == "RemoteStop"
            assert energy_of(version, ended) == station.energy_wh(1) >= energies[-1]
            seq = [e["seqNo"] for e in link.messages("TransactionEvent")]
            assert seq == list(range(len(seq)))
            await link.wait_for("StatusNotification", lambda s: s["connectorStatus"] == "Available")
            assert [s["connectorStatus"] for s in link.messages("StatusNotification")] == [
                "Occupied",
                "Available",
            ]
        assert station.transaction_id(1) is None
        # Nothing of the transaction follows its end.
        await asyncio.sleep(0.12)
        assert link.received[-1][0] == "StatusNotification"


@pytest.mark.parametrize("version", VERSIONS)
async def test_remote_start_with_invalid_token_is_deauthorized(version: OcppVersion) -> None:
    async with connected(version) as (csms, station, link):
        csms.invalid_tokens.add("BAD")
        await station.boot()
        if version is OcppVersion.V16:
            await link.call("RemoteStartTransaction", {"idTag": "BAD"})
            (stop,) = await link.wait_for("StopTransaction")
            assert stop["reason"] == "DeAuthorized"
        else:
            await link.call(
                "RequestStartTransaction",
                {"idToken": {"idToken": "BAD", "type": "Central"}, "remoteStartId": 1},
            )
            (ended,) = await link.wait_for("TransactionEvent", lambda e: e["eventType"] == "Ended")
            assert ended["transactionInfo"]["stoppedReason"] == "DeAuthorized"
        await asyncio.sleep(0.05)
        assert station.transaction_id(1) is None
        assert station.connectors[1].free


@pytest.mark.parametrize("version", VERSIONS)
async def test_other_csms_commands(version: OcppVersion) -> None:
    async with connected(version, connectors=2) as (_, station, link):
        await station.boot()
        v16 = version is OcppVersion.V16
        reset = {"type": "Soft"} if v16 else {"type": "Immediate"}
        assert (await link.call("Reset", reset))["status"] == "Accepted"
        transfer = await link.call("DataTransfer", {"vendorId": "com.example"})
        assert transfer["status"] == "UnknownVendorId"

        assert (await link.call("TriggerMessage", {"requestedMessage": "Heartbeat"}))["status"] == "Accepted"
        await link.wait_for("Heartbeat")
        trigger: dict[str, Any] = {"requestedMessage": "StatusNotification"}
        trigger |= {"connectorId": 2} if v16 else {"evse": {"id": 2}}
        assert (await link.call("TriggerMessage", trigger))["status"] == "Accepted"
        (status,) = await link.wait_for("StatusNotification")
        assert (status["connectorId"] if v16 else status["evseId"]) == 2
        meter = {"requestedMessage": "MeterValues"} | ({"connectorId": 1} if v16 else {"evse": {"id": 1}})
        assert (await link.call("TriggerMessage", meter))["status"] == "Accepted"
        (values,) = await link.wait_for("MeterValues")
        assert values["meterValue"][0]["sampledValue"][0]["context"] == "Trigger"
        assert (await link.call("TriggerMessage", {"requestedMessage": "BootNotification"}))["status"] == "Accepted"
        await link.wait_for("BootNotification", count=2)

        if v16:
            availability = {"connectorId": 2, "type": "Inoperative"}
        else:
            availability = {"operationalStatus": "Inoperative", "evse": {"id": 2}}
        assert (await link.call("ChangeAvailability", availability))["status"] == "Accepted"
        key = "status" if v16 else "connectorStatus"
        await link.wait_for("StatusNotification", lambda s: s[key] == "Unavailable")
        assert not station.connectors[2].free

        if v16:
            assert (await link.call("UnlockConnector", {"connectorId": 1}))["status"] == "Unlocked"
            assert (await link.call("UnlockConnector", {"connectorId": 9}))["status"] == "NotSupported"
        else:
            assert (await link.call("UnlockConnector", {"evseId": 1, "connectorId": 1}))["status"] == "Unlocked"
            assert (await link.call("UnlockConnector", {"evseId": 9, "connectorId": 1}))["status"] == "UnknownConnector"

        # A remote start picks the free connector (2 is inoperative now).
        if v16:
            assert (await link.call("RemoteStartTransaction", {"idTag": "T"}))["status"] == "Accepted"
            (start,) = await link.wait_for("StartTransaction")
            assert start["connectorId"] == 1
        else:
            start_request = {"idToken": {"idToken": "T", "type": "ISO14443"}, "remoteStartId": 5}
            assert (await link.call("RequestStartTransaction", start_request))["status"] == "Accepted"
            (started,) = await link.wait_for("TransactionEvent", lambda e: e["eventType"] == "Started")
            assert started["evse"]["id"] == 1
            trigger_tx = {"requestedMessage": "TransactionEvent", "evse": {"id": 1}}
            assert (await link.call("TriggerMessage", trigger_tx))["status"] == "Accepted"
            await link.wait_for("TransactionEvent", lambda e: e["triggerReason"] == "Trigger")
            unlock = await link.call("UnlockConnector", {"evseId": 1, "connectorId": 1})
            assert unlock["status"] == "OngoingAuthorizedTransaction"

        # Something the simulator does not do: the engine answers NotSupported.
        unsupported = (
            ("GetDiagnostics", {"location": "ftp://logs.example/"})
            if v16
            else (
                "GetLog",
                {"log": {"remoteLocation": "ftp://logs.example/"}, "logType": "DiagnosticsLog", "requestId": 1},
            )
        )
        with pytest.raises(CallErrorReceived) as caught:
            await link.call(*unsupported)
        assert caught.value.code == "NotSupported"


@pytest.mark.parametrize(
    ("version", "boot_answers"),
    [(OcppVersion.V16, [("Pending", 1)]), (OcppVersion.V201, [])],
)
async def test_run_boots_reports_and_heartbeats(version: OcppVersion, boot_answers: list[tuple[str, int]]) -> None:
    async with FakeCsms(heartbeat_interval=1) as csms:
        csms.boot_answers = list(boot_answers)
        station = a_station(csms, version, connectors=2)
        runner = asyncio.create_task(station.run())
        try:
            link = await csms.link("CP1")
            await link.wait_for("Heartbeat", within=4)
            boots = link.messages("BootNotification")
            assert len(boots) == len(boot_answers) + 1
            key = ("connectorId", "status") if version is OcppVersion.V16 else ("evseId", "connectorStatus")
            assert sorted((s[key[0]], s[key[1]]) for s in link.messages("StatusNotification")) == [
                (1, "Available"),
                (2, "Available"),
            ]
            # Driven by the CSMS while running.
            if version is OcppVersion.V16:
                await link.call("RemoteStartTransaction", {"idTag": "RUN", "connectorId": 2})
                await link.wait_for("MeterValues", count=2)
            else:
                request = {"idToken": {"idToken": "RUN", "type": "ISO14443"}, "remoteStartId": 3, "evseId": 2}
                await link.call("RequestStartTransaction", request)
                await link.wait_for("TransactionEvent", lambda e: e["eventType"] == "Updated", count=2)
            assert station.transaction_id(2) is not None
        finally:
            await station.close()
            await asyncio.wait_for(runner, 2)  # run() returns once the station is closed
        assert_station_frames_valid(version, station.transcript)
        assert_server_frames_valid(version, station.transcript)


async def test_run_raises_when_the_connection_is_lost() -> None:
    async with FakeCsms(heartbeat_interval=30) as csms:
        station = a_station(csms, OcppVersion.V16)
        runner = asyncio.create_task(station.run())
        link = await csms.link("CP1")
        await link.wait_for("StatusNotification")
    # Leaving the block closed the server and with it the connection.
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(runner, 5)
    await station.close()


async def test_transcript_records_both_directions_in_order() -> None:
    async with connected(OcppVersion.V16) as (_, station, _link):
        await station.boot()
        directions = [d for d, _ in station.transcript]
        assert directions == ["out", "in"]
        assert b'"BootNotification"' in station.transcript[0][1]
        assert station.transcript[1][1].startswith(b"[3,")


@pytest.mark.parametrize("version", VERSIONS)
async def test_remote_stop_right_after_the_start_is_seen(version: OcppVersion) -> None:
    """A CSMS may stop a transaction the moment it learns of it, before the station has its answer."""
    async with connected(version) as (_, station, link):
        await station.boot()
        if version is OcppVersion.V16:
            await link.call("RemoteStartTransaction", {"idTag": "QUICK"})
            await link.wait_for("StartTransaction")
            answer = await link.call("RemoteStopTransaction", {"transactionId": 1001})
            assert answer["status"] == "Accepted"
            (stop,) = await link.wait_for("StopTransaction")
            assert stop["transactionId"] == 1001 and stop["reason"] == "Remote"
        else:
            request = {"idToken": {"idToken": "QUICK", "type": "ISO14443"}, "remoteStartId": 1}
            await link.call("RequestStartTransaction", request)
            (started,) = await link.wait_for("TransactionEvent", lambda e: e["eventType"] == "Started")
            tx_id = started["transactionInfo"]["transactionId"]
            assert (await link.call("RequestStopTransaction", {"transactionId": tx_id}))["status"] == "Accepted"
            await link.wait_for("TransactionEvent", lambda e: e["eventType"] == "Ended")
            assert [e["eventType"] for e in link.messages("TransactionEvent")][-1] == "Ended"
        key = "status" if version is OcppVersion.V16 else "connectorStatus"
        await link.wait_for("StatusNotification", lambda s: s[key] == "Available")
        assert station.transaction_id(1) is None
        assert station.connectors[1].free


async def test_fleet_runs_many_stations_until_cancelled() -> None:
    async with FakeCsms(heartbeat_interval=30) as csms:
        ids = [f"FLEET-{n}" for n in range(5)]
        fleet = asyncio.create_task(run_fleet(csms.url, ids, "2.0.1", stagger=0.01, **FAST))
        for station_id in ids:
            link = await csms.link(station_id)
            await link.wait_for("StatusNotification")
        fleet.cancel()
        with pytest.raises(asyncio.CancelledError):
            await fleet
        for station_id in ids:
            await asyncio.wait_for(csms.links[station_id].closed.wait(), 2)


async def test_station_can_reconnect_after_close() -> None:
    async with FakeCsms() as csms:
        station = a_station(csms, OcppVersion.V201)
        await station.connect()
        await station.boot()
        await station.close()
        assert not station.connected
        await station.connect()
        assert (await station.heartbeat())["currentTime"].endswith("Z")
        await station.close()
        assert len(csms.links["CP1"].messages("Heartbeat")) == 1
        assert_station_frames_valid(OcppVersion.V201, station.transcript)
