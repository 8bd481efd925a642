"""The station handshake and connection rules, over real sockets."""

from __future__ import annotations

import asyncio
import base64

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.e2e.conftest import STATION_PASSWORD, RunningServer, ServerFactory
from tests.support.waiting import eventually


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def open_station(
    server: RunningServer,
    station_id: str,
    *,
    password: str | None = STATION_PASSWORD,
    user: str | None = None,
    subprotocols: list[str] | None = None,
) -> ClientConnection:
    headers = basic(user or station_id, password) if password is not None else {}
    return await connect(
        f"{server.ocpp_url}/{station_id}",
        subprotocols=subprotocols or ["ocpp1.6"],  # type: ignore[arg-type]
        additional_headers=headers,
        open_timeout=5,
    )


async def refused_status(coro: object) -> int:
    with pytest.raises(InvalidStatus) as refused:
        await coro  # type: ignore[misc]
    return refused.value.response.status_code


async def heartbeat(ws: ClientConnection, message_id: str = "hb-1") -> list[object]:
    await ws.send(orjson.dumps([2, message_id, "Heartbeat", {}]).decode())
    return list(orjson.loads(await asyncio.wait_for(ws.recv(), 5)))


async def boot16(ws: ClientConnection) -> list[object]:
    payload = {"chargePointVendor": "Acme", "chargePointModel": "X1"}
    await ws.send(orjson.dumps([2, "boot-1", "BootNotification", payload]).decode())
    return list(orjson.loads(await asyncio.wait_for(ws.recv(), 5)))


@pytest.fixture
async def registered(api: httpx.AsyncClient) -> str:
    response = await api.put("/api/v1/stations/GW-1", json={"password": STATION_PASSWORD})
    assert response.status_code == 201
    return "GW-1"


async def test_unknown_station_is_refused_with_404(server: RunningServer) -> None:
    assert await refused_status(open_station(server, "NOBODY")) == 404


@pytest.mark.parametrize("bad_id", ["a" * 49, "CP%2F1", "CP:1", "..", "CP%00", "CP%0D%0AX", "x/../CP1"])
async def test_invalid_station_ids_are_refused_at_the_handshake(server: RunningServer, bad_id: str) -> None:
    assert await refused_status(open_station(server, bad_id)) in (400, 404)


async def test_wrong_or_missing_credentials_get_401(server: RunningServer, registered: str) -> None:
    assert await refused_status(open_station(server, registered, password="wrong-password-123456")) == 401
    assert await refused_status(open_station(server, registered, password=None)) == 401
    # the username must be the station id of the URL
    assert await refused_status(open_station(server, registered, user="OTHER")) == 401


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!notbase64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Bearer abc",
        "Basic " + base64.b64encode(b"GW-1:\xff\xfe").decode(),
        "Basic " + "A" * 2000,
    ],
)
async def test_malformed_authorization_headers_get_401(server: RunningServer, registered: str, header: str) -> None:
    status = await refused_status(
        connect(
            f"{server.ocpp_url}/{registered}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers={"Authorization": header},
        )
    )
    assert status == 401


async def test_subprotocol_is_chosen_by_server_preference(server: RunningServer, registered: str) -> None:
    ws = await open_station(server, registered, subprotocols=["ocpp1.6", "ocpp2.0.1"])
    assert ws.subprotocol == "ocpp2.0.1"
    await ws.close()
    ws = await open_station(server, registered, subprotocols=["ocpp1.5", "ocpp1.6"])
    assert ws.subprotocol == "ocpp1.6"
    await ws.close()


async def test_no_agreeable_subprotocol_completes_handshake_then_closes(server: RunningServer, registered: str) -> None:
    ws = await open_station(server, registered, subprotocols=["ocpp9.9"])
    assert ws.subprotocol is None
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)
    assert ws.close_code == 1002


async def test_messages_before_an_accepted_boot_are_refused_with_security_error(
    server: RunningServer, api: httpx.AsyncClient
) -> None:
    await api.put("/api/v1/stations/GW-PENDING", json={"password": STATION_PASSWORD, "registration": "Pending"})
    ws = await open_station(server, "GW-PENDING")
    assert (await heartbeat(ws))[:3] == [4, "hb-1", "SecurityError"]
    answer = await boot16(ws)
    assert answer[2]["status"] == "Pending"  # type: ignore[index]
    assert (await heartbeat(ws, "hb-2"))[2] == "SecurityError"
    # the operator approves; Voltline asks the connected station to boot again at once, and that boot is
    # Accepted and the station served
    assert (await api.patch("/api/v1/stations/GW-PENDING", json={"registration": "Accepted"})).status_code == 200
    trigger = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
    assert trigger[0] == 2 and trigger[2] == "TriggerMessage"
    assert trigger[3] == {"requestedMessage": "BootNotification"}
    await ws.send(orjson.dumps([3, trigger[1], {"status": "Accepted"}]).decode())
    assert (await boot16(ws))[2]["status"] == "Accepted"  # type: ignore[index]
    assert (await heartbeat(ws, "hb-3"))[0] == 3
    await ws.close()


async def test_a_reconnect_after_an_accepted_boot_is_served_without_a_new_boot(
    server: RunningServer, registered: str
) -> None:
    ws = await open_station(server, registered)
    assert (await boot16(ws))[2]["status"] == "Accepted"  # type: ignore[index]
    await ws.close()
    ws = await open_station(server, registered)
    assert (await heartbeat(ws))[0] == 3
    await ws.close()


async def test_authenticated_newcomer_replaces_the_old_connection(
    server: RunningServer, api: httpx.AsyncClient, registered: str
) -> None:
    old = await open_station(server, registered)
    await boot16(old)
    new = await open_station(server, registered)
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(old.recv(), 5)
    assert old.close_reason == "replaced by a newer connection"
    assert (await heartbeat(new))[0] == 3
    # commands now go to the new connection
    call = asyncio.create_task(api.post(f"/api/v1/stations/{registered}/ocpp/ClearCache", json={}))
    frame = orjson.loads(await asyncio.wait_for(new.recv(), 5))
    assert frame[0] == 2 and frame[2] == "ClearCache"
    await new.send(orjson.dumps([3, frame[1], {"status": "Accepted"}]).decode())
    response = await call
    assert response.status_code == 200 and response.json()["payload"] == {"status": "Accepted"}
    view = (await api.get(f"/api/v1/stations/{registered}")).json()
    assert view["online"] is True
    await new.close()


async def test_unauthenticated_newcomer_never_displaces_a_live_station(
    start_server: ServerFactory,
) -> None:
    server: RunningServer = await start_server(unknown_stations="accept")
    first = await open_station(server, "LAB-1", password=None)
    assert await refused_status(open_station(server, "LAB-1", password=None)) == 409
    assert (await boot16(first))[2]["status"] == "Accepted"  # type: ignore[index]
    await first.close()


async def test_pending_policy_registers_unknown_stations_as_pending(start_server: ServerFactory) -> None:
    server: RunningServer = await start_server(unknown_stations="pending")
    ws = await open_station(server, "NEW-1", password=None)
    assert (await boot16(ws))[2]["status"] == "Pending"  # type: ignore[index]
    await ws.close()


async def test_binary_frame_closes_with_1003_and_oversize_with_1009(
    start_server: ServerFactory,
) -> None:
    server: RunningServer = await start_server(unknown_stations="accept", max_message_size=4096)
    ws = await open_station(server, "BIN-1", password=None)
    await ws.send(b"\x00\x01")
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)
    assert ws.close_code == 1003
    ws = await open_station(server, "BIG-1", password=None)
    await ws.send(orjson.dumps([2, "x", "DataTransfer", {"vendorId": "v", "data": "x" * 8000}]).decode())
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)
    assert ws.close_code == 1009


async def test_compression_is_never_negotiated_so_no_decompression_bomb_can_arrive(
    start_server: ServerFactory,
) -> None:
    server: RunningServer = await start_server(unknown_stations="accept", max_message_size=4096)
    ws = await connect(f"{server.ocpp_url}/ZIP-1", subprotocols=["ocpp1.6"], compression="deflate")  # type: ignore[list-item]
    assert ws.request is not None and "permessage-deflate" in ws.request.headers["Sec-WebSocket-Extensions"]
    assert ws.response is not None and "Sec-WebSocket-Extensions" not in ws.response.headers
    # What would inflate past the limit arrives uncompressed, so the limit applies to it as sent: 1009.
    await ws.send(orjson.dumps([2, "z", "DataTransfer", {"vendorId": "v", "data": "0" * 100_000}]).decode())
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)
    assert ws.close_code == 1009


async def test_disconnect_shows_offline_and_api_commands_get_409(
    server: RunningServer, api: httpx.AsyncClient, registered: str
) -> None:
    ws = await open_station(server, registered)
    await boot16(ws)
    await ws.close()

    async def offline() -> bool:
        return (await api.get(f"/api/v1/stations/{registered}")).json()["online"] is False

    await eventually(offline)
    response = await api.post(f"/api/v1/stations/{registered}/remote-start", json={"id_token": "T"})
    assert response.status_code == 409
    assert "not connected" in response.json()["detail"]


async def test_station_that_does_not_answer_gives_504(
    server: RunningServer, api: httpx.AsyncClient, registered: str
) -> None:
    ws = await open_station(server, registered)
    await boot16(ws)
    # check_token off: the token is unknown here, and the request must reach the (silent) station
    body = {"id_token": "T", "check_token": False}
    response = await api.post(f"/api/v1/stations/{registered}/remote-start", json=body)
    assert response.status_code == 504
    await ws.close()


async def test_raw_ocpp_call_is_validated_and_callerror_reported(
    server: RunningServer, api: httpx.AsyncClient, registered: str
) -> None:
    ws = await open_station(server, registered)
    await boot16(ws)
    invalid = await api.post(f"/api/v1/stations/{registered}/ocpp/Reset", json={"type": "Sideways"})
    assert invalid.status_code == 422
    unknown = await api.post(f"/api/v1/stations/{registered}/ocpp/Teleport", json={})
    assert unknown.status_code == 422
    call = asyncio.create_task(api.post(f"/api/v1/stations/{registered}/ocpp/Reset", json={"type": "Soft"}))
    frame = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
    assert frame[2:] == ["Reset", {"type": "Soft"}]
    await ws.send(orjson.dumps([4, frame[1], "NotSupported", "no resets here", {}]).decode())
    response = await call
    assert response.status_code == 502
    assert response.json()["error_code"] == "NotSupported"
    await ws.close()


async def test_dead_station_shows_offline_within_ping_interval_plus_timeout(
    start_server: ServerFactory,
) -> None:
    server: RunningServer = await start_server(
        unknown_stations="accept", ping_interval=0.3, ping_timeout=0.3, close_timeout=0.3
    )
    # A client that never answers pings: websockets answers pings while reading, so stop reading.
    ws = await connect(
        f"{server.ocpp_url}/SILENT-1",
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        ping_interval=None,
    )
    ws.transport.pause_reading()
    await eventually(lambda: _offline(server, "SILENT-1"), within=2)
    ws.transport.close()


async def _offline(server: RunningServer, station_id: str) -> bool:
    return not server.app.registry.get(station_id)


async def test_graceful_stop_closes_stations_with_1001_after_answering(
    start_server: ServerFactory,
) -> None:
    server: RunningServer = await start_server(unknown_stations="accept")
    ws = await open_station(server, "DRAIN-1", password=None)
    assert (await boot16(ws))[2]["status"] == "Accepted"  # type: ignore[index]
    await server.app.stop()
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)
    assert ws.close_code == 1001


async def test_no_subprotocol_header_at_all_is_refused_with_400(server: RunningServer, registered: str) -> None:
    status = await refused_status(
        connect(f"{server.ocpp_url}/{registered}", additional_headers=basic(registered, STATION_PASSWORD))
    )
    assert status == 400


async def test_racing_unauthenticated_handshakes_never_displace_each_other(start_server: ServerFactory) -> None:
    server: RunningServer = await start_server(unknown_stations="accept")
    attempts = await asyncio.gather(
        *(open_station(server, "RACE-1", password=None) for _ in range(20)), return_exceptions=True
    )
    opened = [ws for ws in attempts if isinstance(ws, ClientConnection)]
    refused = [exc for exc in attempts if isinstance(exc, InvalidStatus)]
    assert opened and len(opened) + len(refused) == 20
    await asyncio.sleep(0.3)
    survivors = []
    for ws in opened:
        try:
            await asyncio.wait_for(ws.recv(), 0.05)
        except TimeoutError:
            survivors.append(ws)  # still open: nothing to read
        except ConnectionClosed:
            assert ws.close_code == 1008
    assert len(survivors) == 1  # exactly one connection holds the station; no chain of replacements
    assert server.app.registry.get("RACE-1") is not None
    assert (await boot16(survivors[0]))[2]["status"] == "Accepted"  # type: ignore[index]
    for ws in opened:
        await ws.close()


async def test_unauthenticated_reconnect_after_an_abrupt_drop_is_accepted(start_server: ServerFactory) -> None:
    server: RunningServer = await start_server(unknown_stations="accept")
    first = await open_station(server, "DROP-1", password=None)
    await boot16(first)
    first.transport.abort()  # no close handshake, as a station losing power

    async def reconnected() -> ClientConnection | None:
        try:
            return await open_station(server, "DROP-1", password=None)
        except InvalidStatus:
            return None

    second = await eventually(reconnected, within=2)
    assert (await heartbeat(second))[0] == 3
    await second.close()
