"""Commands the CSMS sends to stations, in version-neutral form, and the port that delivers them.

protocol/ maps each command onto the station's OCPP version (an encoder per command type and version);
gateway/ (or the cluster bus) carries it. Domain services send through `CommandService`, which publishes
every outcome as a `CommandCompleted` domain event (the audit trail records it, the live stream shows it:
they subscribe in their manifests). Whether the station is online is checked
once, by the link as it makes the call (StationOffline), so no check can go stale before the send.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from voltline.kernel.actors import current_actor
from voltline.kernel.errors import DomainError, StationOffline
from voltline.kernel.events import DomainEvent, EventBus
from voltline.kernel.presence import Presence
from voltline.kernel.versions import OcppVersion


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


@dataclass(slots=True, frozen=True)
class StatusInfo:
    """Why a station answered as it did: OCPP 2.0.1 StatusInfoType, in every answer that can carry one
    (statusInfo, and per item attributeStatusInfo). OCPP 1.6 answers carry none."""

    reason_code: str
    additional_info: str | None = None

    def __str__(self) -> str:
        """For messages and logs: "reasonCode" or "reasonCode (additionalInfo)"."""
        return f"{self.reason_code} ({self.additional_info})" if self.additional_info else self.reason_code


class StationLink(Presence, Protocol):
    """Reaches connected stations (and so knows which are connected, on which version). Raises
    StationOffline, StationTimeout or StationRejectedCall."""

    async def send(self, station_id: str, command: Command) -> CommandResult: ...

    async def call_raw(self, station_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]: ...


@dataclass(slots=True, frozen=True)
class CommandCompleted(DomainEvent):
    """A command sent to a station reached its outcome: answered, refused, timed out or undeliverable.

    `command` is the command's class name (or the action of a raw call), `detail` what was sent (the
    command's repr, or the raw payload: may hold credentials, so whoever keeps it redacts it), `outcome`
    the station's status word or "error: <kind>: <message>", `actor` who sent it.
    """

    station_id: str
    command: str
    detail: Mapping[str, Any]
    outcome: str
    actor: str


class CommandService:
    """The one way domain services send commands: every outcome is published as `CommandCompleted`.

    `require_online` is for services that need the station's version (or fail fast before other work);
    sending does not check again: the link does, authoritatively (see the module docstring)."""

    def __init__(self, link: StationLink, events: EventBus | None = None) -> None:
        self._link = link
        self._events = events if events is not None else EventBus()

    def is_online(self, station_id: str) -> bool:
        return self._link.is_online(station_id)

    def version_of(self, station_id: str) -> OcppVersion | None:
        return self._link.version_of(station_id)

    def online_ids(self) -> Collection[str]:
        return self._link.online_ids()

    def require_online(self, station_id: str) -> OcppVersion:
        """The station's OCPP version; StationOffline when it is not connected."""
        version = self._link.version_of(station_id)
        if version is None:
            raise StationOffline(f"station {station_id!r} is not connected")
        return version

    async def send(
        self, station_id: str, command: Command, *, outcomes: list[CommandCompleted] | None = None
    ) -> CommandResult:
        """Send and record the outcome. `outcomes`: the caller records the outcome itself, in the transaction
        that writes what the answer changed (it must publish it there), instead of one of its own here."""
        name = type(command).__name__
        try:
            result = await self._link.send(station_id, command)
        except DomainError as exc:
            outcome = f"error: {type(exc).__name__}: {exc}"
            await self._outcome(station_id, name, {"command": repr(command)}, outcome, outcomes)
            raise
        await self._outcome(station_id, name, {"command": repr(command)}, result.status or "answered", outcomes)
        return result

    async def call_raw(self, station_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = await self._link.call_raw(station_id, action, payload)
        except DomainError as exc:
            await self._outcome(station_id, action, {"payload": payload}, f"error: {type(exc).__name__}: {exc}")
            raise
        await self._outcome(station_id, action, {"payload": payload}, str(answer.get("status", "answered")))
        return answer

    async def _outcome(
        self,
        station_id: str,
        command: str,
        detail: dict[str, Any],
        outcome: str,
        outcomes: list[CommandCompleted] | None = None,
    ) -> None:
        event = CommandCompleted(station_id, command, detail, outcome, current_actor.get())
        if outcomes is not None:
            outcomes.append(event)
            return
        # Awaited: the audit records it in a transaction of its own before the caller learns the outcome.
        # `publish` never raises: the station already acted, a lost record must not turn that into an error.
        await self._events.publish(event)
