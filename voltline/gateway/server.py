"""The station-facing WebSocket server.

Handshake order: path -> station id (404/400), credentials and registration (401/404), then subprotocol.
A connection that agrees on no OCPP version completes the handshake without a subprotocol and is closed
at once, as OCPP-J prescribes. Each accepted connection gets its own `RpcSession`; frames are processed
one after another per station, stations concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from voltline.domain.admission import AdmissionService, Admitted, Refusal
from voltline.domain.stations import StationService
from voltline.gateway.handshake import basic_credentials, choose_subprotocol, station_id_from_path
from voltline.gateway.registry import ConnectionRegistry, StationConnection
from voltline.ocppj import Dispatcher, OcppVersion, RpcSession, SchemaRegistry

log = logging.getLogger("voltline.gateway")

# Builds the per-connection dispatcher (protocol layer) for a station speaking a version.
DispatcherFactory = Callable[[str, OcppVersion, bool], Dispatcher]


@dataclass(slots=True, frozen=True)
class GatewayConfig:
    host: str
    port: int
    path_prefix: str
    versions: Sequence[OcppVersion]
    ping_interval: float
    ping_timeout: float
    handshake_timeout: float
    close_timeout: float
    call_timeout: float
    max_message_size: int
    backlog: int
    last_seen_flush_interval: float


class StationGateway:
    def __init__(
        self,
        config: GatewayConfig,
        admission: AdmissionService,
        stations: StationService,
        schemas: SchemaRegistry,
        registry: ConnectionRegistry,
        dispatcher_factory: DispatcherFactory,
    ) -> None:
        self._config = config
        self._admission = admission
        self._stations = stations
        self._schemas = schemas
        self._registry = registry
        self._dispatcher_factory = dispatcher_factory
        self._admitted: dict[ServerConnection, Admitted] = {}
        self._server: Server | None = None
        self._flusher: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when configured as 0)."""
        assert self._server is not None, "gateway not started"
        socket = next(iter(self._server.sockets))
        return int(socket.getsockname()[1])

    async def start(self) -> None:
        self._server = await serve(
            self._serve_connection,
            self._config.host,
            self._config.port,
            process_request=self._process_request,
            select_subprotocol=self._select_subprotocol,
            ping_interval=self._config.ping_interval,
            ping_timeout=self._config.ping_timeout,
            open_timeout=self._config.handshake_timeout,
            # A dead peer never answers our close frame: keep this short so it shows offline promptly.
            close_timeout=self._config.close_timeout,
            max_size=self._config.max_message_size,
            backlog=self._config.backlog,
            compression=None,  # no permessage-deflate: no decompression bombs, less CPU per frame
            server_header="Voltline",
        )
        self._flusher = asyncio.create_task(self._flush_last_seen_forever(), name="last-seen-flusher")

    async def stop(self) -> None:
        """Stop accepting, close every station with 1001 (going away), and wait for handlers to finish."""
        if self._server is None:
            return
        self._server.close(close_connections=True)
        await self._server.wait_closed()
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self._flush_last_seen()
        self._server = None

    # -- handshake --------------------------------------------------------------------------------

    async def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        station_id = station_id_from_path(request.path, self._config.path_prefix)
        if station_id is None:
            log.info("refused handshake from %s: bad path %.80r", _peer(connection), request.path)
            return connection.respond(HTTPStatus.NOT_FOUND, "Not an OCPP endpoint: use /ocpp/{stationId}\n")
        credentials = basic_credentials(request.headers.get("Authorization"))
        verdict = await self._admission.admit(station_id, credentials)
        if verdict is Refusal.UNKNOWN_STATION:
            log.info("refused unknown station %s from %s", station_id, _peer(connection))
            return connection.respond(HTTPStatus.NOT_FOUND, "Unknown station\n")
        if verdict is Refusal.BAD_CREDENTIALS:
            log.warning("refused station %s from %s: missing or wrong credentials", station_id, _peer(connection))
            response = connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
            response.headers["WWW-Authenticate"] = 'Basic realm="Voltline", charset="UTF-8"'
            return response
        assert isinstance(verdict, Admitted)
        if not verdict.authenticated and self._registry.get(station_id) is not None:
            # An unauthenticated newcomer never displaces a live station.
            log.warning("refused unauthenticated second connection for %s from %s", station_id, _peer(connection))
            return connection.respond(HTTPStatus.CONFLICT, "Station already connected\n")
        self._admitted[connection] = verdict
        return None

    def _select_subprotocol(self, connection: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
        version = choose_subprotocol(offered, self._config.versions)
        return Subprotocol(version.value) if version is not None else None

    # -- connection -------------------------------------------------------------------------------

    async def _serve_connection(self, websocket: ServerConnection) -> None:
        admitted = self._admitted.pop(websocket, None)
        if admitted is None:  # cannot happen: process_request admits every connection that gets here
            await websocket.close(1011, "not admitted")
            return
        if websocket.subprotocol is None:
            log.info("station %s offered no supported OCPP version; closing", admitted.station_id)
            await websocket.close(1002, "no supported OCPP subprotocol")
            return
        version = OcppVersion(websocket.subprotocol)
        station_id = admitted.station_id

        async def send(data: bytes) -> None:
            await websocket.send(data, text=True)

        session = RpcSession(
            version,
            send,
            self._dispatcher_factory(station_id, version, admitted.boot_accepted),
            self._schemas,
            call_timeout=self._config.call_timeout,
            logger=log,
        )
        connection = StationConnection(station_id, session, websocket, admitted.authenticated, _peer(websocket))
        previous = self._registry.put(connection)
        if previous is not None:
            log.warning(
                "station %s: new connection from %s replaces the one from %s",
                station_id,
                connection.remote_address,
                previous.remote_address,
            )
            previous.session.close("replaced by a newer connection")
            await previous.websocket.close(1000, "replaced by a newer connection")
        else:
            log.info("station %s connected (%s) from %s", station_id, version.value, connection.remote_address)
        await self._stations.connected(station_id, version.value)
        try:
            await self._read_frames(websocket, session, station_id)
        finally:
            session.close("connection closed")
            if self._registry.remove(connection):
                self._registry.seen(station_id)
                log.info("station %s disconnected (code %s)", station_id, websocket.close_code)
                await self._stations.disconnected(station_id)

    async def _read_frames(self, websocket: ServerConnection, session: RpcSession, station_id: str) -> None:
        seen = self._registry.seen
        try:
            async for message in websocket:
                if isinstance(message, bytes):
                    await websocket.close(1003, "OCPP-J uses text frames only")
                    return
                seen(station_id)
                await session.on_message(message)
        except ConnectionClosed:
            pass

    # -- last seen --------------------------------------------------------------------------------

    async def _flush_last_seen_forever(self) -> None:
        while True:
            await asyncio.sleep(self._config.last_seen_flush_interval)
            try:
                await self._flush_last_seen()
            except Exception:
                log.exception("could not record last-seen times; will retry")

    async def _flush_last_seen(self) -> None:
        seen = self._registry.take_seen()
        if seen:
            await self._stations.record_seen({station: datetime.fromtimestamp(at, UTC) for station, at in seen.items()})


def _peer(connection: ServerConnection) -> str:
    address = connection.remote_address
    return f"{address[0]}:{address[1]}" if address else "?"
