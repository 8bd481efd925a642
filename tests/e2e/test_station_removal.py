"""Removing a connected station ends its connection, through the real server and the simulator (issue 10,
point 6): the station sees close 1008, its reconnection is refused like any unknown id (or registered anew
when the unknown-station policy says so), and its transactions stay for history."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest

from tests.e2e.conftest import ADMIN_TOKEN, API_TIMEOUT_S, STATION_PASSWORD, RunningServer, ServerFactory
from tests.support.schema_check import assert_server_frames_valid
from tests.support.waiting import eventually
from voltline.areas.stations.service import REMOVED_REASON
from voltline.simulator import SimulatedStation
from voltline.simulator.station import StationRefused

VERSIONS = ["1.6", "2.0.1"]


def server_errors(station: SimulatedStation) -> list[str]:
    """The error codes of every CALLERROR the server sent the station."""
    frames = [orjson.loads(raw) for way, raw in station.transcript if way == "in"]
    return [frame[2] for frame in frames if frame[0] == 4]


def disconnections(station: SimulatedStation) -> list[str]:
    return [event.detail for event in station.events if event.kind == "disconnected"]


async def charging_station(
    api: httpx.AsyncClient, server: RunningServer, station_id: str, version: str
) -> SimulatedStation:
    """A registered station, connected, booted, with a transaction under way and a meter reading stored."""
    response = await api.put(f"/api/v1/stations/{station_id}", json={"password": STATION_PASSWORD})
    assert response.status_code == 201, response.text
    token = await api.post("/api/v1/id-tokens", json={"id_token": f"TAG-{station_id}", "type": "ISO14443"})
    assert token.status_code == 201, token.text
    station = SimulatedStation(
        server.ocpp_url, station_id, version, password=STATION_PASSWORD, meter_interval=60, time_scale=600
    )
    await station.connect()
    assert (await station.boot())["status"] == "Accepted"
    await station.send_status(1, "Available")
    await station.start_transaction(1, f"TAG-{station_id}")
    await asyncio.sleep(0.05)
    await station.send_meter_values(1)
    return station


@pytest.mark.parametrize("version", VERSIONS)
async def test_removing_a_connected_station_closes_its_connection_and_keeps_its_history(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"CP-REMOVE-{version}"
    station = await charging_station(api, server, station_id, version)
    try:
        before = (await api.get("/api/v1/transactions", params={"station_id": station_id})).json()
        assert [tx["active"] for tx in before] == [True]

        # A status on its way as the removal begins: whichever comes first, it is answered or dropped,
        # never failed with an InternalError (a foreign key to the station that is gone).
        racing = asyncio.create_task(station.send_status(1, "Charging"))
        response = await api.delete(f"/api/v1/stations/{station_id}")
        assert response.status_code == 204, response.text
        await asyncio.gather(racing, return_exceptions=True)

        # The DELETE returns once the connection has ended: the station heard close 1008, with the reason.
        await eventually(lambda: asyncio.sleep(0, not station.connected), within=3)
        assert disconnections(station) == [f"code 1008 {REMOVED_REASON}"]
        assert "InternalError" not in server_errors(station)

        assert (await api.get(f"/api/v1/stations/{station_id}")).status_code == 404
        listed = (await api.get("/api/v1/stations", params={"online": "true"})).json()
        assert station_id not in [item["id"] for item in listed["items"]]
        remote_start = await api.post(
            f"/api/v1/stations/{station_id}/remote-start", json={"id_token": f"TAG-{station_id}", "evse_id": 1}
        )
        assert remote_start.status_code in (404, 409), remote_start.text

        # Reconnecting is refused as for an id nobody registered (404: the simulator gives up).
        with pytest.raises(StationRefused, match="HTTP 404"):
            await station.connect()
    finally:
        await station.close()

    # What the station did stays: its transaction (still open, as it was) and its meter values.
    after = (await api.get("/api/v1/transactions", params={"station_id": station_id})).json()
    assert [tx["id"] for tx in after] == [tx["id"] for tx in before]
    detail = (await api.get(f"/api/v1/transactions/{after[0]['id']}")).json()
    assert detail["active"] is True
    assert detail["meter_values"]
    assert_server_frames_valid(version, station.transcript)


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_removed_station_is_registered_anew_when_the_policy_admits_unknown_ones(
    start_server: ServerFactory, version: str
) -> None:
    server: RunningServer = await start_server(unknown_stations="pending")
    async with httpx.AsyncClient(
        base_url=server.http_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=API_TIMEOUT_S
    ) as api:
        station_id = f"CP-RENEW-{version}"
        station = await charging_station(api, server, station_id, version)
        try:
            assert (await api.delete(f"/api/v1/stations/{station_id}")).status_code == 204
            await eventually(lambda: asyncio.sleep(0, not station.connected), within=3)
            assert disconnections(station) == [f"code 1008 {REMOVED_REASON}"]

            # An unknown id to the CSMS now: registered as Pending, without the password it had.
            await station.connect()
            assert (await station.boot())["status"] == "Pending"
            view = (await api.get(f"/api/v1/stations/{station_id}")).json()
            assert (view["registration"], view["has_password"], view["online"]) == ("Pending", False, True)
        finally:
            await station.close()
        assert len((await api.get("/api/v1/transactions", params={"station_id": station_id})).json()) == 1
