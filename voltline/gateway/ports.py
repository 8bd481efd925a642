"""What the gateway needs from the rest of the CSMS, as narrow ports it owns.

The gateway knows no area: the composition root hands it objects that satisfy these protocols (today the
stations area's `AdmissionService` and `StationService`, structurally, without importing this module).
The verdict types are neutral (`voltline.kernel.admission`), so both sides name them without knowing
each other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from voltline.kernel.admission import Admitted, Refusal
from voltline.kernel.presence import Disconnect


class Admission(Protocol):
    """Decides whether a request head may become a station connection, before any upgrade."""

    async def admit(self, station_id: str, credentials: tuple[str, str] | None) -> Admitted | Refusal: ...


class PresenceReports(Protocol):
    """Hears from the gateway which stations connect and disconnect, and when each was last heard from.

    (The other direction, asking whether a station is online, is `voltline.kernel.presence.Presence`.)
    The `announce_*` calls are synchronous and cheap (live events); the others record state and may wait
    for storage.
    """

    def attach_connections(self, connections: Disconnect) -> None:
        """Called once, as the gateway is made, with its connection registry: how the CSMS ends the
        connection of a station it no longer serves (one removed from the registry)."""
        ...

    def announce_connected(self, station_id: str, ocpp_version: str, remote_address: str, replaced: bool) -> None: ...

    def announce_disconnected(self, station_id: str, ocpp_version: str, close_code: int) -> None: ...

    async def connected(self, station_id: str, ocpp_version: str) -> None: ...

    async def disconnected(self, station_id: str) -> None: ...

    async def record_seen(self, seen: dict[str, datetime]) -> None: ...
