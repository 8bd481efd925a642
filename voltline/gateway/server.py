"""The station-facing WebSocket server (picows).

Handshake order: path -> station id (404), credentials and registration (401/404/409), then subprotocol.
A connection that agrees on no OCPP version completes the handshake without a subprotocol and is closed
at once (1002), as OCPP-J prescribes. Each accepted connection gets its own `RpcSession`; frames are
processed one after another per station, stations concurrently (see `connection.StationSocket`).

Admission awaits the database, while picows asks a synchronous factory for the listener as it parses the
upgrade request. So each TCP connection starts with a small asyncio protocol, `_PendingHandshake`, that
reads the request head, stops reading and awaits the verdict; only then is the transport handed to a
picows `WSProtocol`, and the bytes read so far replayed into it. picows's factory merely turns the verdict
into the HTTP response: a refusal is a status before any upgrade, never an accept-then-close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Final, cast

from picows import (
    WSAutoPingStrategy,
    WSCloseCode,
    WSUpgradeRequest,
    WSUpgradeResponse,
    WSUpgradeResponseWithListener,
)
from picows.picows import WSProtocol  # type: ignore[attr-defined]  # public in picows, missing from its stub

from voltline.gateway.connection import SocketLimits, StationSocket
from voltline.gateway.handshake import (
    MAX_REQUEST_HEAD,
    basic_credentials,
    choose_subprotocol,
    header_tokens,
    parse_request_head,
    station_id_from_path,
)
from voltline.gateway.limits import AuthFailureLimiter, SecurityEvent
from voltline.gateway.ports import Admission, PresenceReports
from voltline.gateway.registry import ConnectionRegistry, StationConnection
from voltline.kernel.admission import Admitted, Refusal
from voltline.ocppj import Dispatcher, FrameObserver, MessageCounts, OcppVersion, RpcSession, SchemaRegistry

log = logging.getLogger("voltline.gateway")
# picows logs every accept and disconnect at INFO, with socket buffer sizes; our own lines say enough.
_wire_log = logging.getLogger("voltline.gateway.wire")
if _wire_log.level == logging.NOTSET:
    _wire_log.setLevel(logging.WARNING)

# Builds the per-connection dispatcher (protocol layer) for a station speaking a version.
DispatcherFactory = Callable[[str, OcppVersion, bool], Dispatcher]
# Gives the frame observer (the message log's capture) for a station id; None when nothing observes.
FrameObserverFactory = Callable[[str], FrameObserver]

_SERVER_HEADER: Final = ("Server", "Voltline")
_TEXT_PLAIN: Final = ("Content-Type", "text/plain; charset=utf-8")
_WWW_AUTHENTICATE: Final = ("WWW-Authenticate", 'Basic realm="Voltline", charset="UTF-8"')
# picows grows its read buffer as needed; most OCPP messages fit in this one.
_READ_BUFFER: Final = 4096
# Longest wait for our own admission decision (a database lookup) before answering 503.
ADMISSION_TIMEOUT: Final = 60.0


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
    # Defaults for callers that predate these limits; the settings' defaults are the same.
    auth_failures_per_minute: int = 20
    # Generous: the benchmark opens 19,000 connections from one address at once.
    max_pending_handshakes_per_address: int = 25_000


@dataclass(slots=True, frozen=True)
class _Verdict:
    """What admission decided about a request head: a refusal, or the admitted station and path."""

    refusal: WSUpgradeResponse | None = None
    admitted: Admitted | None = None
    target: str = ""
    reason: str = ""  # of a refusal: the label it is counted under in `handshake_refusals`


@dataclass(slots=True, frozen=True)
class _Accepted:
    admitted: Admitted
    version: OcppVersion | None


class StationGateway:
    def __init__(
        self,
        config: GatewayConfig,
        admission: Admission,
        presence: PresenceReports,
        schemas: SchemaRegistry,
        registry: ConnectionRegistry,
        dispatcher_factory: DispatcherFactory,
        frame_observers: FrameObserverFactory | None = None,
        message_counts: MessageCounts | None = None,
    ) -> None:
        self._config = config
        self._frame_observers = frame_observers
        self._message_counts = message_counts
        # Refused handshakes by reason, since start (the metrics read it): plain ints, bumped off the
        # message path, once per refused connection.
        self.handshake_refusals: dict[str, int] = {}
        self._admission = admission
        self._presence = presence
        self._schemas = schemas
        self._registry = registry
        # The stations area ends a removed station's connection through the registry (kernel Disconnect).
        presence.attach_connections(registry)
        self._dispatcher_factory = dispatcher_factory
        self._limits = SocketLimits(
            max_message_size=config.max_message_size,
            ping_interval=config.ping_interval,
            ping_timeout=config.ping_timeout,
            close_timeout=config.close_timeout,
        )
        self._server: asyncio.Server | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._handshakes: set[_PendingHandshake] = set()
        self._pending_per_address: dict[str, int] = {}
        self._capped_addresses: set[str] = set()  # over the pending cap, already reported
        self._auth_limiter = AuthFailureLimiter(config.auth_failures_per_minute)
        self._sockets: set[StationSocket] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The bound port (useful when configured as 0)."""
        assert self._server is not None, "gateway not started"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def security_events(self) -> list[SecurityEvent]:
        """The most recent security events, oldest first (bounded, in memory: a later issue persists them)."""
        return list(self._auth_limiter.events)

    def _refused(self, reason: str) -> None:
        self.handshake_refusals[reason] = self.handshake_refusals.get(reason, 0) + 1

    def _security_event(self, event: SecurityEvent) -> None:
        log.warning(
            "security event: %s: %s (address %s, station %s, count %d)",
            event.kind,
            event.detail,
            event.address,
            event.station_id,
            event.count,
        )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _PendingHandshake(self), self._config.host, self._config.port, backlog=self._config.backlog
        )
        self._flusher = asyncio.create_task(self._flush_last_seen_forever(), name="last-seen-flusher")

    async def stop(self) -> None:
        """Stop accepting, close every station with 1001 (going away), and wait for handlers to finish."""
        if self._server is None:
            return
        self._server.close()
        for handshake in list(self._handshakes):
            handshake.abort()
        for socket in list(self._sockets):
            socket.close(WSCloseCode.GOING_AWAY)
        while self._handlers:
            await asyncio.wait(list(self._handlers))
        await self._server.wait_closed()
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self._flush_last_seen()
        self._server = None

    # -- handshake --------------------------------------------------------------------------------

    def _handshake_started(self, address: str) -> bool:
        """Count a new pending handshake from `address`; False when the address is over its cap."""
        count = self._pending_per_address.get(address, 0)
        if count >= self._config.max_pending_handshakes_per_address:
            if address not in self._capped_addresses:
                self._capped_addresses.add(address)
                event = SecurityEvent(
                    at=datetime.now(UTC),
                    kind="pending-handshakes-cap",
                    address=address,
                    station_id=None,
                    count=count,
                    detail="too many unfinished handshakes; new connections closed at once",
                )
                self._auth_limiter.record(event)
                self._security_event(event)
            return False
        self._pending_per_address[address] = count + 1
        return True

    def _handshake_ended(self, address: str) -> None:
        count = self._pending_per_address.get(address, 0) - 1
        if count > 0:
            self._pending_per_address[address] = count
        else:
            self._pending_per_address.pop(address, None)
        if count <= self._config.max_pending_handshakes_per_address // 2:
            self._capped_addresses.discard(address)  # a later flood is a new event

    async def _judge(self, head: bytes, peer: str, address: str) -> _Verdict:
        """Admission of a request head (path, credentials, registration), before any upgrade."""
        parsed = parse_request_head(head)
        if parsed is None:
            return _Verdict(
                refusal=_refusal(HTTPStatus.BAD_REQUEST, "Not a WebSocket upgrade request\n"), reason="bad_request"
            )
        target, headers = parsed
        station_id = station_id_from_path(target, self._config.path_prefix)
        if station_id is None:
            log.info("refused handshake from %s: bad path %.80r", peer, target)
            prefix = self._config.path_prefix
            return _Verdict(
                refusal=_refusal(HTTPStatus.NOT_FOUND, f"Not an OCPP endpoint: use {prefix}/{{stationId}}\n"),
                reason="bad_path",
            )
        retry_after = self._auth_limiter.check(address, station_id)
        if retry_after is not None:
            log.debug("throttled handshake for %s from %s", station_id, peer)
            return _Verdict(
                refusal=_refusal(
                    HTTPStatus.TOO_MANY_REQUESTS, "Too many failed attempts\n", ("Retry-After", str(retry_after))
                ),
                reason="throttled",
            )
        credentials = basic_credentials(headers.get("authorization"))
        try:
            verdict = await self._admission.admit(station_id, credentials)
        except Exception:
            log.exception("could not admit station %s from %s", station_id, peer)
            return _Verdict(refusal=_refusal(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal error\n"), reason="error")
        if verdict is Refusal.UNKNOWN_STATION:
            log.info("refused unknown station %s from %s", station_id, peer)
            return _Verdict(refusal=_refusal(HTTPStatus.NOT_FOUND, "Unknown station\n"), reason="unknown_station")
        if verdict is Refusal.BAD_CREDENTIALS:
            log.warning("refused station %s from %s: missing or wrong credentials", station_id, peer)
            for event in self._auth_limiter.failed(address, station_id):
                self._security_event(event)
            return _Verdict(
                refusal=_refusal(HTTPStatus.UNAUTHORIZED, "Unauthorized\n", _WWW_AUTHENTICATE), reason="bad_credentials"
            )
        assert isinstance(verdict, Admitted)
        if not verdict.authenticated and self._is_live(station_id):
            # An unauthenticated newcomer never displaces a live station.
            log.warning("refused unauthenticated second connection for %s from %s", station_id, peer)
            return _Verdict(
                refusal=_refusal(HTTPStatus.CONFLICT, "Station already connected\n"), reason="already_connected"
            )
        return _Verdict(admitted=verdict, target=target)

    def _is_live(self, station_id: str) -> bool:
        """Whether the station has a connection that is still open (one already closing does not count)."""
        existing = self._registry.get(station_id)
        return existing is not None and cast(StationSocket, existing.websocket).open

    def _upgrade(self, transport: asyncio.Transport, received: bytes, verdict: _Verdict, peer: str) -> None:
        """Hand the transport to picows and replay what was read; picows answers the handshake."""

        def listener_factory(request: WSUpgradeRequest) -> WSUpgradeResponseWithListener:
            return self._respond(request, verdict, peer)

        protocol = WSProtocol(
            None,  # host and port: client side only
            None,  # path: client side only
            False,  # server side
            listener_factory,
            _wire_log,
            True,  # disconnect on exception in a listener callback
            self._config.handshake_timeout,
            False,  # picows's own auto-ping: StationSocket keeps websockets' keepalive semantics instead
            self._config.ping_interval,
            self._config.ping_timeout,
            WSAutoPingStrategy.PING_PERIODICALLY,
            True,  # answer pings
            self._config.max_message_size,  # per frame; StationSocket limits reassembled messages
            None,  # extra headers: client side only
            _READ_BUFFER,
        )
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        data = memoryview(received)
        while data and not transport.is_closing():
            buffer = protocol.get_buffer(len(data))
            size = min(len(buffer), len(data))
            buffer[:size] = data[:size]
            protocol.buffer_updated(size)
            data = data[size:]
        if not transport.is_closing():
            transport.resume_reading()

    def _respond(self, request: WSUpgradeRequest, verdict: _Verdict, peer: str) -> WSUpgradeResponseWithListener:
        if verdict.refusal is not None:
            return WSUpgradeResponseWithListener(verdict.refusal, None)
        admitted = verdict.admitted
        if admitted is None or request.path.decode("latin-1") != verdict.target:  # cannot happen: same bytes
            self._refused("bad_request")
            return WSUpgradeResponseWithListener(_refusal(HTTPStatus.BAD_REQUEST, "Bad request\n"), None)
        headers = request.headers
        if "Sec-WebSocket-Protocol" not in headers:
            # Nothing offered at all: refuse plainly (an offer of only unknown versions is instead
            # completed without a subprotocol and closed, as OCPP-J prescribes).
            self._refused("no_subprotocol")
            return WSUpgradeResponseWithListener(
                _refusal(HTTPStatus.BAD_REQUEST, "Sec-WebSocket-Protocol required: ocpp2.0.1 or ocpp1.6\n"), None
            )
        # picows wants `Connection: upgrade` exactly; RFC 6455 allows a list ("keep-alive, Upgrade").
        if any(token.lower() == "upgrade" for token in header_tokens(headers.getall("Connection", []))):
            headers["Connection"] = "Upgrade"
        version = choose_subprotocol(header_tokens(headers.getall("Sec-WebSocket-Protocol", [])), self._config.versions)
        extra = [_SERVER_HEADER]
        if version is not None:
            extra.append(("Sec-WebSocket-Protocol", version.value))
        socket = StationSocket(self._limits, peer, self._on_open, _Accepted(admitted, version))
        return WSUpgradeResponseWithListener(WSUpgradeResponse.create_101_response(extra), socket)

    # -- connection -------------------------------------------------------------------------------

    def _on_open(self, socket: StationSocket) -> None:
        self._sockets.add(socket)
        task = asyncio.get_running_loop().create_task(self._serve_connection(socket))
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def _serve_connection(self, socket: StationSocket) -> None:
        try:
            await self._serve_station(socket, cast(_Accepted, socket.context))
        except Exception:
            log.exception("connection handler failed for %s", socket.remote_address)
            socket.close(WSCloseCode.INTERNAL_ERROR)
            await socket.wait_closed()
        finally:
            self._sockets.discard(socket)

    async def _serve_station(self, socket: StationSocket, accepted: _Accepted) -> None:
        admitted, version = accepted.admitted, accepted.version
        station_id = admitted.station_id
        if version is None:
            log.info("station %s offered no supported OCPP version; closing", station_id)
            self._refused("no_common_version")
            socket.close(WSCloseCode.PROTOCOL_ERROR, "no supported OCPP subprotocol")
            await socket.wait_closed()
            return
        session = RpcSession(
            version,
            socket.send,
            self._dispatcher_factory(station_id, version, admitted.boot_accepted),
            self._schemas,
            call_timeout=self._config.call_timeout,
            logger=log,
            backlog=socket.backlog,
            observer=self._frame_observers(station_id) if self._frame_observers is not None else None,
            counts=self._message_counts,
        )
        if not admitted.authenticated and self._is_live(station_id):
            # Two unauthenticated handshakes raced past admission: the later one must not displace.
            log.warning("closing unauthenticated second connection for %s from %s", station_id, socket.remote_address)
            self._refused("already_connected")
            socket.close(WSCloseCode.POLICY_VIOLATION, "station already connected")
            await socket.wait_closed()
            return
        connection = StationConnection(station_id, session, socket, admitted.authenticated, socket.remote_address)
        previous = self._registry.put(connection)
        if previous is not None:
            log.warning(
                "station %s: new connection from %s replaces the one from %s",
                station_id,
                connection.remote_address,
                previous.remote_address,
            )
            previous.session.close("replaced by a newer connection")
            old: StationSocket = previous.websocket
            old.close(WSCloseCode.OK, "replaced by a newer connection")
            await old.wait_closed()
        else:
            log.info("station %s connected (%s) from %s", station_id, version.value, connection.remote_address)
        self._presence.announce_connected(station_id, version.value, connection.remote_address, previous is not None)
        # Recorded alongside the station's first messages (same commit group), not before them.
        online = asyncio.get_running_loop().create_task(self._presence.connected(station_id, version.value))
        try:
            await socket.pump(session.on_message, self._registry.seen, station_id)
        finally:
            try:
                await online
            except Exception:
                log.exception("could not record station %s as online", station_id)
            session.close("connection closed")
            if self._registry.remove(connection):
                self._registry.seen(station_id)
                log.info("station %s disconnected (code %s)", station_id, socket.close_code)
                self._presence.announce_disconnected(station_id, version.value, socket.close_code)
                await self._presence.disconnected(station_id)

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
            await self._presence.record_seen({station: datetime.fromtimestamp(at, UTC) for station, at in seen.items()})


class _PendingHandshake(asyncio.Protocol):
    """A TCP connection until its request head is admitted or refused; then picows takes over."""

    def __init__(self, gateway: StationGateway) -> None:
        self._gateway = gateway
        self._transport: asyncio.Transport | None = None
        self._peer = "?"
        self._address = "?"
        self._counted = False
        self._received = bytearray()
        self._admission: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._peer = _peer(transport)
        self._address = _address(transport)
        if not self._gateway._handshake_started(self._address):
            self._gateway._refused("pending_handshakes_cap")
            self._transport.abort()  # over the per-address cap: no timer, no buffer, nothing kept
            return
        self._counted = True
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._gateway._config.handshake_timeout, self._timed_out)
        self._gateway._handshakes.add(self)

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._received += data
        if self._admission is not None:
            return  # read before pause_reading took effect: replayed to picows with the head
        end = self._received.find(b"\r\n\r\n")
        if end < 0:
            if len(self._received) > MAX_REQUEST_HEAD:
                log.info("refused handshake from %s: request head over %d bytes", self._peer, MAX_REQUEST_HEAD)
                self._transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n")
                self._gateway._refused("request_head_too_large")
                self._forget()
                self._transport.close()
            return
        self._transport.pause_reading()
        # The peer has sent its part: the handshake timeout guards against slow clients, not against our
        # own admission work, which in a reconnect storm of thousands of stations can take longer.
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        head = bytes(self._received[:end])
        self._admission = asyncio.get_running_loop().create_task(self._admit(head))

    def connection_lost(self, exc: Exception | None) -> None:
        self._forget()
        if self._admission is not None:
            self._admission.cancel()

    def abort(self) -> None:
        self._forget()
        if self._admission is not None:
            self._admission.cancel()
        if self._transport is not None:
            self._transport.abort()

    async def _admit(self, head: bytes) -> None:
        try:
            verdict = await asyncio.wait_for(self._gateway._judge(head, self._peer, self._address), ADMISSION_TIMEOUT)
        except TimeoutError:
            log.warning("could not admit %s within %g s (database slow or down)", self._peer, ADMISSION_TIMEOUT)
            verdict = _Verdict(
                refusal=_refusal(HTTPStatus.SERVICE_UNAVAILABLE, "Try again later\n"), reason="admission_timeout"
            )
        if verdict.refusal is not None:
            self._gateway._refused(verdict.reason)
        self._forget()
        assert self._transport is not None
        if self._transport.is_closing():
            return
        try:
            self._gateway._upgrade(self._transport, bytes(self._received), verdict, self._peer)
        except Exception:
            log.exception("could not complete the handshake of %s", self._peer)
            self._transport.abort()

    def _timed_out(self) -> None:
        log.info("handshake from %s not completed within %gs", self._peer, self._gateway._config.handshake_timeout)
        self._gateway._refused("handshake_timeout")
        self.abort()

    def _forget(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._gateway._handshakes.discard(self)
        if self._counted:
            self._counted = False
            self._gateway._handshake_ended(self._address)


def _refusal(status: HTTPStatus, text: str, *headers: tuple[str, str]) -> WSUpgradeResponse:
    response: WSUpgradeResponse = WSUpgradeResponse.create_error_response(
        status, text.encode(), [_SERVER_HEADER, _TEXT_PLAIN, *headers]
    )
    return response


def _address(transport: Any) -> str:
    """The client's IP address (no port): the key of per-address limits."""
    address = transport.get_extra_info("peername")
    return str(address[0]) if address else "?"


def _peer(transport: Any) -> str:
    address = transport.get_extra_info("peername")
    return f"{address[0]}:{address[1]}" if address else "?"
