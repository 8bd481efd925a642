"""Commands the CSMS sends to stations, in version-neutral form, and the port that delivers them.

protocol/ maps each command onto the station's OCPP version (an encoder per command type and version);
gateway/ (or the cluster bus) carries it. Domain services send through `CommandService`, which checks
that the station is online, publishes the outcome as a live event and records it in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from voltline.kernel.actors import current_actor
from voltline.kernel.errors import DomainError, StationOffline
from voltline.kernel.live_events import EventHub


class Command:
    """Base of every version-neutral command. Subclasses are frozen dataclasses."""

    __slots__ = ()


@dataclass(slots=True, frozen=True)
class CommandResult:
    """The station's answer.

    `status` is its status word (Accepted, Rejected, ...; empty when the answer has none), `payload` the
    raw answer, and `value` the answer decoded into a version-neutral form by the command's encoder
    (None when the command needs no decoding).
    """

    status: str
    payload: dict[str, Any]
    value: Any = None


class StationLink(Protocol):
    """Reaches connected stations. Raises StationOffline, StationTimeout or StationRejectedCall."""

    def is_online(self, station_id: str) -> bool: ...

    def version_of(self, station_id: str) -> str | None: ...

    async def send(self, station_id: str, command: Command) -> CommandResult: ...

    async def call_raw(self, station_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]: ...


class CommandAudit(Protocol):
    """Where every command sent to a station is recorded (who, what, target, outcome)."""

    async def record_command(self, station_id: str, command: str, detail: dict[str, Any], outcome: str) -> None: ...


class CommandService:
    """The one way domain services send commands: online check, live event, audit record."""

    def __init__(self, link: StationLink, events: EventHub, audit: CommandAudit | None = None) -> None:
        self._link = link
        self._events = events
        self.audit = audit  # set by the composition root once the audit service exists

    def is_online(self, station_id: str) -> bool:
        return self._link.is_online(station_id)

    def version_of(self, station_id: str) -> str | None:
        return self._link.version_of(station_id)

    def require_online(self, station_id: str) -> str:
        """The station's OCPP version number ("1.6" or "2.0.1"); StationOffline when not connected."""
        version = self._link.version_of(station_id)
        if version is None:
            raise StationOffline(f"station {station_id!r} is not connected")
        return version.removeprefix("ocpp")  # the link reports the subprotocol name

    async def send(self, station_id: str, command: Command) -> CommandResult:
        self.require_online(station_id)
        name = type(command).__name__
        try:
            result = await self._link.send(station_id, command)
        except DomainError as exc:
            await self._outcome(station_id, name, {"command": repr(command)}, f"error: {type(exc).__name__}: {exc}")
            raise
        await self._outcome(station_id, name, {"command": repr(command)}, result.status or "answered")
        return result

    async def call_raw(self, station_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.require_online(station_id)
        try:
            answer = await self._link.call_raw(station_id, action, payload)
        except DomainError as exc:
            await self._outcome(station_id, action, {"payload": payload}, f"error: {type(exc).__name__}: {exc}")
            raise
        await self._outcome(station_id, action, {"payload": payload}, str(answer.get("status", "answered")))
        return answer

    async def _outcome(self, station_id: str, command: str, detail: dict[str, Any], outcome: str) -> None:
        self._events.publish(
            "command.result",
            station_id,
            {"command": command, "outcome": outcome, "actor": current_actor.get()},
        )
        if self.audit is not None:
            await self.audit.record_command(station_id, command, detail, outcome)
