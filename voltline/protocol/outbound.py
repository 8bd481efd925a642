"""`StationLink` over the live RPC sessions of this node: domain commands -> version calls -> answers."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Protocol

from voltline.kernel.commands import Command, CommandResult
from voltline.kernel.errors import InvalidRequest, StationOffline, StationRejectedCall, StationTimeout
from voltline.kernel.versions import OcppVersion
from voltline.ocppj import (
    CallErrorReceived,
    CallQueueFull,
    CallTimeout,
    ErrorKind,
    InvalidCall,
    OcppError,
    RpcSession,
    SessionClosed,
)
from voltline.protocol.versions import VersionEncoders


class SessionLookup(Protocol):
    def session(self, station_id: str) -> RpcSession | None: ...

    def station_ids(self) -> Collection[str]:
        """The ids of the stations with a session now (a snapshot)."""
        ...


class SessionPresence:
    """Implements `voltline.kernel.presence.Presence` from the live sessions of this process: the
    in-process presence (several nodes share theirs through the cluster instead)."""

    def __init__(self, sessions: SessionLookup) -> None:
        self._sessions = sessions

    def is_online(self, station_id: str) -> bool:
        return self._sessions.session(station_id) is not None

    def version_of(self, station_id: str) -> OcppVersion | None:
        session = self._sessions.session(station_id)
        return session.version if session is not None else None

    def online_ids(self) -> Collection[str]:
        return self._sessions.station_ids()


class SessionLink(SessionPresence):
    """Implements `voltline.kernel.commands.StationLink` for stations connected to this process."""

    def __init__(self, sessions: SessionLookup, encoders: Mapping[OcppVersion, VersionEncoders]) -> None:
        super().__init__(sessions)
        self._encoders = encoders

    async def send(self, station_id: str, command: Command) -> CommandResult:
        session = self._require(station_id)
        call = self._encoders[session.version].encode(command)
        response = await self._call(session, station_id, call.action, call.payload)
        value = call.decode(response) if call.decode is not None else None
        return CommandResult(str(response.get("status", "")), response, value)

    async def call_raw(self, station_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        session = self._require(station_id)
        return await self._call(session, station_id, action, payload)

    def _require(self, station_id: str) -> RpcSession:
        """The station's session. The one online check on the way to a station: it happens as the call is
        made, so a station that left after any earlier look (a service asking its version) is still a
        StationOffline here, as is one whose session closes before or during the call (SessionClosed)."""
        session = self._sessions.session(station_id)
        if session is None:
            raise StationOffline(f"station {station_id!r} is not connected")
        return session

    async def _call(self, session: RpcSession, station_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            return await session.call(action, payload)
        except InvalidCall as exc:
            # The session validates every CALL it sends (this one included): nothing went out.
            version = session.version.number
            if exc.kind is ErrorKind.NOT_IMPLEMENTED:
                raise InvalidRequest(f"{action!r} is not an OCPP {version} action") from exc
            raise InvalidRequest(f"{action} payload is not valid for OCPP {version}: {exc.description}") from exc
        except CallTimeout as exc:
            raise StationTimeout(f"station {station_id!r} did not answer {action} in time") from exc
        except CallQueueFull as exc:
            raise StationTimeout(f"station {station_id!r} has too many commands waiting") from exc
        except SessionClosed as exc:
            raise StationOffline(f"station {station_id!r} disconnected") from exc
        except CallErrorReceived as exc:
            raise StationRejectedCall(exc.code, exc.description) from exc
        except OcppError as exc:
            # Any other OcppError is about the station's answer: invalid against its schema, or malformed.
            raise StationRejectedCall("InvalidResponse", exc.description) from exc
