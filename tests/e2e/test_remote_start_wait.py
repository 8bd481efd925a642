"""Remote start through the real server and the simulator (issue 10, point 5): an unknown token is refused
before anything reaches the station, and `?wait=` returns the transaction the start led to, linked by the
remote start id on both versions (2.0.1 on the wire, 1.6 by Voltline's own correlation)."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import orjson
import pytest

from tests.e2e.conftest import STATION_PASSWORD, RunningServer
from tests.support.schema_check import assert_server_frames_valid
from tests.support.waiting import eventually
from voltline.simulator import SimulatedStation

VERSIONS = ["1.6", "2.0.1"]
START_ACTION = {"1.6": "RemoteStartTransaction", "2.0.1": "RequestStartTransaction"}


def start_requests(station: SimulatedStation, version: str) -> list[dict[str, object]]:
    frames = [orjson.loads(raw) for way, raw in station.transcript if way == "in"]
    return [frame[3] for frame in frames if frame[0] == 2 and frame[2] == START_ACTION[version]]


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_unknown_token_is_refused_and_a_waited_start_returns_its_transaction(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"CP-WAIT-{version}"
    assert (await api.put(f"/api/v1/stations/{station_id}", json={"password": STATION_PASSWORD})).status_code == 201
    assert (await api.post("/api/v1/id-tokens", json={"id_token": "WAIT-TAG"})).status_code == 201
    station = SimulatedStation(server.ocpp_url, station_id, version, password=STATION_PASSWORD)
    runner = asyncio.create_task(station.run())
    try:

        async def available() -> bool:
            view = (await api.get(f"/api/v1/stations/{station_id}")).json()
            return bool(view["online"]) and [c["status"] for c in view["connectors"]] == ["Available"]

        await eventually(available)

        # A token Voltline never heard of: 422 saying so, and the station is asked nothing.
        refused = await api.post(
            f"/api/v1/stations/{station_id}/remote-start", json={"id_token": "NEVER-CREATED", "evse_id": 1}
        )
        assert refused.status_code == 422, refused.text
        assert "'NEVER-CREATED' is not registered" in refused.json()["detail"]
        assert start_requests(station, version) == []

        started = await api.post(
            f"/api/v1/stations/{station_id}/remote-start",
            params={"wait": 10},
            json={"id_token": "WAIT-TAG", "evse_id": 1},
        )
        assert started.status_code == 201, started.text
        body = started.json()
        assert body["status"] == "Accepted"
        remote_start_id = body["remote_start_id"]
        [request] = start_requests(station, version)
        if version == "2.0.1":
            assert request["remoteStartId"] == remote_start_id  # the id on the wire
        else:
            assert "remoteStartId" not in request and request["idTag"] == "WAIT-TAG"  # 1.6 has none
        tx = body["transaction"]
        assert tx is not None
        assert tx["remote_start_id"] == remote_start_id
        assert tx["id_token"] == "WAIT-TAG" and tx["evse_id"] == 1
        assert tx["station_transaction_id"] == str(station.transaction_id(1))
        assert started.headers["Location"] == f"/api/v1/transactions/{tx['id']}"

        found = await api.get(
            "/api/v1/transactions", params={"station_id": station_id, "remote_start_id": remote_start_id}
        )
        assert [t["id"] for t in found.json()] == [tx["id"]]
        assert (await api.get(f"/api/v1/transactions/{tx['id']}")).json()["remote_start_id"] == remote_start_id

        stopped = await api.post(f"/api/v1/stations/{station_id}/remote-stop", json={"transaction_id": tx["id"]})
        assert stopped.json()["status"] == "Accepted"

        async def ended() -> bool:
            return not (await api.get(f"/api/v1/transactions/{tx['id']}")).json()["active"]

        await eventually(ended)
    finally:
        await station.close()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await runner
    assert assert_server_frames_valid(version, station.transcript) >= 4
