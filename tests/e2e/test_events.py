"""GET /api/v1/events end to end: an SSE client follows simulated 1.6J and 2.0.1 stations over real sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ADMIN_TOKEN, STATION_PASSWORD, RunningServer, ServerFactory
from tests.support.schema_check import assert_server_frames_valid
from voltline.simulator import SimulatedStation

VERSIONS = ["1.6", "2.0.1"]
CHARGING_SESSION = ["connected", "boot", "status", "transaction.started", "meter_values", "transaction.ended"]


@dataclass
class SseEvent:
    event: str | None = None
    id: str | None = None
    data: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads("\n".join(self.data))
        return parsed


class SseReader:
    """A minimal text/event-stream parser (the WHATWG rules Voltline's stream needs)."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines: AsyncIterator[str] = response.aiter_lines()

    async def next(self, within: float = 10.0) -> SseEvent | None:
        """The next event or comment block; None at the end of the stream."""
        block = SseEvent()
        async with asyncio.timeout(within):
            async for line in self._lines:
                if line == "":
                    if block.event or block.data or block.comments or block.id:
                        return block
                    continue
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "":
                    block.comments.append(value)
                elif name == "event":
                    block.event = value
                elif name == "id":
                    block.id = value
                elif name == "data":
                    block.data.append(value)
        return None

    async def events_until(self, kind: str, station_id: str, within: float = 15.0) -> list[SseEvent]:
        """Events (comments skipped) up to and including the first `kind` event of `station_id`."""
        seen: list[SseEvent] = []
        async with asyncio.timeout(within):
            while (block := await self.next(within)) is not None:
                if block.event is None:
                    continue
                seen.append(block)
                if block.event == kind and block.json()["station_id"] == station_id:
                    return seen
        raise AssertionError(f"stream ended before {kind} of {station_id}; saw {[b.event for b in seen]}")


def events_client(server: RunningServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.http_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=httpx.Timeout(30)
    )


async def listening(response: httpx.Response) -> SseReader:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    reader = SseReader(response)
    first = await reader.next()
    assert first is not None and first.comments == ["listening"]  # from here on, nothing is missed
    return reader


def is_subsequence(wanted: list[str], seen: list[str]) -> bool:
    remaining = iter(seen)
    return all(kind in remaining for kind in wanted)


async def register(api: httpx.AsyncClient, station_id: str) -> None:
    response = await api.put(f"/api/v1/stations/{station_id}", json={"password": STATION_PASSWORD})
    assert response.status_code == 201, response.text


async def charge(server: RunningServer, station_id: str, version: str) -> SimulatedStation:
    """Connect, boot, report Available, charge with two meter readings, stop, disconnect."""
    station = SimulatedStation(
        server.ocpp_url, station_id, version, password=STATION_PASSWORD, meter_interval=60, time_scale=600
    )
    await station.connect()
    try:
        assert (await station.boot())["status"] == "Accepted"
        await station.send_status(1, "Available")
        await station.start_transaction(1, "TAG-SSE")
        for _ in range(2):
            await asyncio.sleep(0.05)
            await station.send_meter_values(1)
        await station.stop_transaction(1)
    finally:
        await station.close()
    return station


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_sse_client_sees_a_charging_session_in_order_and_only_its_station(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    watched, other = f"CP-SSE-{version}", f"CP-SSE-OTHER-{version}"
    for station_id in (watched, other):
        await register(api, station_id)
    await api.post("/api/v1/id-tokens", json={"id_token": "TAG-SSE"})

    async with (
        events_client(server) as client,
        client.stream("GET", "/api/v1/events", params={"station": watched}) as response,
        client.stream("GET", "/api/v1/events", params={"kind": "transaction"}) as transactions_only,
    ):
        reader = await listening(response)
        transaction_reader = await listening(transactions_only)
        other_station, station = await asyncio.gather(charge(server, other, version), charge(server, watched, version))
        events = await reader.events_until("disconnected", watched)
        transaction_events = await transaction_reader.events_until("transaction.ended", watched)

    kinds = [e.event or "" for e in events]
    assert is_subsequence([*CHARGING_SESSION, "disconnected"], kinds), kinds
    payloads = [e.json() for e in events]
    assert {p["station_id"] for p in payloads} == {watched}  # the other station's events are filtered out
    assert all(p["dropped"] == 0 for p in payloads)
    ids = [int(e.id or 0) for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)

    by_kind: dict[str | None, dict[str, Any]] = {}
    for event, payload in zip(events, payloads, strict=True):
        by_kind.setdefault(event.event, payload["data"])  # the first of each kind
    assert by_kind["connected"]["ocpp_version"] == f"ocpp{version}"
    assert by_kind["boot"]["answer"] == "Accepted" and by_kind["boot"]["model"] == "SimCP"
    assert by_kind["status"]["status"] == "Available" and by_kind["status"]["evse_id"] == 1
    started, ended = by_kind["transaction.started"], by_kind["transaction.ended"]
    assert started["station_transaction_id"] == str(station.transaction_id(1) or ended["station_transaction_id"])
    assert ended["transaction_id"] == started["transaction_id"]
    assert ended["energy_wh"] == pytest.approx(station.energy_wh(1) - started["meter_start_wh"])
    registers = [
        sample["value"]
        for p in payloads
        if p["data"].get("values")
        for sample in p["data"]["values"]
        if sample["measurand"] == "Energy.Active.Import.Register"
    ]
    assert len(registers) >= 2 and registers == sorted(registers)
    detail = (await api.get(f"/api/v1/transactions/{ended['transaction_id']}")).json()
    assert detail["active"] is False  # the event came after the data was stored

    transaction_kinds = [e.event for e in transaction_events]
    assert set(transaction_kinds) <= {"transaction.started", "transaction.updated", "transaction.ended"}
    both = {e.json()["station_id"] for e in transaction_events}
    assert watched in both
    assert_server_frames_valid(version, station.transcript)
    assert_server_frames_valid(version, other_station.transcript)


async def test_event_streams_end_when_the_server_stops(start_server: ServerFactory) -> None:
    server: RunningServer = await start_server()
    async with events_client(server) as client, client.stream("GET", "/api/v1/events") as response:
        reader = await listening(response)
        stopping = asyncio.create_task(server.app.stop())
        assert await reader.next(within=10) is None  # the stream ends cleanly
        await asyncio.wait_for(stopping, 10)  # and uvicorn does not wait for it forever


async def test_filters_are_validated(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/events", params={"kind": "Not A Kind"})
    assert response.status_code == 422
    response = await api.get("/api/v1/events", params={"station": "a:b"})
    assert response.status_code == 422
