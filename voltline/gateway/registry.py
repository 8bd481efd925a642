"""The live station connections of this process, and when each station was last heard from."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from voltline.ocppj import RpcSession


@dataclass(slots=True, eq=False)
class StationConnection:
    station_id: str
    session: RpcSession
    websocket: Any  # gateway.connection.StationSocket; untyped so the registry stays transport-neutral
    authenticated: bool
    remote_address: str


class ConnectionRegistry:
    def __init__(self) -> None:
        self._connections: dict[str, StationConnection] = {}
        self._seen: dict[str, float] = {}

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
            return True
        return False

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
