"""The OCPP message log end to end: every frame in and out of a simulated station, queried through the API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ADMIN_TOKEN, API_TIMEOUT_S, STATION_PASSWORD, RunningServer, ServerFactory
from tests.support.schema_check import assert_server_frames_valid
from tests.support.waiting import eventually
from tests.support.wiring import open_storage
from voltline.areas.message_log.model import MessageLogQuery
from voltline.areas.message_log.ports import MESSAGE_LOG
from voltline.areas.message_log.service import MessageLog
from voltline.simulator import SimulatedStation
from voltline.storage.sql.message_store import default_message_log_url

VERSIONS = ["1.6", "2.0.1"]


async def register(api: httpx.AsyncClient, station_id: str) -> None:
    response = await api.put(f"/api/v1/stations/{station_id}", json={"password": STATION_PASSWORD})
    assert response.status_code == 201, response.text


async def a_short_life(
    server: RunningServer, api: httpx.AsyncClient, station_id: str, version: str
) -> SimulatedStation:
    """Boot, heartbeat, status, a remote command answered, and a request the server cannot handle."""
    station = SimulatedStation(server.ocpp_url, station_id, version, password=STATION_PASSWORD)
    await station.connect()
    try:
        await station.boot()
        await station.heartbeat()
        await station.send_status(1, "Available")
        command = await api.post(f"/api/v1/stations/{station_id}/ocpp/ClearCache", json={})
        assert command.status_code == 200, command.text
        await station._send(b'[2,"bad-1","Teleport",{}]')  # an unknown action: answered with a CALLERROR

        async def answered() -> bool:
            return any(direction == "in" and b'"bad-1"' in raw for direction, raw in station.transcript)

        await eventually(answered)
    finally:
        await station.close()
    return station


async def all_messages(api: httpx.AsyncClient, station_id: str, **params: Any) -> list[dict[str, Any]]:
    """Every logged frame, oldest first, fetched page by page."""
    frames: list[dict[str, Any]] = []
    query: dict[str, Any] = {"order": "asc", "limit": 3, **params}
    while True:
        response = await api.get(f"/api/v1/stations/{station_id}/messages", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        frames += page["items"]
        if page["next_cursor"] is None:
            return frames
        query["cursor"] = page["next_cursor"]


@pytest.mark.parametrize("version", VERSIONS)
async def test_every_frame_in_and_out_is_logged_with_its_direction_type_and_action(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"CP-LOG-{version}"
    await register(api, station_id)
    station = await a_short_life(server, api, station_id, version)
    # The station's transcript, seen from the server: what the station sent came in.
    expected = [("in" if direction == "out" else "out", raw.decode()) for direction, raw in station.transcript]

    async def logged() -> list[dict[str, Any]] | None:
        frames = await all_messages(api, station_id)
        return frames if len(frames) >= len(expected) else None

    frames = await eventually(logged)
    # Each direction in its own order (the two directions interleave differently as each side sees them).
    for direction in ("in", "out"):
        assert [f["frame"] for f in frames if f["direction"] == direction] == [
            raw for d, raw in expected if d == direction
        ]
    assert len(frames) == len(expected)
    assert not any(f["truncated"] for f in frames)

    def answer_to(call: dict[str, Any]) -> dict[str, Any]:
        (answer,) = [f for f in frames if f["message_id"] == call["message_id"] and f["direction"] != call["direction"]]
        return answer

    for direction, action, answer_type in [
        ("in", "BootNotification", "CALLRESULT"),
        ("in", "Heartbeat", "CALLRESULT"),
        ("in", "StatusNotification", "CALLRESULT"),
        ("out", "ClearCache", "CALLRESULT"),
        ("in", "Teleport", "CALLERROR"),
    ]:
        (call,) = [f for f in frames if f["action"] == action and f["message_type"] == "CALL"]
        assert call["direction"] == direction
        answer = answer_to(call)
        assert (answer["message_type"], answer["action"]) == (answer_type, action)
        assert answer["id"] > call["id"]

    newest_first = (await api.get(f"/api/v1/stations/{station_id}/messages")).json()
    assert [f["id"] for f in newest_first["items"]] == [f["id"] for f in reversed(frames)]
    assert newest_first["capture"] is True and newest_first["dropped"] == 0

    heartbeats = await all_messages(api, station_id, action="Heartbeat")
    assert [(f["direction"], f["message_type"]) for f in heartbeats] == [("in", "CALL"), ("out", "CALLRESULT")]
    sent = await all_messages(api, station_id, direction="out", message_type="CALL")
    assert {f["action"] for f in sent} >= {"ClearCache"}
    assert all(f["direction"] == "out" and f["message_type"] == "CALL" for f in sent)
    middle = frames[len(frames) // 2]["at"]
    later = await all_messages(api, station_id, since=middle)
    earlier = await all_messages(api, station_id, until=middle)
    assert [f["id"] for f in earlier + later] == [f["id"] for f in frames]
    assert_server_frames_valid(version, station.transcript)


async def test_bad_queries_are_refused(api: httpx.AsyncClient) -> None:
    await register(api, "CP-LOG-Q")
    base = "/api/v1/stations/CP-LOG-Q/messages"
    assert (await api.get("/api/v1/stations/CP-NOBODY/messages")).status_code == 404
    for params in [{"limit": 0}, {"limit": 1001}, {"direction": "sideways"}, {"message_type": "CALLME"}]:
        assert (await api.get(base, params=params)).status_code == 422, params
    for cursor in ["garbage!", "bm90IGEgY3Vyc29y", "MjAyNi0wMS0wMVQwMDowMDowMHwxMDAwMDAwMDAwMDAwMDAwMDAwMDAw"]:
        response = await api.get(base, params={"cursor": cursor})
        assert response.status_code == 422, (cursor, response.text)


async def test_with_the_message_log_off_nothing_is_stored(start_server: ServerFactory) -> None:
    server: RunningServer = await start_server(message_log=False)
    async with httpx.AsyncClient(
        base_url=server.http_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=API_TIMEOUT_S
    ) as api:
        await register(api, "CP-LOG-OFF")
        station = await a_short_life(server, api, "CP-LOG-OFF", "2.0.1")
        page = (await api.get("/api/v1/stations/CP-LOG-OFF/messages")).json()
        assert page["capture"] is False and page["items"] == [] and page["queued"] == 0
    assert server.app.services is not None and server.app.services[MessageLog].queued == 0
    assert_server_frames_valid("2.0.1", station.transcript)


async def test_frames_still_queued_are_written_on_a_graceful_stop(start_server: ServerFactory, tmp_path: Any) -> None:
    server: RunningServer = await start_server()
    async with httpx.AsyncClient(
        base_url=server.http_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=API_TIMEOUT_S
    ) as api:
        await register(api, "CP-LOG-STOP")
    station = SimulatedStation(server.ocpp_url, "CP-LOG-STOP", "1.6", password=STATION_PASSWORD)
    await station.connect()
    await station.boot()
    await station.heartbeat()
    await server.app.stop()  # at once: the frames are still queued
    await station.close()

    restarted: RunningServer = await start_server()
    async with httpx.AsyncClient(
        base_url=restarted.http_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=API_TIMEOUT_S
    ) as api:
        frames = await all_messages(api, "CP-LOG-STOP")
    assert [(f["direction"], f["action"]) for f in frames][:4] == [
        ("in", "BootNotification"),
        ("out", "BootNotification"),
        ("in", "Heartbeat"),
        ("out", "Heartbeat"),
    ]


async def test_on_sqlite_frames_go_to_a_file_of_their_own_and_stations_to_the_main_one(
    start_server: ServerFactory, tmp_path: Any
) -> None:
    server: RunningServer = await start_server()
    async with httpx.AsyncClient(base_url=server.http_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as api:
        await register(api, "CP-FILES")
        await a_short_life(server, api, "CP-FILES", "1.6")
    await server.app.stop()  # writes what is still queued

    async def frames_in(url: str) -> int:
        storage = await open_storage(url)
        try:
            page = await storage.read(
                lambda uow: uow[MESSAGE_LOG].page(MessageLogQuery(station_id="CP-FILES", limit=1000))
            )
        finally:
            await storage.close()
        return len(page)

    main = server.app.settings.database_url
    sibling = default_message_log_url(main)
    assert sibling.endswith("voltline.messages.db")
    assert await frames_in(sibling) >= 8  # boot, heartbeat, status, the command, the unknown action: in and out
    assert await frames_in(main) == 0  # station data never shares a commit with diagnostics


async def test_a_credential_sent_to_a_station_is_not_readable_in_the_log(
    server: RunningServer, api: httpx.AsyncClient
) -> None:
    await register(api, "CP-SECRET")
    station = SimulatedStation(server.ocpp_url, "CP-SECRET", "1.6", password=STATION_PASSWORD)
    await station.connect()
    try:
        await station.boot()
        sent = await api.post(
            "/api/v1/stations/CP-SECRET/ocpp/ChangeConfiguration",
            json={"key": "AuthorizationKey", "value": "00112233445566778899aabbccddeeff"},
        )
        assert sent.status_code == 200, sent.text
    finally:
        await station.close()

    async def logged() -> list[dict[str, Any]] | None:
        frames = await all_messages(api, "CP-SECRET", action="ChangeConfiguration")
        return frames if len(frames) == 2 else None

    frames = await eventually(logged)
    assert all("00112233445566778899aabbccddeeff" not in f["frame"] for f in frames)
    assert '"key":"AuthorizationKey"' in frames[0]["frame"]  # what was changed stays visible
    audit = (await api.get("/api/v1/audit", params={"target": "CP-SECRET"})).json()
    assert audit and all("00112233445566778899aabbccddeeff" not in str(entry) for entry in audit)
