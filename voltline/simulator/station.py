"""A simulated charge point speaking OCPP 1.6J or 2.0.1 over a real WebSocket."""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from voltline.ocppj import (
    CallErrorReceived,
    CallTimeout,
    OcppVersion,
    RpcSession,
    SchemaRegistry,
    SessionClosed,
    shared_registry,
)
from voltline.simulator.device_model import DeviceModel
from voltline.simulator.handle import ConnectorState
from voltline.simulator.handlers import StationDispatcher
from voltline.simulator.local_list import LocalAuthList
from voltline.simulator.messages import (
    Payload,
    StationInfo,
    StationMessages,
    Transaction,
    V16Messages,
    V201Messages,
)
from voltline.simulator.meter import EnergyMeter

logger = logging.getLogger("voltline.simulator")

# Used when the CSMS answers a BootNotification with interval 0 ("choose yourself").
DEFAULT_BOOT_RETRY_S = 30.0
DEFAULT_HEARTBEAT_S = 300.0


def parse_version(version: OcppVersion | str) -> OcppVersion:
    """Accept an `OcppVersion`, its subprotocol name ("ocpp1.6") or the bare number ("1.6", "2.0.1")."""
    if isinstance(version, OcppVersion):
        return version
    text = version.strip().lower()
    for candidate in OcppVersion:
        if text in (candidate.value, candidate.value.removeprefix("ocpp")):
            return candidate
    raise ValueError(f"unsupported OCPP version {version!r} (use 1.6 or 2.0.1)")


@cache
def _shared_schemas() -> SchemaRegistry:
    # One registry for every station of the process: a fleet compiles each validator once.
    return shared_registry()


@dataclass(frozen=True, slots=True)
class StationEvent:
    """Something worth telling a human about (the CLI prints these)."""

    kind: str  # connected, booted, status, tx_started, tx_stopped, command, disconnected
    detail: str
    connector_id: int | None = None

    def __str__(self) -> str:
        where = f" [{self.connector_id}]" if self.connector_id is not None else ""
        return f"{self.kind}{where}: {self.detail}"


class SimulatedStation:
    """One charge point. Drive it step by step (boot, start_transaction, ...) or let `run()` drive it."""

    def __init__(
        self,
        url: str,
        station_id: str,
        version: OcppVersion | str,
        *,
        password: str | None = None,
        connectors: int = 1,
        meter_interval: float = 5.0,
        power_w: float = 11_000.0,
        vendor: str = "Voltline",
        model: str = "SimCP",
        serial: str | None = None,
        firmware: str = "1.0.0",
        call_timeout: float = 10.0,
        time_scale: float = 1.0,
        on_event: Callable[[StationEvent], None] | None = None,
    ) -> None:
        if connectors < 1:
            raise ValueError("a station needs at least one connector")
        self.url = url.rstrip("/")
        self.station_id = station_id
        self.version = parse_version(version)
        self.password = password
        self.meter_interval = meter_interval
        self.call_timeout = call_timeout
        self.info = StationInfo(vendor=vendor, model=model, serial=serial or f"SIM-{station_id}", firmware=firmware)
        self.messages: StationMessages = V16Messages() if self.version is OcppVersion.V16 else V201Messages()
        self.connectors: dict[int, ConnectorState] = {
            n: ConnectorState(n, EnergyMeter(power_w, time_scale=time_scale)) for n in range(1, connectors + 1)
        }
        self.transcript: list[tuple[str, bytes]] = []
        self.registration_status: str | None = None
        self.heartbeat_interval: float = 0.0
        self.events: list[StationEvent] = []
        # CSMS-initiated actions this station receives but never answers (to play a station that hangs).
        self.ignored_actions: set[str] = set()
        # The local authorization list the CSMS sent (simulator/local_list.py); kept across reconnects.
        self.local_list = LocalAuthList()
        # OCPP 2.0.1 display messages by id, as set by the CSMS (simulator/display.py).
        self.display_messages: dict[int, Payload] = {}
        # Configuration keys (1.6) or device model (2.0.1) the CSMS reads and writes (simulator/device_model.py).
        self.device_model = DeviceModel.for_station(self.version, connectors)
        self._on_event = on_event
        self._ws: ClientConnection | None = None
        self._session: RpcSession | None = None
        self._reader: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._done = asyncio.Event()  # set when closed or when the connection is lost
        self._closing = False

    # ------------------------------------------------------------------ connection

    @property
    def connected(self) -> bool:
        return self._session is not None and not self._done.is_set()

    async def connect(self) -> None:
        """Open the WebSocket (subprotocol of the version, Basic auth when a password is set)."""
        if self.connected:
            raise RuntimeError("already connected")
        headers: dict[str, str] = {}
        if self.password is not None:
            token = base64.b64encode(f"{self.station_id}:{self.password}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        ws = await connect(
            f"{self.url}/{quote(self.station_id, safe='')}",
            subprotocols=[Subprotocol(self.version.value)],
            additional_headers=headers,
            open_timeout=self.call_timeout,
        )
        if ws.subprotocol != self.version.value:
            await ws.close()
            raise ConnectionError(f"CSMS did not accept subprotocol {self.version.value} (got {ws.subprotocol!r})")
        self._ws = ws
        self._closing = False
        self._done.clear()
        self._session = RpcSession(
            self.version,
            self._send,
            StationDispatcher(self),
            _shared_schemas(),
            call_timeout=self.call_timeout,
            logger=logger,
        )
        self._reader = asyncio.create_task(self._read(ws, self._session), name=f"sim-reader-{self.station_id}")
        self.emit("connected", f"{self.url}/{self.station_id} as {self.version.value}")

    async def _send(self, data: bytes) -> None:
        ws = self._ws
        if ws is None:
            raise ConnectionError("not connected")
        self.transcript.append(("out", data))
        await ws.send(data, text=True)

    async def _read(self, ws: ClientConnection, session: RpcSession) -> None:
        try:
            async for message in ws:
                raw = message.encode() if isinstance(message, str) else bytes(message)
                self.transcript.append(("in", raw))
                await session.on_message(message)
        except ConnectionClosed:
            pass
        finally:
            session.close("connection closed")
            if not self._closing:
                self.emit("disconnected", f"code {ws.close_code} {ws.close_reason or ''}".rstrip())
            self._done.set()

    async def close(self) -> None:
        """Stop every background task and close the connection."""
        self._closing = True
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            self._session.close("station closed")
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None and self._reader is not current:
            await asyncio.gather(self._reader, return_exceptions=True)
        self._done.set()
        self._session = None
        self._ws = None
        self._reader = None

    # ------------------------------------------------------------------ plumbing

    def emit(self, kind: str, detail: str, connector_id: int | None = None) -> None:
        event = StationEvent(kind, detail, connector_id)
        self.events.append(event)
        logger.debug("%s %s", self.station_id, event)
        if self._on_event is not None:
            self._on_event(event)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run follow-up work (never inside a CALL handler: the reader must stay free)."""
        task = asyncio.create_task(coro, name=f"sim-{self.station_id}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and not isinstance(exc, SessionClosed | ConnectionError):
            logger.error("%s: %s failed: %r", self.station_id, task.get_name(), exc, exc_info=exc)

    def connector(self, connector_id: int) -> ConnectorState:
        try:
            return self.connectors[connector_id]
        except KeyError:
            raise ValueError(f"station {self.station_id} has no connector {connector_id}") from None

    async def call(self, action: str, payload: Payload) -> Payload:
        """Send a raw CALL and return the CALLRESULT payload (raises the engine's errors)."""
        if self._session is None:
            raise ConnectionError("not connected")
        return await self._session.call(action, payload)

    # ------------------------------------------------------------------ messages the station sends

    async def boot(self, reason: str = "PowerUp") -> Payload:
        answer = await self.call(*self.messages.boot(self.info, reason))
        self.registration_status = str(answer.get("status"))
        self.heartbeat_interval = float(answer.get("interval", 0))
        self.emit("booted", f"{self.registration_status}, interval {answer.get('interval')}s")
        return answer

    async def heartbeat(self) -> Payload:
        return await self.call(*self.messages.heartbeat())

    async def send_status(
        self, connector_id: int, status: str, error_code: str = "NoError", info: str | None = None
    ) -> Payload:
        action, payload = self.messages.status(connector_id, status, error_code, info)
        state = self.connectors.get(connector_id)
        if state is not None:
            state.status = status
            state.sent_status = self.messages.wire_status(status)
        answer = await self.call(action, payload)
        self.emit("status", self.messages.wire_status(status), connector_id)
        return answer

    async def set_status(self, connector_id: int, status: str) -> None:
        """Record a status and report it only if what goes on the wire changes (2.0.1 folds several)."""
        state = self.connector(connector_id)
        if self.messages.wire_status(status) == state.sent_status:
            state.status = status
            return
        await self.send_status(connector_id, status)

    async def authorize(self, id_token: str) -> Payload:
        return await self.call(*self.messages.authorize(id_token))

    async def start_transaction(self, connector_id: int, id_token: str, remote_start_id: int | None = None) -> Payload:
        return await self._start(connector_id, id_token, remote_start_id, "ISO14443")

    async def _start(
        self, connector_id: int, id_token: str, remote_start_id: int | None, id_token_type: str
    ) -> Payload:
        state = self.connector(connector_id)
        if state.transaction is not None:
            raise RuntimeError(f"connector {connector_id} already has a transaction")
        tx = Transaction(connector_id, id_token, id_token_type, remote_start_id)
        if self.version is OcppVersion.V201:
            tx.station_tx_id = str(uuid.uuid4())
        sample = state.meter.sample()
        action, payload = self.messages.start(tx, sample)
        state.transaction = tx
        state.meter.start_charging()
        try:
            answer = await self.call(action, payload)
        except BaseException:
            state.meter.stop_charging()
            state.transaction = None
            raise
        if self.version is OcppVersion.V16:
            tx.station_tx_id = int(answer["transactionId"])
        self.emit(
            "tx_started",
            f"{tx.station_tx_id} for {id_token} ({self.messages.authorization_status(answer)}),"
            f" meter {sample.energy_wh} Wh",
            connector_id,
        )
        return answer

    async def send_meter_values(self, connector_id: int) -> Payload:
        return await self.send_meter_sample(connector_id, "Sample.Periodic")

    async def send_meter_sample(self, connector_id: int, context: str, *, transactional: bool = True) -> Payload:
        """A meter reading; in 2.0.1 part of the transaction (TransactionEvent Updated) unless
        `transactional` is False or none is running (then MeterValues)."""
        state = self.connector(connector_id)
        sample = state.meter.sample()
        tx = state.transaction if transactional or self.version is OcppVersion.V16 else None
        return await self.call(*self.messages.meter(connector_id, tx, sample, context))

    async def stop_transaction(self, connector_id: int, reason: str = "Local", id_token: str | None = None) -> Payload:
        state = self.connector(connector_id)
        tx = state.transaction
        if tx is None:
            raise RuntimeError(f"connector {connector_id} has no transaction")
        await self._stop_meter_loop(state)
        state.meter.stop_charging()
        sample = state.meter.sample()
        action, payload = self.messages.stop(tx, sample, reason, id_token)
        state.transaction = None
        answer = await self.call(action, payload)
        self.emit("tx_stopped", f"{tx.station_tx_id} ({reason}), meter {sample.energy_wh} Wh", connector_id)
        return answer

    def energy_wh(self, connector_id: int) -> int:
        return self.connector(connector_id).meter.energy_wh

    def transaction_id(self, connector_id: int) -> int | str | None:
        tx = self.connector(connector_id).transaction
        return tx.station_tx_id if tx is not None else None

    # ------------------------------------------------------------------ flows started by the CSMS

    async def remote_start_flow(
        self, connector_id: int, id_token: str, id_token_type: str, remote_start_id: int | None
    ) -> None:
        """Preparing, start the transaction, Charging, then periodic meter values."""
        state = self.connector(connector_id)
        async with state.flow_lock:
            try:
                await self.set_status(connector_id, "Preparing")
                answer = await self._start(connector_id, id_token, remote_start_id, id_token_type)
            finally:
                state.starting = False
            if self.messages.authorization_status(answer) != "Accepted":
                await self._finish(state, "DeAuthorized")
                return
            await self.set_status(connector_id, "Charging")
            self.start_meter_loop(state)

    async def remote_stop_flow(
        self, connector_id: int, reason: str = "Remote", station_tx_id: int | str | None = None
    ) -> None:
        """Stop the transaction (the one with `station_tx_id`, when given), then Finishing, Available."""
        state = self.connector(connector_id)
        async with state.flow_lock:
            tx = state.transaction
            if tx is None or (station_tx_id is not None and tx.station_tx_id != station_tx_id):
                if tx is not None:
                    tx.stopping = False  # the request was for another transaction: this one goes on
                logger.info("%s: nothing to stop on connector %d", self.station_id, connector_id)
                return
            await self._finish(state, reason)

    async def _finish(self, state: ConnectorState, reason: str) -> None:
        await self.stop_transaction(state.connector_id, reason=reason)
        await self.set_status(state.connector_id, "Finishing")
        await self.set_status(state.connector_id, "Available" if state.operative else "Unavailable")

    def start_meter_loop(self, state: ConnectorState) -> None:
        if state.transaction is None or (state.meter_task is not None and not state.meter_task.done()):
            return
        state.meter_stop = asyncio.Event()
        state.meter_task = self.spawn(
            self._meter_loop(state, state.transaction, state.meter_stop), f"meter-{state.connector_id}"
        )

    async def _meter_loop(self, state: ConnectorState, tx: Transaction, stop: asyncio.Event) -> None:
        while state.transaction is tx:
            try:
                await asyncio.wait_for(stop.wait(), self.meter_interval)
                return
            except TimeoutError:
                pass
            if state.transaction is not tx:
                return
            try:
                await self.send_meter_values(state.connector_id)
            except (CallErrorReceived, CallTimeout) as exc:
                logger.warning("%s: MeterValues on %d failed: %s", self.station_id, state.connector_id, exc)
            except SessionClosed:
                return

    async def _stop_meter_loop(self, state: ConnectorState) -> None:
        task = state.meter_task
        state.meter_stop.set()
        state.meter_task = None
        # Let a MeterValues already on its way finish, so nothing of this transaction follows its end.
        if task is not None and task is not asyncio.current_task():
            await asyncio.gather(task, return_exceptions=True)

    # ------------------------------------------------------------------ autonomous mode

    async def run(self) -> None:
        """Boot (retry while not Accepted), report every connector, heartbeat; the CSMS drives charging.

        Returns when `close()` is called; raises ConnectionError when the connection is lost.
        """
        if not self.connected:
            await self.connect()
        try:
            while True:
                answer = await self.boot()
                if answer.get("status") == "Accepted":
                    break
                if await self._wait_done(self.heartbeat_interval or DEFAULT_BOOT_RETRY_S):
                    return
            for connector_id, state in self.connectors.items():
                await self.send_status(connector_id, state.status if state.operative else "Unavailable")
            while not await self._wait_done(self.heartbeat_interval or DEFAULT_HEARTBEAT_S):
                await self.heartbeat()
        except SessionClosed:
            if self._closing:
                return
            raise ConnectionError(f"{self.station_id}: connection to the CSMS lost") from None
        except asyncio.CancelledError:
            await self.close()
            raise

    async def _wait_done(self, delay: float) -> bool:
        """Sleep `delay` seconds; True if the station was closed meanwhile."""
        try:
            await asyncio.wait_for(self._done.wait(), delay)
        except TimeoutError:
            return False
        if self._closing:
            return True
        raise ConnectionError(f"{self.station_id}: connection to the CSMS lost")


async def run_fleet(
    url: str, ids: list[str], version: OcppVersion | str, *, stagger: float = 0.0, **kw: Any
) -> list[BaseException | None]:
    """Run one autonomous station per id until cancelled; returns each station's failure (or None)."""
    stations = [SimulatedStation(url, station_id, version, **kw) for station_id in ids]

    async def one(index: int, station: SimulatedStation) -> None:
        if stagger:
            await asyncio.sleep(stagger * index)
        await station.run()

    try:
        results = await asyncio.gather(*(one(i, s) for i, s in enumerate(stations)), return_exceptions=True)
    finally:
        await asyncio.gather(*(s.close() for s in stations), return_exceptions=True)
    return [r if isinstance(r, BaseException) else None for r in results]
