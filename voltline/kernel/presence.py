"""Presence: which stations are connected, and on which OCPP version.

One process answers from its own live connections (`voltline.protocol.outbound.SessionPresence`, over the
gateway's connection registry). Several nodes will answer from a shared view that each node keeps as a
local replica (connects and disconnects broadcast by the node holding the socket), which is why the reads
stay synchronous: they sit on hot paths (every background update asks first) and must not cost a round
trip.
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
