"""Presence: which stations are connected, and on which OCPP version.

One process answers from its own live connections (`voltline.protocol.outbound.SessionPresence`, over the
gateway's connection registry). Several nodes will answer from a shared view that each node keeps as a
local replica (connects and disconnects broadcast by the node holding the socket), which is why the reads
stay synchronous: they sit on hot paths (every background update asks first) and must not cost a round
trip.

`Disconnect` is the other direction: ending a station's connection (a station removed from the registry).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from voltline.kernel.versions import OcppVersion


class Presence(Protocol):
    def is_online(self, station_id: str) -> bool: ...

    def version_of(self, station_id: str) -> OcppVersion | None:
        """The version the station is connected with; None when it is not connected."""
        ...

    def online_ids(self) -> Collection[str]:
        """Every station connected now, as a snapshot (it does not change under the caller). For lists
        that filter by presence in one query instead of asking `is_online` row by row."""
        ...


class Disconnect(Protocol):
    """Ends the connection of a station the CSMS no longer serves (one removed from the registry).

    Implemented by whoever holds the sockets: in one process the gateway's connection registry, which
    closes with 1008 (policy violation) and `reason`; several nodes will forward it to the node holding the
    station's socket. The stations area declares the need; the gateway hands it its registry.
    """

    def disconnect(self, station_id: str, reason: str) -> bool:
        """Begin closing the station's connection: calls waiting for its answers fail at once (the station
        is offline for them), messages it sent but not yet handled are dropped. False when it is not
        connected. Synchronous and cheap, for after-commit subscribers."""
        ...

    async def disconnected(self, station_id: str, timeout: float) -> bool:  # noqa: ASYNC109
        """Return once the station has no connection: the message it was handling, if any, answered or
        dropped. False when it still has one after `timeout` seconds."""
        ...


class NoConnections:
    """The `Disconnect` of a process that holds no station connections (services without a gateway)."""

    def disconnect(self, station_id: str, reason: str) -> bool:
        return False

    async def disconnected(self, station_id: str, timeout: float) -> bool:  # noqa: ASYNC109
        return True
