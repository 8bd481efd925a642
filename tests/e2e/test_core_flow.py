"""Core profile end to end, for 1.6J and 2.0.1: our simulator against the real server over sockets."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from tests.e2e.conftest import STATION_PASSWORD, RunningServer
from tests.support.schema_check import assert_server_frames_valid
from tests.support.waiting import eventually
from voltline.simulator import SimulatedStation

VERSIONS = ["1.6", "2.0.1"]


def token_status(version: str, answer: dict[str, Any]) -> str:
    info = answer["idTagInfo"] if version == "1.6" else answer["idTokenInfo"]
    return str(info["status"])


async def register(api: httpx.AsyncClient, station_id: str) -> None:
    response = await api.put(f"/api/v1/stations/{station_id}", json={"password": STATION_PASSWORD})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("version", VERSIONS)
async def test_boot_status_authorize_and_a_charging_session(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"CP-STEP-{version}"
    await register(api, station_id)
    # time_scale: one real second is ten simulated minutes, so energy grows measurably between samples
    station = SimulatedStation(
        server.ocpp_url, station_id, version, password=STATION_PASSWORD, meter_interval=60, time_scale=600
    )
    await station.connect()
    try:
        boot = await station.boot()
        assert boot["status"] == "Accepted"
        assert boot["interval"] == 60

        beat = await station.heartbeat()
        assert abs((datetime.fromisoformat(beat["currentTime"]) - datetime.now(UTC)).total_seconds()) < 5

        await station.send_status(1, "Available")
        view = (await api.get(f"/api/v1/stations/{station_id}")).json()
        assert view["online"] is True
        assert view["ocpp_version"] == ("ocpp1.6" if version == "1.6" else "ocpp2.0.1")
        assert view["vendor"] == "Voltline" and view["model"] == "SimCP"
        assert view["serial_number"] == f"SIM-{station_id}"
        assert [c["status"] for c in view["connectors"]] == ["Available"]

        assert token_status(version, await station.authorize("TAG-1")) == "Invalid"
        created = await api.post("/api/v1/id-tokens", json={"id_token": "TAG-1", "type": "ISO14443"})
        assert created.status_code == 201, created.text
        assert token_status(version, await station.authorize("TAG-1")) == "Accepted"

        meter_start = station.energy_wh(1)
        started = await station.start_transaction(1, "TAG-1")
        assert token_status(version, started) == "Accepted"
        station_tx_id = station.transaction_id(1)
        assert station_tx_id is not None
        for _ in range(2):
            await asyncio.sleep(0.05)
            await station.send_meter_values(1)
        await station.stop_transaction(1)
        meter_stop = station.energy_wh(1)
        assert meter_stop > meter_start
    finally:
        await station.close()

    listing = (await api.get("/api/v1/transactions", params={"station_id": station_id})).json()
    assert len(listing) == 1
    detail = (await api.get(f"/api/v1/transactions/{listing[0]['id']}")).json()
    assert detail["station_transaction_id"] == str(station_tx_id)  # a string everywhere
    assert detail["active"] is False
    assert detail["id_token"] == "TAG-1"
    assert detail["energy_wh"] == pytest.approx(meter_stop - meter_start)
    registers = [v for v in detail["meter_values"] if v["measurand"] == "Energy.Active.Import.Register"]
    assert len(registers) >= 3  # start (2.0.1) or transaction data (1.6), two periodic samples, the end
    assert max(v["value"] for v in registers) == pytest.approx(meter_stop)
    assert assert_server_frames_valid(version, station.transcript) >= 9


@pytest.mark.parametrize("version", VERSIONS)
async def test_remote_start_and_stop_through_the_api(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"CP-REMOTE-{version}"
    await register(api, station_id)
    await api.post("/api/v1/id-tokens", json={"id_token": "APP-USER-7", "type": "Central"})
    station = SimulatedStation(
        server.ocpp_url, station_id, version, password=STATION_PASSWORD, meter_interval=0.1, time_scale=600
    )
    runner = asyncio.create_task(station.run())
    try:

        async def available() -> bool:
            view = (await api.get(f"/api/v1/stations/{station_id}")).json()
            return view["online"] and [c["status"] for c in view["connectors"]] == ["Available"]

        await eventually(available)
        started = await api.post(
            f"/api/v1/stations/{station_id}/remote-start", json={"id_token": "APP-USER-7", "evse_id": 1}
        )
        assert started.status_code == 200, started.text
        assert started.json()["status"] == "Accepted"
        # The remote start's id comes back and the transaction that follows carries it: 2.0.1 sends it as
        # remoteStartId; 1.6 has none on the wire, so Voltline links the StartTransaction by station and token.
        remote_start_id = started.json()["remote_start_id"]
        assert isinstance(remote_start_id, int)
        if version == "2.0.1":
            frames = [orjson.loads(raw) for way, raw in station.transcript if way == "in"]
            [request] = [frame[3] for frame in frames if frame[:1] == [2] and frame[2] == "RequestStartTransaction"]
            assert remote_start_id == request["remoteStartId"]

        async def active_transaction() -> dict[str, Any] | None:
            txs = (await api.get("/api/v1/transactions", params={"station_id": station_id, "active": "true"})).json()
            return txs[0] if txs else None

        tx = await eventually(active_transaction)
        assert tx["id_token"] == "APP-USER-7"
        assert tx["remote_start_id"] == remote_start_id
        assert (await api.get(f"/api/v1/transactions/{tx['id']}")).json()["remote_start_id"] == remote_start_id

        async def metered() -> bool:
            detail = (await api.get(f"/api/v1/transactions/{tx['id']}")).json()
            return len(detail["meter_values"]) >= 8  # several periodic samples of 4+ measurands

        await eventually(metered)
        stopped = await api.post(f"/api/v1/stations/{station_id}/remote-stop", json={"transaction_id": tx["id"]})
        assert stopped.status_code == 200, stopped.text
        assert stopped.json()["status"] == "Accepted"

        async def ended() -> dict[str, Any] | None:
            detail = (await api.get(f"/api/v1/transactions/{tx['id']}")).json()
            return detail if not detail["active"] else None

        detail = await eventually(ended)
        assert detail["stop_reason"] == "Remote"
        assert detail["energy_wh"] > 0
        assert detail["energy_wh"] == pytest.approx(detail["meter_stop_wh"] - detail["meter_start_wh"])
        assert detail["meter_stop_wh"] == pytest.approx(station.energy_wh(1))
    finally:
        await station.close()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await runner
    assert assert_server_frames_valid(version, station.transcript) >= 8


@pytest.mark.parametrize("version", VERSIONS)
async def test_remote_stop_by_the_stations_own_transaction_id(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"CP-OWNID-{version}"
    await register(api, station_id)
    station = SimulatedStation(server.ocpp_url, station_id, version, password=STATION_PASSWORD)
    runner = asyncio.create_task(station.run())
    try:
        await api.post("/api/v1/id-tokens", json={"id_token": "OWN-ID-TAG"})
        await eventually(lambda: _online(api, station_id))
        started = await api.post(
            f"/api/v1/stations/{station_id}/remote-start", json={"id_token": "OWN-ID-TAG", "connector_id": 1}
        )
        assert started.json()["status"] == "Accepted"

        async def charging() -> Any:
            txs = (await api.get("/api/v1/transactions", params={"station_id": station_id})).json()
            return txs[0]["station_transaction_id"] if txs else None

        own_id = await eventually(charging)
        assert own_id == str(station.transaction_id(1))
        answer = await api.post(f"/api/v1/stations/{station_id}/remote-stop", json={"transaction_id": own_id})
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "Accepted"
        unknown = await api.post(f"/api/v1/stations/{station_id}/remote-stop", json={"transaction_id": "nope"})
        assert unknown.status_code == 404
    finally:
        await station.close()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await runner
    assert_server_frames_valid(version, station.transcript)


async def _online(api: httpx.AsyncClient, station_id: str) -> bool:
    view = (await api.get(f"/api/v1/stations/{station_id}")).json()
    return bool(view["online"]) and bool(view["connectors"])


async def test_a_2_0_1_token_must_be_presented_as_the_kind_it_is(server: RunningServer, api: httpx.AsyncClient) -> None:
    await register(api, "CP-KINDS")
    created = await api.post("/api/v1/id-tokens", json={"id_token": "4711", "type": "KeyCode"})
    assert created.status_code == 201, created.text
    station = SimulatedStation(server.ocpp_url, "CP-KINDS", "2.0.1", password=STATION_PASSWORD)
    await station.connect()
    try:
        await station.boot()

        async def authorize(kind: str) -> str:
            answer = await station.call("Authorize", {"idToken": {"idToken": "4711", "type": kind}})
            return str(answer["idTokenInfo"]["status"])

        assert await authorize("KeyCode") == "Accepted"
        assert await authorize("ISO14443") == "Invalid"  # an RFID card "4711" is another token
        started = await station.call(
            "TransactionEvent",
            {
                "eventType": "Started",
                "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "triggerReason": "Authorized",
                "seqNo": 0,
                "transactionInfo": {"transactionId": "tx-kinds"},
                "idToken": {"idToken": "4711", "type": "ISO14443"},
                "evse": {"id": 1, "connectorId": 1},
            },
        )
        assert started["idTokenInfo"]["status"] == "Invalid"
    finally:
        await station.close()
    assert_server_frames_valid("2.0.1", station.transcript)
