"""Commands the CSMS sends to stations, in version-neutral form, and the port that delivers them.

protocol/ maps each command onto the station's OCPP version; gateway/ (or the cluster bus) carries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(slots=True, frozen=True)
class RemoteStart:
    id_token: str
    evse_id: int | None = None
    remote_start_id: int | None = None


@dataclass(slots=True, frozen=True)
class RemoteStop:
    station_tx_id: str


Command = RemoteStart | RemoteStop


@dataclass(slots=True, frozen=True)
class CommandResult:
    """The station's answer: its status word (Accepted, Rejected, ...) and the raw payload."""

    status: str
    payload: dict[str, Any]


class StationLink(Protocol):
    """Reaches connected stations. Raises StationOffline, StationTimeout or StationRejectedCall."""

    def is_online(self, station_id: str) -> bool: ...

    def version_of(self, station_id: str) -> str | None: ...

    async def send(self, station_id: str, command: Command) -> CommandResult: ...

    async def call_raw(self, station_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]: ...
