"""`StationLink` over the live RPC sessions of this node: domain commands -> version calls -> answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from voltline.kernel.commands import Command, CommandResult
from voltline.kernel.errors import InvalidRequest, StationOffline, StationRejectedCall, StationTimeout
from voltline.kernel.versions import OcppVersion
from voltline.ocppj import (
    CallErrorReceived,
    CallQueueFull,
    CallTimeout,
    OcppError,
    RpcSession,
    SchemaRegistry,
    SessionClosed,
)
from voltline.protocol.versions import VersionEncoders


class SessionLookup(Protocol):
    def session(self, station_id: str) -> RpcSession | None: ...


class SessionLink:
    """Implements `voltline.kernel.commands.StationLink` for stations connected to this process."""

    def __init__(
        self, sessions: SessionLookup, schemas: SchemaRegistry, encoders: Mapping[OcppVersion, VersionEncoders]
    ) -> None:
        self._sessions = sessions
        self._schemas = schemas
        self._encoders = encoders

    def is_online(self, station_id: str) -> bool:
        return self._sessions.session(station_id) is not None

    def version_of(self, station_id: str) -> str | None:
        session = self._sessions.session(station_id)
        return session.version.value if session is not None else None

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
        session = self._sessions.session(station_id)
        if session is None:
            raise StationOffline(f"station {station_id!r} is not connected")
        return session

    async def _call(self, session: RpcSession, station_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        version = session.version
        if not self._schemas.knows(version, action):
            raise InvalidRequest(f"{action!r} is not an OCPP {version.value} action")
        try:
            self._schemas.validate_request(version, action, payload)
        except OcppError as exc:
            raise InvalidRequest(f"{action} payload is not valid for OCPP {version.value}: {exc.description}") from exc
        try:
            return await session.call(action, payload)
        except CallTimeout as exc:
            raise StationTimeout(f"station {station_id!r} did not answer {action} in time") from exc
        except CallQueueFull as exc:
            raise StationTimeout(f"station {station_id!r} has too many commands waiting") from exc
        except SessionClosed as exc:
            raise StationOffline(f"station {station_id!r} disconnected") from exc
        except CallErrorReceived as exc:
            raise StationRejectedCall(exc.code, exc.description) from exc
        except OcppError as exc:
            # Our request was valid, so this is the station's answer failing its schema.
            raise StationRejectedCall("InvalidResponse", exc.description) from exc
