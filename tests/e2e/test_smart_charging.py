"""Smart charging end to end, for 1.6J and 2.0.1: the real server, the simulator, real sockets.

A station max profile caps the station, a TxDefaultProfile sets every transaction's limit, a TxProfile sent
with the remote start narrows one transaction: the simulated car's current follows the composite by the
next meter sample, Voltline's composite equals the station's GetCompositeSchedule, and clearing the
TxProfile brings the default (under the cap) back. A profile the station refuses is kept rejected with the
station's reason; a station that lost its profiles in a reboot gets them again when it boots. Every frame
the server sent is checked against the OCA schema.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from tests.e2e.conftest import STATION_PASSWORD, RunningServer
from tests.support.schema_check import assert_server_frames_valid
from tests.support.waiting import eventually
from voltline.simulator import SimulatedStation
from voltline.simulator.vehicle import ElectricVehicle

VERSIONS = ["1.6", "2.0.1"]
METER_INTERVAL_S = 0.3
STATION_MAX_A, TX_DEFAULT_A, TX_PROFILE_A = 13.0, 16.0, 10.0


async def online_station(server: RunningServer, station_id: str, version: str, **options: Any) -> SimulatedStation:
    station = SimulatedStation(
        server.ocpp_url, station_id, version, password=STATION_PASSWORD, meter_interval=METER_INTERVAL_S, **options
    )
    await station.connect()
    assert (await station.boot())["status"] == "Accepted"
    return station


async def register(api: httpx.AsyncClient, station_id: str) -> None:
    response = await api.put(f"/api/v1/stations/{station_id}", json={"password": STATION_PASSWORD})
    assert response.status_code == 201, response.text


def a_profile(purpose: str, stack_level: int, evse_id: int, limit_a: float) -> dict[str, Any]:
    """An Absolute profile that began a minute ago, one period in amperes."""
    start = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)
    return {
        "purpose": purpose,
        "stack_level": stack_level,
        "kind": "Absolute",
        "evse_id": evse_id,
        "schedules": [{"unit": "A", "start": start.isoformat(), "periods": [{"start_offset": 0, "limit": limit_a}]}],
    }


async def set_profile(api: httpx.AsyncClient, station_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(f"/api/v1/stations/{station_id}/charging-profiles", json=body)
    assert response.status_code == 201, response.text
    delivery: dict[str, Any] = response.json()
    return delivery


def sent_currents(station: SimulatedStation) -> list[float]:
    """The per-phase Current.Import (L1) of every MeterValues the station sent, in order."""
    currents: list[float] = []
    for direction, raw in station.transcript:
        frame = orjson.loads(raw)
        if direction != "out" or frame[0] != 2 or frame[2] not in ("MeterValues", "TransactionEvent"):
            continue
        for meter_value in frame[3].get("meterValue", []):
            for sample in meter_value["sampledValue"]:
                if sample.get("measurand") == "Current.Import" and sample.get("phase", "L1") == "L1":
                    currents.append(float(sample["value"]))
    return currents


async def next_current(station: SimulatedStation) -> float:
    """The current of the first meter sample the station sends from now on (within one meter interval)."""
    seen = len(sent_currents(station))

    async def arrived() -> float | None:
        currents = sent_currents(station)
        return currents[seen] if len(currents) > seen else None

    current: float = await eventually(arrived, within=METER_INTERVAL_S * 2 + 2)
    return current


async def composite(api: httpx.AsyncClient, station_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/v1/stations/{station_id}/composite-schedule", params={"evse_id": 1})
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    assert view["station_status"] == "Accepted", view
    assert view["matches"] is True, view
    assert view["differences"] == []
    return view


def calls_since(station: SimulatedStation, index: int) -> list[str]:
    """The actions of the CALLs in the transcript from `index` on, either way."""
    frames = [orjson.loads(raw) for _, raw in station.transcript[index:]]
    return [frame[2] for frame in frames if frame[0] == 2]


def first_limit(schedule: dict[str, Any]) -> float:
    limit: float = schedule["periods"][0]["limit"]
    return limit


@pytest.mark.parametrize("version", VERSIONS)
async def test_the_current_follows_the_composite_of_station_max_default_and_tx_profile(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"CP-SMART-{version}"
    await register(api, station_id)
    created = await api.post("/api/v1/id-tokens", json={"id_token": "CARD-SMART"})
    assert created.status_code == 201, created.text
    station = await online_station(server, station_id, version)
    try:
        cap = await set_profile(api, station_id, a_profile("ChargingStationMaxProfile", 0, 0, STATION_MAX_A))
        default = await set_profile(api, station_id, a_profile("TxDefaultProfile", 0, 0, TX_DEFAULT_A))
        assert (cap["status"], default["status"]) == ("Accepted", "Accepted")
        assert len(station.charging_profiles) == 2

        tx_profile = {
            "purpose": "TxProfile",
            "stack_level": 0,
            "kind": "Relative",
            "schedules": [{"unit": "A", "periods": [{"start_offset": 0, "limit": TX_PROFILE_A}]}],
        }
        started = await api.post(
            f"/api/v1/stations/{station_id}/remote-start-with-profile",
            params={"wait": 10},
            json={"id_token": "CARD-SMART", "evse_id": 1, "profile": tx_profile},
        )
        assert started.status_code == 200, started.text
        start = started.json()
        assert start["status"] == "Accepted" and start["transaction_id"] is not None, start
        assert start["profile"]["state"] == "accepted" and start["profile"]["transaction_id"] is not None
        tx_profile_id = start["profile"]["profile_id"]

        # The car charges under the TxProfile from its first sample; both composites say so.
        assert await next_current(station) == pytest.approx(TX_PROFILE_A)
        view = await composite(api, station_id)
        assert first_limit(view["ours"]) == first_limit(view["station"]) == pytest.approx(TX_PROFILE_A)

        cleared = await api.delete(f"/api/v1/stations/{station_id}/charging-profiles/{tx_profile_id}")
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["cleared"] == [tx_profile_id]
        # The default comes back, under the station's cap, by the next meter sample.
        assert await next_current(station) == pytest.approx(STATION_MAX_A)
        view = await composite(api, station_id)
        assert first_limit(view["ours"]) == first_limit(view["station"]) == pytest.approx(STATION_MAX_A)

        # Raising the cap above the default leaves the default in charge.
        raised = await set_profile(api, station_id, a_profile("ChargingStationMaxProfile", 0, 0, 32.0))
        assert raised["status"] == "Accepted"
        assert await next_current(station) == pytest.approx(TX_DEFAULT_A)
        assert first_limit((await composite(api, station_id))["ours"]) == pytest.approx(TX_DEFAULT_A)

        # The server keeps what the station measured.
        async def stored_currents() -> list[float] | None:
            detail = (await api.get(f"/api/v1/transactions/{start['transaction_id']}")).json()
            values = [v["value"] for v in detail["meter_values"] if v["measurand"] == "Current.Import"]
            return values if TX_DEFAULT_A in values else None

        stored = await eventually(stored_currents)
        assert {TX_PROFILE_A, STATION_MAX_A, TX_DEFAULT_A} <= set(stored)

        listed = (await api.get(f"/api/v1/stations/{station_id}/charging-profiles")).json()
        states = {p["profile_id"]: (p["purpose"], p["state"]) for p in listed}
        assert states == {
            cap["profile"]["profile_id"]: ("ChargingStationMaxProfile", "cleared"),  # replaced by the raised cap
            default["profile"]["profile_id"]: ("TxDefaultProfile", "accepted"),
            tx_profile_id: ("TxProfile", "cleared"),
            raised["profile"]["profile_id"]: ("ChargingStationMaxProfile", "accepted"),
        }
        await station.stop_transaction(1)
    finally:
        await station.close()
    assert assert_server_frames_valid(version, station.transcript) >= 8


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_refusal_is_kept_with_its_reason_and_lost_profiles_come_back_on_boot(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"CP-SMART-LOST-{version}"
    await register(api, station_id)
    station = await online_station(server, station_id, version, profiles_survive_reboot=False)
    try:
        station.device_model.hold_at_most(1)
        default = await set_profile(api, station_id, a_profile("TxDefaultProfile", 0, 1, TX_DEFAULT_A))
        assert default["status"] == "Accepted"
        refused = await set_profile(api, station_id, a_profile("ChargingStationMaxProfile", 0, 0, STATION_MAX_A))
        assert refused["status"] == "Rejected"
        stored = (
            await api.get(f"/api/v1/stations/{station_id}/charging-profiles/{refused['profile']['profile_id']}")
        ).json()
        assert stored["state"] == "rejected"
        if version == "2.0.1":  # 1.6 answers a bare Rejected; 2.0.1 says why
            assert "OutOfStorage" in stored["status_reason"]
        else:
            assert stored["status_reason"] == "Rejected"
        assert len(station.charging_profiles) == 1

        # The station reboots and forgets its profiles; on its boot Voltline finds out and sends them again.
        await station.close()
        assert len(station.charging_profiles) == 1  # cleared when it comes back, as a reboot would
        await station.connect()
        assert len(station.charging_profiles) == 0
        assert (await station.boot())["status"] == "Accepted"

        async def restored() -> int | None:
            return len(station.charging_profiles) or None

        assert await eventually(restored) == 1
        [held] = station.charging_profiles.profiles()
        assert (held.purpose.name, held.stack_level) == ("TX_DEFAULT", 0)
        view = await composite(api, station_id)
        assert first_limit(view["ours"]) == pytest.approx(TX_DEFAULT_A)

        # A reboot that keeps the profiles: Voltline checks, finds them in place and sends nothing again.
        station.profiles_survive_reboot = True
        await station.close()
        await station.connect()
        seen = len(station.transcript)
        assert (await station.boot())["status"] == "Accepted"
        check = "GetCompositeSchedule" if version == "1.6" else "ReportChargingProfiles"

        async def checked() -> list[str] | None:
            actions = calls_since(station, seen)
            return actions if check in actions else None

        await eventually(checked)
        await asyncio.sleep(0.5)  # time for a SetChargingProfile that should not come
        assert "SetChargingProfile" not in calls_since(station, seen)
    finally:
        await station.close()
    assert assert_server_frames_valid(version, station.transcript) >= 8


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_single_phase_car_paused_by_a_limit_below_6_a_is_reported_and_metered_per_phase(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    """What site load management reads: the car's current per phase (a single-phase car on L1 only), the
    current offered, and a car the limit pauses (SuspendedEVSE: 1.6 connector status, 2.0.1 chargingState)."""
    station_id = f"CP-SMART-CAR-{version}"
    await register(api, station_id)
    assert (await api.post("/api/v1/id-tokens", json={"id_token": "CARD-CAR"})).status_code == 201
    station = await online_station(server, station_id, version)
    try:
        await station.plug(1, ev=ElectricVehicle(max_current_a=16.0, phases=1))
        assert "charging for CARD-CAR" in await station.swipe("CARD-CAR")
        detail = await eventually(lambda: _stored_transaction(api, station_id))

        def stored(measurand: str, phase: str | None = None) -> list[float]:
            return [
                v["value"] for v in detail["meter_values"] if (v["measurand"], v.get("phase")) == (measurand, phase)
            ]

        async def currents_stored() -> dict[str, Any] | None:
            nonlocal detail
            detail = await _stored_transaction(api, station_id)
            return detail if stored("Current.Import", "L1") else None

        await eventually(currents_stored)
        assert stored("Current.Import", "L1")[0] == pytest.approx(16.0)
        assert stored("Current.Import", "L2")[0] == stored("Current.Import", "L3")[0] == 0.0
        assert stored("Current.Offered")[0] == pytest.approx(32.0)

        paused = await set_profile(api, station_id, a_profile("TxDefaultProfile", 0, 1, 5.0))
        assert paused["status"] == "Accepted"

        async def suspended() -> bool:
            if version == "1.6":
                body = (await api.get(f"/api/v1/stations/{station_id}")).json()
                return [c["status"] for c in body["connectors"]] == ["SuspendedEVSE"]
            state: str | None = (await _stored_transaction(api, station_id))["charging_state"]
            return state == "SuspendedEVSE"

        assert await eventually(suspended)

        async def paused_reading_stored() -> dict[str, Any] | None:
            nonlocal detail
            detail = await _stored_transaction(api, station_id)
            return detail if 5.0 in stored("Current.Offered") else None

        await eventually(paused_reading_stored)  # the car draws nothing while offered less than 6 A
        at = stored("Current.Offered").index(5.0)
        assert stored("Current.Import", "L1")[at] == 0.0
        await station.stop_transaction(1)
    finally:
        await station.close()
    assert assert_server_frames_valid(version, station.transcript) >= 6


async def _stored_transaction(api: httpx.AsyncClient, station_id: str) -> dict[str, Any]:
    listed = (await api.get("/api/v1/transactions", params={"station_id": station_id})).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    (tx,) = items
    detail: dict[str, Any] = (await api.get(f"/api/v1/transactions/{tx['id']}")).json()
    return detail
