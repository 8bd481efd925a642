"""The live station connections of this process, and when each station was last heard from."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from picows import WSCloseCode

from voltline.ocppj import RpcSession


@dataclass(slots=True, eq=False)
class StationConnection:
    station_id: str
    session: RpcSession
    websocket: Any  # gateway.connection.StationSocket; untyped so the registry stays transport-neutral
    authenticated: bool
    remote_address: str


class ConnectionRegistry:
    """The connections by station id. Also the in-process `voltline.kernel.presence.Disconnect`: it ends a
    station's connection for the CSMS (a station removed from the registry)."""

    def __init__(self) -> None:
        self._connections: dict[str, StationConnection] = {}
        self._seen: dict[str, float] = {}
        # Who waits for a station to have no connection (`disconnected`); woken by `remove`.
        self._leaving: dict[str, list[asyncio.Future[None]]] = {}

    def __len__(self) -> int:
        return len(self._connections)

    def get(self, station_id: str) -> StationConnection | None:
        return self._connections.get(station_id)

    def session(self, station_id: str) -> RpcSession | None:
        connection = self._connections.get(station_id)
        return connection.session if connection is not None else None

    def put(self, connection: StationConnection) -> StationConnection | None:
        """Register a connection; returns the one it replaced, if any."""
        previous = self._connections.get(connection.station_id)
        self._connections[connection.station_id] = connection
        return previous

    def remove(self, connection: StationConnection) -> bool:
        """Forget `connection` unless a newer one has replaced it; True when it was the current one."""
        if self._connections.get(connection.station_id) is connection:
            del self._connections[connection.station_id]
            for waiter in self._leaving.pop(connection.station_id, ()):
                if not waiter.done():
                    waiter.set_result(None)
            return True
        return False

    def disconnect(self, station_id: str, reason: str) -> bool:
        """Begin closing the station's connection with 1008 (policy violation) and `reason`: its session
        fails the calls waiting for answers (StationOffline to their callers) and refuses new ones, the
        socket takes nothing more (a message being handled finishes; its answer is dropped). The
        connection stays registered until its handler has finished, which `disconnected` waits for."""
        connection = self._connections.get(station_id)
        if connection is None:
            return False
        connection.session.close(reason)
        connection.websocket.close(WSCloseCode.POLICY_VIOLATION, reason)
        return True

    async def disconnected(self, station_id: str, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until the station has no connection (its handler finished and forgot it); False when it
        still has one after `timeout` seconds."""
        if station_id not in self._connections:
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._leaving.setdefault(station_id, []).append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter
            return True
        except TimeoutError:
            return False
        finally:
            waiters = self._leaving.get(station_id)
            if waiters is not None and waiter in waiters:
                waiters.remove(waiter)
                if not waiters:
                    del self._leaving[station_id]

    def all(self) -> list[StationConnection]:
        return list(self._connections.values())

    def station_ids(self) -> frozenset[str]:
        # A copy: the caller holds it across awaits (a query), while connections come and go.
        return frozenset(self._connections)

    def seen(self, station_id: str) -> None:
        self._seen[station_id] = time.time()

    def take_seen(self) -> dict[str, float]:
        """Last-seen times recorded since the previous call (written to storage in one batch)."""
        seen, self._seen = self._seen, {}
        return seen
