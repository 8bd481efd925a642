"""The connection registry as the kernel's `Disconnect`: ending a removed station's connection."""

from __future__ import annotations

import asyncio
from typing import cast

from picows import WSCloseCode

from voltline.gateway.registry import ConnectionRegistry, StationConnection
from voltline.kernel.presence import Disconnect
from voltline.ocppj import RpcSession


class FakeSession:
    def __init__(self) -> None:
        self.closed: str | None = None

    def close(self, reason: str = "connection closed") -> None:
        self.closed = reason


class FakeSocket:
    def __init__(self) -> None:
        self.closes: list[tuple[WSCloseCode, str]] = []

    def close(self, code: WSCloseCode, reason: str = "") -> None:
        self.closes.append((code, reason))


def connection(station_id: str) -> tuple[StationConnection, FakeSession, FakeSocket]:
    session, socket = FakeSession(), FakeSocket()
    return StationConnection(station_id, cast(RpcSession, session), socket, True, "127.0.0.1"), session, socket


def test_the_registry_is_the_kernels_disconnect() -> None:
    registry: Disconnect = ConnectionRegistry()
    assert registry.disconnect("CP-NONE", "gone") is False


async def test_disconnect_closes_session_and_socket_with_1008_and_keeps_it_until_its_handler_ends() -> None:
    registry = ConnectionRegistry()
    current, session, socket = connection("CP-1")
    other, other_session, other_socket = connection("CP-2")
    registry.put(current)
    registry.put(other)

    assert registry.disconnect("CP-1", "station removed from the CSMS") is True

    assert session.closed == "station removed from the CSMS"  # calls waiting for answers fail at once
    assert socket.closes == [(WSCloseCode.POLICY_VIOLATION, "station removed from the CSMS")]
    assert socket.closes[0][0].value == 1008
    # Still registered: the gateway forgets it once its handler has finished the message it was handling.
    assert registry.get("CP-1") is current
    assert (other_session.closed, other_socket.closes) == (None, [])


async def test_disconnected_returns_once_the_connection_is_forgotten() -> None:
    registry = ConnectionRegistry()
    current, _, _ = connection("CP-1")
    registry.put(current)
    registry.disconnect("CP-1", "removed")

    waiting = asyncio.create_task(registry.disconnected("CP-1", timeout=5))
    await asyncio.sleep(0.01)
    assert not waiting.done()

    assert registry.remove(current) is True
    assert await waiting is True
    assert registry._leaving == {}


async def test_disconnected_is_true_at_once_for_a_station_without_a_connection() -> None:
    registry = ConnectionRegistry()
    assert await asyncio.wait_for(registry.disconnected("CP-NONE", timeout=5), 1) is True


async def test_disconnected_gives_up_after_its_timeout() -> None:
    registry = ConnectionRegistry()
    current, _, _ = connection("CP-1")
    registry.put(current)

    assert await registry.disconnected("CP-1", timeout=0.05) is False
    assert registry._leaving == {}  # nothing kept for a waiter that gave up
    assert registry.get("CP-1") is current


async def test_a_replaced_connection_ending_does_not_end_the_wait() -> None:
    """The wait is for the station to have no connection: the old one of a replacement going away is not it."""
    registry = ConnectionRegistry()
    old, _, _ = connection("CP-1")
    new, _, _ = connection("CP-1")
    registry.put(old)
    waiting = asyncio.create_task(registry.disconnected("CP-1", timeout=5))
    await asyncio.sleep(0)
    registry.put(new)

    assert registry.remove(old) is False
    await asyncio.sleep(0.01)
    assert not waiting.done()

    registry.remove(new)
    assert await waiting is True
