"""Handshake abuse limits over real sockets: failed-authentication throttling (issue 5, item 16),
slowloris handshakes and the per-address cap on pending handshakes (item 19)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.e2e.conftest import ADMIN_TOKEN, API_TIMEOUT_S, STATION_PASSWORD, RunningServer, ServerFactory
from tests.e2e.test_gateway import basic, boot16, heartbeat

OTHER_ADDRESS = "127.0.0.2"  # the whole 127/8 is loopback on Linux: a second client address


@pytest.fixture
def limited(start_server: ServerFactory) -> Callable[..., Any]:
    """Start a server with gateway limits lowered through its settings."""

    async def start(**limits: Any) -> RunningServer:
        running: RunningServer = await start_server(**limits)
        return running

    return start


async def register(server: RunningServer, station_id: str) -> None:
    async with httpx.AsyncClient(
        base_url=server.http_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=API_TIMEOUT_S
    ) as api:
        response = await api.put(f"/api/v1/stations/{station_id}", json={"password": STATION_PASSWORD})
        assert response.status_code == 201


async def open_from(
    server: RunningServer, station_id: str, password: str, address: str = "127.0.0.1"
) -> ClientConnection:
    return await connect(
        f"{server.ocpp_url}/{station_id}",
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers=basic(station_id, password),
        open_timeout=5,
        local_addr=(address, 0),
    )


async def refusal(server: RunningServer, station_id: str, password: str, address: str = "127.0.0.1") -> InvalidStatus:
    with pytest.raises(InvalidStatus) as refused:
        await open_from(server, station_id, password, address)
    return refused.value


def ocpp_endpoint(server: RunningServer) -> tuple[str, int]:
    parts = urlsplit(server.ocpp_url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


SLOWLORIS_HANDSHAKES = 5_000


async def stalled_handshake(
    server: RunningServer, address: str = "127.0.0.1"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A TCP connection that sends part of a request head, then nothing more (slowloris)."""
    host, port = ocpp_endpoint(server)
    reader, writer = await asyncio.open_connection(host, port, local_addr=(address, 0))
    writer.write(b"GET /ocpp/SLOW HTTP/1.1\r\nHost: x\r\n")
    await writer.drain()
    return reader, writer


async def abandoned_connection(server: RunningServer) -> None:
    """A connection attempt that goes away at once (a flood of them)."""
    host, port = ocpp_endpoint(server)
    _, writer = await asyncio.open_connection(host, port)
    writer.close()


async def closed_by_server(reader: asyncio.StreamReader, within: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(), within) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


async def test_wrong_passwords_are_throttled_and_the_real_station_still_connects(
    limited: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    server: RunningServer = await limited(auth_failures_per_minute=5)
    await register(server, "LIM-1")
    caplog.set_level(logging.WARNING, logger="voltline.gateway")
    for _ in range(5):
        assert (await refusal(server, "LIM-1", "wrong-password-123456")).response.status_code == 401
    throttled = await refusal(server, "LIM-1", "wrong-password-123456")
    assert throttled.response.status_code == 429
    assert 1 <= int(throttled.response.headers["Retry-After"]) <= 120
    # a flood from that address keeps getting 429, unheard
    for _ in range(100):
        assert (await refusal(server, "LIM-1", "wrong-password-123456")).response.status_code == 429
    # while throttled, even the right password from that address is refused before any check...
    assert (await refusal(server, "LIM-1", STATION_PASSWORD)).response.status_code == 429
    # ...but the real station, from another address, connects and is served
    ws = await open_from(server, "LIM-1", STATION_PASSWORD, OTHER_ADDRESS)
    assert (await boot16(ws))[2]["status"] == "Accepted"  # type: ignore[index]
    assert (await heartbeat(ws))[0] == 3
    await ws.close()
    # a security event, once per key (the address, the station id), not once per attempt
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("security event:")]
    assert len([line for line in lines if "auth-failures-address" in line]) == 1, lines
    assert "127.0.0.1" in lines[0] and "LIM-1" in lines[0] and "count 5" in lines[0]
    assert server.app.gateway is not None
    kinds = [event.kind for event in server.app.gateway.security_events]
    assert kinds.count("auth-failures-address") == 1


async def test_slowloris_handshakes_time_out_while_connected_stations_are_served(
    limited: Callable[..., Any],
) -> None:
    server: RunningServer = await limited(handshake_timeout=1.0)
    await register(server, "LIM-2")
    ws = await open_from(server, "LIM-2", STATION_PASSWORD)
    assert (await boot16(ws))[2]["status"] == "Accepted"  # type: ignore[index]
    loop = asyncio.get_running_loop()
    started = loop.time()
    round_trips: list[float] = []
    done = asyncio.Event()

    async def keep_beating() -> None:  # the connected station, served all along
        n = 0
        while not done.is_set():
            n += 1
            began = loop.time()
            assert (await heartbeat(ws, f"hb-{n}"))[0] == 3
            round_trips.append(loop.time() - began)
            await asyncio.sleep(0.1)

    async def attack() -> list[bool]:
        stalled: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        for _ in range(SLOWLORIS_HANDSHAKES // 500):  # 5,000 trickling handshakes, opened 500 at a time
            stalled += await asyncio.gather(*(stalled_handshake(server) for _ in range(500)))
        flood = asyncio.gather(*(abandoned_connection(server) for _ in range(2_000)))  # and a flood of attempts
        closed = await asyncio.gather(*(closed_by_server(reader, 10.0) for reader, _ in stalled))
        await flood
        for _, writer in stalled:  # closed in the loop that owns them
            writer.close()
        return closed

    beating = asyncio.create_task(keep_beating())
    # The attacker has its own thread and event loop, as a real one is another machine: opening 5,000 sockets
    # in the server's loop measured the test's own client bursts, not the server (a 4.3 s first beat in CI).
    closed = await asyncio.to_thread(asyncio.run, attack())
    done.set()
    await beating
    assert all(closed)  # every trickling handshake was cut off by the handshake timeout
    assert loop.time() - started < 15.0
    assert len(round_trips) >= 5 and max(round_trips) < 2.0  # served throughout, never held up for long
    assert (await heartbeat(ws, "hb-after"))[0] == 3
    await ws.close()


async def test_pending_handshakes_per_address_are_capped(
    limited: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    server: RunningServer = await limited(max_pending_handshakes_per_address=20, handshake_timeout=10.0)
    await register(server, "LIM-3")
    caplog.set_level(logging.WARNING, logger="voltline.gateway")
    stalled = [await stalled_handshake(server) for _ in range(20)]
    await asyncio.sleep(0.1)
    # beyond the cap: closed at once
    for _ in range(30):
        reader, writer = await stalled_handshake(server)
        assert await closed_by_server(reader, 2.0)
        writer.close()
    # the stalled ones within the cap are still waiting (their timeout is 10 s)
    assert not any([await closed_by_server(reader, 0.05) for reader, _ in stalled[:3]])
    # another address is not affected
    ws = await open_from(server, "LIM-3", STATION_PASSWORD, OTHER_ADDRESS)
    assert (await boot16(ws))[2]["status"] == "Accepted"  # type: ignore[index]
    # once the stalled handshakes go away, the address is served again
    for _, writer in stalled:
        writer.close()
    await asyncio.sleep(0.2)
    await ws.close()
    again = await open_from(server, "LIM-3", STATION_PASSWORD)
    assert (await heartbeat(again))[0] == 3
    await again.close()
    lines = [r.getMessage() for r in caplog.records if "pending-handshakes-cap" in r.getMessage()]
    assert len(lines) == 1, lines
