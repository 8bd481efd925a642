"""A tiny CSMS for testing station implementations (the simulator, the `ocpp`-package station).

Real sockets: websockets server on 127.0.0.1, port chosen by the OS, one `RpcSession` per connection.
It answers the station-initiated core messages validly and lets the test call the station.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from voltline.ocppj import OcppVersion, RpcSession, SchemaRegistry

Payload = dict[str, Any]

_SCHEMAS = SchemaRegistry()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class StationLink:
    """One connected station as the fake CSMS sees it."""

    station_id: str
    version: OcppVersion
    headers: dict[str, str]  # lower-case names
    session: RpcSession
    received: list[tuple[str, Payload]] = field(default_factory=list)
    transcript: list[tuple[str, bytes]] = field(default_factory=list)  # CSMS view: "in" = from the station
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)  # notified per received CALL

    async def call(self, action: str, payload: Payload) -> Payload:
        return await self.session.call(action, payload)

    def messages(self, action: str, where: Callable[[Payload], bool] | None = None) -> list[Payload]:
        return [p for a, p in self.received if a == action and (where is None or where(p))]

    async def wait_for(
        self,
        action: str,
        where: Callable[[Payload], bool] | None = None,
        *,
        count: int = 1,
        within: float = 5.0,
    ) -> list[Payload]:
        """Wait until `count` messages of `action` (matching `where`) arrived; returns all that match."""
        async with asyncio.timeout(within), self.arrived:
            await self.arrived.wait_for(lambda: len(self.messages(action, where)) >= count)
        return self.messages(action, where)


class _CsmsDispatcher:
    def __init__(self, csms: FakeCsms, link_getter: Callable[[], StationLink]) -> None:
        self._csms = csms
        self._link = link_getter

    def supports(self, action: str) -> bool:
        return action in _ANSWERS

    def answered(self, action: str) -> None:
        pass

    async def handle(self, action: str, payload: Payload) -> Payload:
        link = self._link()
        link.received.append((action, payload))
        async with link.arrived:
            link.arrived.notify_all()
        return _ANSWERS[action](self._csms, link, payload)


def _boot(csms: FakeCsms, link: StationLink, payload: Payload) -> Payload:
    status, interval = csms.boot_answers.pop(0) if csms.boot_answers else ("Accepted", csms.heartbeat_interval)
    return {"status": status, "currentTime": _now(), "interval": interval}


def _id_status(csms: FakeCsms, token: str) -> str:
    return "Invalid" if token in csms.invalid_tokens else "Accepted"


def _authorize(csms: FakeCsms, link: StationLink, payload: Payload) -> Payload:
    if link.version is OcppVersion.V16:
        return {"idTagInfo": {"status": _id_status(csms, payload["idTag"])}}
    return {"idTokenInfo": {"status": _id_status(csms, payload["idToken"]["idToken"])}}


def _start(csms: FakeCsms, link: StationLink, payload: Payload) -> Payload:
    return {"transactionId": next(csms.tx_ids), "idTagInfo": {"status": _id_status(csms, payload["idTag"])}}


def _stop(csms: FakeCsms, link: StationLink, payload: Payload) -> Payload:
    if "idTag" in payload:
        return {"idTagInfo": {"status": _id_status(csms, payload["idTag"])}}
    return {}


def _transaction_event(csms: FakeCsms, link: StationLink, payload: Payload) -> Payload:
    token = payload.get("idToken")
    if token is None:
        return {}
    return {"idTokenInfo": {"status": _id_status(csms, token["idToken"])}}


def _heartbeat(csms: FakeCsms, link: StationLink, payload: Payload) -> Payload:
    return {"currentTime": _now()}


def _empty(csms: FakeCsms, link: StationLink, payload: Payload) -> Payload:
    return {}


_ANSWERS: dict[str, Callable[[FakeCsms, StationLink, Payload], Payload]] = {
    "BootNotification": _boot,
    "Heartbeat": _heartbeat,
    "StatusNotification": _empty,
    "Authorize": _authorize,
    "StartTransaction": _start,
    "StopTransaction": _stop,
    "MeterValues": _empty,
    "TransactionEvent": _transaction_event,
}


class FakeCsms:
    """`async with FakeCsms() as csms:` then connect stations to `csms.url` and `await csms.link(id)`."""

    def __init__(self, *, heartbeat_interval: int = 60) -> None:
        self.heartbeat_interval = heartbeat_interval
        self.boot_answers: list[tuple[str, int]] = []  # consumed one per BootNotification, then Accepted
        self.invalid_tokens: set[str] = set()
        self.tx_ids = itertools.count(1001)
        self.links: dict[str, StationLink] = {}
        self._server: Server | None = None
        self._connected = asyncio.Condition()
        self.url = ""

    async def __aenter__(self) -> Self:
        self._server = await serve(
            self._handler,
            "127.0.0.1",
            0,
            subprotocols=[Subprotocol(v.value) for v in OcppVersion],
        )
        port = next(iter(self._server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/ocpp"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def link(self, station_id: str, within: float = 5.0) -> StationLink:
        """The link of `station_id`, waiting for it to connect."""
        async with asyncio.timeout(within), self._connected:
            await self._connected.wait_for(lambda: station_id in self.links)
        return self.links[station_id]

    async def _handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        station_id = ws.request.path.rsplit("/", 1)[-1]
        version = OcppVersion(str(ws.subprotocol))
        transcript: list[tuple[str, bytes]] = []

        async def send(data: bytes) -> None:
            transcript.append(("out", data))
            await ws.send(data, text=True)

        holder: list[StationLink] = []
        session = RpcSession(version, send, _CsmsDispatcher(self, lambda: holder[0]), _SCHEMAS, call_timeout=5.0)
        link = StationLink(
            station_id,
            version,
            {k.lower(): v for k, v in ws.request.headers.raw_items()},
            session,
            transcript=transcript,
        )
        holder.append(link)
        self.links[station_id] = link
        async with self._connected:
            self._connected.notify_all()
        try:
            async for message in ws:
                transcript.append(("in", message.encode() if isinstance(message, str) else bytes(message)))
                await session.on_message(message)
        except ConnectionClosed:
            pass
        finally:
            session.close()
            link.closed.set()
