"""Remote control end to end, for 1.6J and 2.0.1: every command through the API to a simulated station
over real sockets, the station's answer back, its state changed where it keeps state; offline (409),
no answer (504), requests the version cannot express (422); every frame the server sent schema-checked."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from tests.e2e.conftest import ADMIN_TOKEN, API_TIMEOUT_S, STATION_PASSWORD, RunningServer, ServerFactory
from tests.support.schema_check import assert_server_frames_valid
from tests.support.waiting import eventually
from voltline.simulator import SimulatedStation
from voltline.simulator.handlers import SIMULATOR_VENDOR_ID

VERSIONS = ["1.6", "2.0.1"]
REMOTE_ACTIONS = ("Reset", "UnlockConnector", "ChangeAvailability", "TriggerMessage", "ClearCache", "DataTransfer")


@contextlib.asynccontextmanager
async def running_station(
    server: RunningServer, api: httpx.AsyncClient, station_id: str, version: str, connectors: int = 2
) -> AsyncIterator[SimulatedStation]:
    """A registered station that booted and reported each connector; its frames are checked at the end."""
    assert (await api.put(f"/api/v1/stations/{station_id}", json={"password": STATION_PASSWORD})).status_code == 201
    station = SimulatedStation(server.ocpp_url, station_id, version, password=STATION_PASSWORD, connectors=connectors)
    runner = asyncio.create_task(station.run())

    async def ready() -> bool:
        view = (await api.get(f"/api/v1/stations/{station_id}")).json()
        return bool(view["online"]) and len(view["connectors"]) == connectors

    try:
        await eventually(ready)
        yield station
    finally:
        await station.close()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await runner
    assert_server_frames_valid(version, station.transcript)


def server_calls(station: SimulatedStation, action: str) -> list[dict[str, Any]]:
    """Payloads of the CALLs the server sent with this action."""
    frames = [orjson.loads(raw) for direction, raw in station.transcript if direction == "in"]
    return [frame[3] for frame in frames if frame[0] == 2 and frame[2] == action]


def station_calls(station: SimulatedStation, action: str) -> list[dict[str, Any]]:
    frames = [orjson.loads(raw) for direction, raw in station.transcript if direction == "out"]
    return [frame[3] for frame in frames if frame[0] == 2 and frame[2] == action]


async def connector_status(api: httpx.AsyncClient, station_id: str, evse_id: int) -> str:
    view = (await api.get(f"/api/v1/stations/{station_id}")).json()
    return next(str(c["status"]) for c in view["connectors"] if c["evse_id"] == evse_id)


@pytest.mark.parametrize("version", VERSIONS)
async def test_each_command_reaches_the_station_and_its_answer_comes_back(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"CP-RC-{version}"
    base = f"/api/v1/stations/{station_id}"
    v16 = version == "1.6"
    async with running_station(server, api, station_id, version) as station:

        async def post(command: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
            response = await api.post(f"{base}/{command}", json=body)
            assert response.status_code == 200, response.text
            answer: dict[str, Any] = response.json()
            assert answer["status"] == answer["response"]["status"]
            return answer

        # reset: the neutral kinds map onto each version's pair
        assert (await post("reset", {"type": "on_idle"}))["status"] == "Accepted"
        assert (await post("reset", {"type": "hard"}))["status"] == "Accepted"
        assert [c["type"] for c in server_calls(station, "Reset")] == (
            ["Soft", "Hard"] if v16 else ["OnIdle", "Immediate"]
        )

        # unlock
        assert (await post("unlock", {"evse_id": 1}))["status"] == "Unlocked"
        assert (await post("unlock", {"evse_id": 9}))["status"] == ("NotSupported" if v16 else "UnknownConnector")

        # availability: the station's connector goes Unavailable and back, and the server sees it
        assert (await post("availability", {"operative": False, "evse_id": 1}))["status"] == "Accepted"
        assert station.connectors[1].operative is False and station.connectors[2].operative is True
        await eventually(lambda: _status_is(api, station_id, 1, "Unavailable"))
        assert (await post("availability", {"operative": True, "evse_id": 1, "connector_id": 1}))[
            "status"
        ] == "Accepted"
        await eventually(lambda: _status_is(api, station_id, 1, "Available"))
        assert (await post("availability", {"operative": False}))["status"] == "Accepted"
        assert not any(c.operative for c in station.connectors.values())
        assert (await post("availability", {"operative": True, "evse_id": 0}))["status"] == "Accepted"
        assert all(c.operative for c in station.connectors.values())
        availability = server_calls(station, "ChangeAvailability")
        assert availability[0] == (
            {"connectorId": 1, "type": "Inoperative"}
            if v16
            else {"operationalStatus": "Inoperative", "evse": {"id": 1}}
        )

        # trigger: the station sends what was asked for; one it has not implemented says so
        heartbeats = len(station_calls(station, "Heartbeat"))
        assert (await post("trigger", {"message": "Heartbeat"}))["status"] == "Accepted"
        await eventually(lambda: _async(len(station_calls(station, "Heartbeat")) > heartbeats))
        statuses = len(station_calls(station, "StatusNotification"))
        assert (await post("trigger", {"message": "StatusNotification", "evse_id": 2}))["status"] == "Accepted"
        await eventually(lambda: _async(len(station_calls(station, "StatusNotification")) == statuses + 1))
        assert (await post("trigger", {"message": "FirmwareStatusNotification"}))["status"] == "NotImplemented"
        lacking = "TransactionEvent" if v16 else "DiagnosticsStatusNotification"
        refused = await api.post(f"{base}/trigger", json={"message": lacking})
        assert refused.status_code == 422
        assert lacking in refused.json()["detail"] and "Heartbeat" in refused.json()["detail"]

        # clear cache
        assert (await post("clear-cache"))["status"] == "Accepted"

        # data transfer: any JSON; a 1.6 station gets it as JSON text and echoes that text
        echo = await post(
            "data-transfer", {"vendor_id": SIMULATOR_VENDOR_ID, "message_id": "echo", "data": {"k": [1, "two"]}}
        )
        assert echo["status"] == "Accepted"
        assert echo["data"] == ('{"k":[1,"two"]}' if v16 else {"k": [1, "two"]})
        assert (await post("data-transfer", {"vendor_id": "com.unknown"}))["status"] == "UnknownVendorId"
        unknown_message = await post("data-transfer", {"vendor_id": SIMULATOR_VENDOR_ID, "message_id": "nope"})
        assert unknown_message["status"] == "UnknownMessageId" and unknown_message["data"] is None

        # a running transaction: resets on idle and availability changes are Scheduled
        await station.start_transaction(2, "TAG-RC")
        assert (await post("availability", {"operative": False, "evse_id": 2}))["status"] == "Scheduled"
        assert station.connectors[2].operative is True
        assert (await post("reset", {"type": "soft"}))["status"] == ("Accepted" if v16 else "Scheduled")
        if not v16:
            assert (await post("unlock", {"evse_id": 2}))["status"] == "OngoingAuthorizedTransaction"
            assert (await post("reset", {"type": "immediate", "evse_id": 1}))["status"] == "Accepted"
            assert server_calls(station, "Reset")[-1] == {"type": "Immediate", "evseId": 1}

        # what a version cannot express, and bodies that make no sense, send nothing
        sent = sum(len(server_calls(station, action)) for action in REMOTE_ACTIONS)
        cannot = [("reset", {"type": "soft", "evse_id": 1}), ("unlock", {"evse_id": 1, "connector_id": 2})]
        for command, body in cannot if v16 else []:
            response = await api.post(f"{base}/{command}", json=body)
            assert response.status_code == 422, (command, response.text)
            assert "OCPP 1.6" in response.json()["detail"]
        bad_bodies = [
            ("reset", {"type": "sideways"}),
            ("reset", {"type": "soft", "evse_id": 0}),
            ("unlock", {}),
            ("unlock", {"evse_id": 1, "connector": 1}),
            ("availability", {"evse_id": 1}),
            ("availability", {"operative": True, "connector_id": 1}),
            ("trigger", {"message": "Coffee"}),
            ("data-transfer", {"vendor_id": ""}),
            ("data-transfer", {"vendor_id": "v", "message_id": "m" * 51}),
        ]
        for command, body in bad_bodies:
            response = await api.post(f"{base}/{command}", json=body)
            assert response.status_code == 422, (command, body, response.text)
        assert sum(len(server_calls(station, action)) for action in REMOTE_ACTIONS) == sent


async def _status_is(api: httpx.AsyncClient, station_id: str, evse_id: int, status: str) -> bool:
    return await connector_status(api, station_id, evse_id) == status


async def _async(value: bool) -> bool:
    """`eventually` wants a coroutine; this wraps a condition evaluated by the caller's lambda."""
    return value


async def test_display_messages_are_set_listed_and_cleared_on_a_201_station(
    server: RunningServer, api: httpx.AsyncClient
) -> None:
    station_id = "CP-DISPLAY"
    base = f"/api/v1/stations/{station_id}/display-messages"
    async with running_station(server, api, station_id, "2.0.1") as station:
        ids = []
        for n in range(6):
            body: dict[str, Any] = {
                "priority": "InFront" if n % 2 else "NormalCycle",
                "message": {"content": f"Message {n}", "language": "en"},
            }
            if n == 0:
                body.update(
                    id=500,
                    state="Idle",
                    start="2026-12-05T00:00:00Z",
                    end="2026-12-07T00:00:00+01:00",
                    evse_id=1,
                    message={"format": "URI", "content": "https://example.com/offer"},
                )
            created = await api.post(base, json=body)
            assert created.status_code == 200, created.text
            assert created.json()["status"] == "Accepted"
            ids.append(created.json()["id"])
        assert ids[0] == 500 and len(set(ids)) == 6
        assert set(station.display_messages) == set(ids)

        listing = await api.get(base)
        assert listing.status_code == 200, listing.text
        messages = listing.json()["messages"]
        assert [m["id"] for m in messages] == sorted(ids)
        first = next(m for m in messages if m["id"] == 500)
        assert first == {
            "id": 500,
            "priority": "NormalCycle",
            "state": "Idle",
            "message": {"format": "URI", "content": "https://example.com/offer", "language": None},
            "start": "2026-12-05T00:00:00Z",
            "end": "2026-12-06T23:00:00Z",
            "transaction_id": None,
            "evse_id": 1,
        }
        # six messages came in two parts, the first marked "to be continued"
        parts = station_calls(station, "NotifyDisplayMessages")
        assert [(len(p["messageInfo"]), p["tbc"]) for p in parts] == [(4, True), (2, False)]
        assert {p["requestId"] for p in parts} == {server_calls(station, "GetDisplayMessages")[0]["requestId"]}

        in_front = (await api.get(base, params={"priority": "InFront"})).json()
        assert sorted(m["id"] for m in in_front["messages"]) == sorted(ids[1::2])
        picked = (await api.get(base, params=[("id", ids[1]), ("id", ids[2]), ("id", 7)])).json()
        assert [m["id"] for m in picked["messages"]] == sorted(ids[1:3])
        none = (await api.get(base, params={"state": "Faulted"})).json()
        assert none["status"] == "Unknown" and none["messages"] == []

        # the station's other answers come through as they are
        html = await api.post(
            base, json={"priority": "AlwaysFront", "message": {"format": "HTML", "content": "<b>x</b>"}}
        )
        assert html.json()["status"] == "NotSupportedMessageFormat"
        no_tx = await api.post(
            base, json={"priority": "AlwaysFront", "transaction_id": "no-such-tx", "message": {"content": "x"}}
        )
        assert no_tx.json()["status"] == "UnknownTransaction"

        cleared = await api.delete(f"{base}/{ids[3]}")
        assert cleared.status_code == 200 and cleared.json()["status"] == "Accepted"
        assert ids[3] not in station.display_messages
        remaining = (await api.get(base)).json()["messages"]
        assert ids[3] not in [m["id"] for m in remaining] and len(remaining) == 5
        assert (await api.delete(f"{base}/{ids[3]}")).json()["status"] == "Unknown"

        bad_bodies: list[dict[str, Any]] = [
            {"priority": "Sometimes", "message": {"content": "x"}},
            {"priority": "InFront", "message": {"content": ""}},
            {"priority": "InFront", "message": {"content": "x" * 513}},
            {"priority": "InFront", "message": {"content": "x", "language": "far-too-long"}},
            {
                "priority": "InFront",
                "message": {"content": "x"},
                "start": "2026-12-07T00:00:00Z",
                "end": "2026-12-06T00:00:00Z",
            },
            {"priority": "InFront", "message": {"content": "x"}, "id": 0},
            {"priority": "InFront", "message": {"content": "x"}, "colour": "red"},
        ]
        for body in bad_bodies:
            assert (await api.post(base, json=body)).status_code == 422, body
        assert (await api.get(base, params={"priority": "Sometimes"})).status_code == 422
        assert (await api.delete(f"{base}/-1")).status_code == 422


async def test_display_messages_are_refused_with_a_reason_on_a_16_station(
    server: RunningServer, api: httpx.AsyncClient
) -> None:
    base = "/api/v1/stations/CP-NO-DISPLAY/display-messages"
    async with running_station(server, api, "CP-NO-DISPLAY", "1.6", connectors=1) as station:
        responses = [
            await api.post(base, json={"priority": "InFront", "message": {"content": "x"}}),
            await api.get(base),
            await api.delete(f"{base}/1"),
        ]
        for response in responses:
            assert response.status_code == 422, response.text
            assert "display messages need OCPP 2.0.1" in response.json()["detail"]
        assert not [raw for direction, raw in station.transcript if direction == "in" and b"Display" in raw]


def commands_for(version: str) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    """(HTTP method, path below the station, OCPP action, body) of every remote-control command."""
    commands: list[tuple[str, str, str, dict[str, Any] | None]] = [
        ("POST", "reset", "Reset", {"type": "soft"}),
        ("POST", "unlock", "UnlockConnector", {"evse_id": 1}),
        ("POST", "availability", "ChangeAvailability", {"operative": False}),
        ("POST", "trigger", "TriggerMessage", {"message": "Heartbeat"}),
        ("POST", "clear-cache", "ClearCache", None),
        ("POST", "data-transfer", "DataTransfer", {"vendor_id": SIMULATOR_VENDOR_ID, "message_id": "echo"}),
    ]
    if version == "2.0.1":
        commands += [
            ("POST", "display-messages", "SetDisplayMessage", {"priority": "InFront", "message": {"content": "x"}}),
            ("GET", "display-messages", "GetDisplayMessages", None),
            ("DELETE", "display-messages/5", "ClearDisplayMessage", None),
        ]
    return commands


@pytest.mark.parametrize("version", VERSIONS)
async def test_offline_is_409_and_no_answer_is_504(start_server: ServerFactory, version: str) -> None:
    server: RunningServer = await start_server(call_timeout=0.4)
    async with httpx.AsyncClient(
        base_url=server.http_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=API_TIMEOUT_S
    ) as api:
        # registered, never connected
        assert (await api.put("/api/v1/stations/CP-AWAY", json={"password": STATION_PASSWORD})).status_code == 201
        for method, path, _action, body in commands_for(version):
            response = await api.request(method, f"/api/v1/stations/CP-AWAY/{path}", json=body)
            assert response.status_code == 409, (path, response.text)
            assert "not connected" in response.json()["detail"]

        station_id = f"CP-HANGS-{version}"
        async with running_station(server, api, station_id, version, connectors=1) as station:
            station.ignored_actions.update(action for _m, _p, action, _b in commands_for(version))
            for method, path, action, body in commands_for(version):
                response = await api.request(method, f"/api/v1/stations/{station_id}/{path}", json=body)
                assert response.status_code == 504, (path, response.text)
                assert action in response.json()["detail"]
            ignored = {f"{action} -> (ignored)" for _m, _p, action, _b in commands_for(version)}
            # (other commands, such as those sent after the boot, may have been answered meanwhile)
            assert ignored <= {e.detail for e in station.events if e.kind == "command"}
