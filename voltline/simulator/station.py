"""A simulated charge point speaking OCPP 1.6J or 2.0.1 over a real WebSocket."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.typing import Subprotocol

from voltline.ocppj import (
    CallErrorReceived,
    CallTimeout,
    InvalidCall,
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
    FAULT_STOP_REASONS,
    V16_ERROR_CODES,
    Payload,
    StationInfo,
    StationMessages,
    Transaction,
    V16Messages,
    V201Messages,
)
from voltline.simulator.meter import EnergyMeter
from voltline.simulator.outbox import Outbox, QueuedMessage
from voltline.simulator.smart_charging import (
    ChargingProfiles,
    next_limit_change,
    offered_limit,
    unlimited_power_w,
)
from voltline.simulator.vehicle import ElectricVehicle

logger = logging.getLogger("voltline.simulator")

# Used when the CSMS answers a BootNotification with interval 0 ("choose yourself").
DEFAULT_BOOT_RETRY_S = 30.0
DEFAULT_HEARTBEAT_S = 300.0
# Handshake refusals that waiting cannot cure (unknown station, wrong password): a human must act.
FATAL_HANDSHAKE_STATUSES = frozenset({401, 403, 404})
# How often a queued message whose answer did not come in time is sent again before it is given up.
QUEUED_MESSAGE_ATTEMPTS = 3
# A car is woken this much after the instant its offer changes (or it is full): a timer that fires a hair
# early would find nothing changed yet.
WAKE_MARGIN_S = 0.001


class StationRefused(ConnectionError):
    """The CSMS refused the WebSocket handshake in a way retrying cannot change (HTTP 401, 403, 404)."""


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

    # connected, booted, status, tx_started, tx_stopped, command, disconnected, reconnecting, offline,
    # online, reset, charging (the status line, once per meter sample); status also tells a change of the
    # car's charging state (SuspendedEV, SuspendedEVSE, Charging)
    kind: str
    detail: str
    connector_id: int | None = None

    def __str__(self) -> str:
        where = f" [{self.connector_id}]" if self.connector_id is not None else ""
        return f"{self.kind}{where}: {self.detail}"


class SimulatedStation:
    """One charge point. Drive it step by step (boot, start_transaction, ...) or let `run()` drive it.

    Under `run()` it behaves as a real station does: with `reconnect` it reconnects with exponential
    back-off and jitter when the connection is lost, keeping its state (a transaction goes on) and queueing
    its transaction messages until it is back; with `reboot_on_reset` a Reset stops its transactions,
    drops the connection and boots again. Both are off by default, for tests that drive one connection.

    Each connector charges the car plugged into it (`plug(n, ev=ElectricVehicle(...))`), or else the
    station's default car: `ev_max_current_a` per phase on `ev_phases` phases, at most `power_w` in total
    when given. The car draws what the composite limit of the charging profiles the CSMS installed offers
    it, per phase (simulator/vehicle.py): re-evaluated when a profile is installed or cleared, at every
    meter sample, and at the instant the limit changes next (a schedule's next period). It pauses under an
    offer below 6 A (SuspendedEVSE) and stops once it has the energy it wanted (SuspendedEV); both are
    reported as a real station reports them. `profiles_survive_reboot=False` plays a station that forgets
    its profiles when it reboots or reconnects.
    """

    def __init__(
        self,
        url: str,
        station_id: str,
        version: OcppVersion | str,
        *,
        password: str | None = None,
        connectors: int = 1,
        meter_interval: float = 5.0,
        power_w: float | None = None,
        ev_max_current_a: float = 32.0,
        ev_phases: int = 3,
        profiles_survive_reboot: bool = True,
        vendor: str = "Voltline",
        model: str = "SimCP",
        serial: str | None = None,
        firmware: str = "1.0.0",
        call_timeout: float = 10.0,
        time_scale: float = 1.0,
        on_event: Callable[[StationEvent], None] | None = None,
        reconnect: bool = False,
        reconnect_initial: float = 1.0,
        reconnect_max: float = 60.0,
        reboot_on_reset: bool = False,
        reboot_delay: float = 1.0,
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
        # The car a connector charges when none was plugged in with `plug(n, ev=...)` (remote starts too).
        self.default_ev = ElectricVehicle(max_current_a=ev_max_current_a, phases=ev_phases, max_power_w=power_w)
        self.connectors: dict[int, ConnectorState] = {
            n: ConnectorState(n, EnergyMeter(unlimited_power_w(self.default_ev), time_scale=time_scale))
            for n in range(1, connectors + 1)
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
        # The charging profiles the CSMS installed (simulator/smart_charging.py).
        self.charging_profiles = ChargingProfiles(on_change=self._profiles_changed)
        self.profiles_survive_reboot = profiles_survive_reboot
        self.reconnect = reconnect
        self.reconnect_initial = reconnect_initial
        self.reconnect_max = reconnect_max
        self.reboot_on_reset = reboot_on_reset
        self.reboot_delay = reboot_delay
        # Transaction messages waiting for the connection (simulator/outbox.py).
        self.outbox = Outbox()
        self._on_event = on_event
        # run() owns the connection: messages wait for it instead of failing.
        self._supervised = False
        # Booted (or accepted before) on this connection: other messages may go out.
        self._online = False
        # Online and the outbox drained: transaction messages go straight out instead of behind the queue.
        self._ready = False
        self._online_wanted = asyncio.Event()  # cleared by go_offline(): run() stays away until go_online()
        self._online_wanted.set()
        self._wake = asyncio.Event()  # wakes run() waiting offline (go_online, close)
        self._shutdown = asyncio.Event()  # close() was called: run() returns
        self._reboot_reason: str | None = None  # the boot reason after a Reset's reboot
        self._reset_when_idle = False  # a 2.0.1 Reset OnIdle waits for the transactions to end
        self._ws: ClientConnection | None = None
        self._session: RpcSession | None = None
        self._reader: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._done = asyncio.Event()  # set when closed or when the connection is lost
        # Set while the last boot was Accepted: a boot the CSMS triggered (TriggerMessage BootNotification,
        # as it does when an operator approves a Pending station) ends the wait for the next boot retry.
        self._boot_accepted = asyncio.Event()
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
        try:
            ws = await connect(
                f"{self.url}/{quote(self.station_id, safe='')}",
                subprotocols=[Subprotocol(self.version.value)],
                additional_headers=headers,
                open_timeout=self.call_timeout,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in FATAL_HANDSHAKE_STATUSES:
                raise StationRefused(
                    f"the CSMS refused {self.station_id} (HTTP {status}): is the station registered"
                    " and its password right?"
                ) from exc
            raise
        if ws.subprotocol != self.version.value:
            await ws.close()
            raise StationRefused(f"CSMS did not accept subprotocol {self.version.value} (got {ws.subprotocol!r})")
        self._ws = ws
        if not self._supervised:
            # Step by step, a closed station may connect again; under run() only run() decides that.
            self._closing = False
            self._shutdown.clear()
        self._done.clear()
        if not self.profiles_survive_reboot:
            self.charging_profiles.clear()  # kept in volatile memory: a reboot or a new connection loses them
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
            self._online = self._ready = False
            if not self._closing:
                self.emit("disconnected", f"code {ws.close_code} {ws.close_reason or ''}".rstrip())
            self._done.set()

    async def close(self) -> None:
        """Stop every background task and close the connection (`run()` returns)."""
        self._closing = True
        self._shutdown.set()
        self._wake.set()
        self._online = self._ready = False
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        for state in self.connectors.values():
            self._cancel_wake(state)  # a closed station follows no schedule (the next sample wakes it again)
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

    async def _drop_connection(self, *, abrupt: bool) -> None:
        """End the connection but not the station: run() reconnects (a reboot, a network loss)."""
        ws, reader = self._ws, self._reader
        if ws is None or self._done.is_set():
            return
        if abrupt:
            ws.transport.abort()  # as a cut cable: no closing handshake
        else:
            await ws.close()
        if reader is not None and reader is not asyncio.current_task():
            await asyncio.gather(reader, return_exceptions=True)

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

    async def _send_transaction_message(
        self,
        action: str,
        payload: Payload,
        tx: Transaction,
        on_answer: Callable[[Payload], Any] | None = None,
    ) -> Payload | None:
        """Send a message of a transaction, or queue it (None) when it cannot go out now, as real stations
        do: the CSMS needs every one of them, in order, to bill. Step by step (no `run()`), errors raise."""
        message = QueuedMessage(self.outbox.next_seq(), action, payload, tx, on_answer)
        if not self._supervised:
            answer = await self.call(action, payload)
        elif not self._ready:
            if not self._online:
                self.messages.mark_offline(action, payload)
            self.outbox.add(message)
            return None
        else:
            try:
                answer = await self.call(action, payload)
            except (SessionClosed, ConnectionError):
                # Lost with the connection, maybe after the CSMS got it: sent again (a duplicate is harmless).
                self.outbox.add(message)
                return None
        if on_answer is not None:
            on_answer(answer)
        return answer

    async def _drain_outbox(self) -> None:
        """Deliver the queued transaction messages oldest first; then new ones go straight out again."""
        delivered = 0
        while self.outbox:
            message = self.outbox.pop()
            payload = message.payload
            if message.tx is not None:
                payload = self.messages.bind_transaction(message.action, payload, message.tx)
            try:
                answer = await self.call(message.action, payload)
            except (SessionClosed, ConnectionError):
                self.outbox.add(message)
                raise
            except CallTimeout:
                message.attempts += 1
                if message.attempts < QUEUED_MESSAGE_ATTEMPTS:
                    self.outbox.add(message)
                else:
                    logger.warning(
                        "%s: queued %s given up after %d attempts", self.station_id, message.action, message.attempts
                    )
                continue
            except (CallErrorReceived, InvalidCall) as exc:
                # Refused, or never valid (a stop whose start the CSMS refused has no transactionId): a
                # station drops it rather than block the queue behind it.
                logger.warning("%s: queued %s dropped: %s", self.station_id, message.action, exc)
                continue
            delivered += 1
            if message.on_answer is not None:
                message.on_answer(answer)
        self._ready = True  # no await since the queue was seen empty: nothing can slip in between
        if delivered:
            self.emit("online", f"{delivered} queued message(s) delivered")

    # ------------------------------------------------------------------ messages the station sends

    async def boot(self, reason: str = "PowerUp") -> Payload:
        answer = await self.call(*self.messages.boot(self.info, reason))
        self.registration_status = str(answer.get("status"))
        self.heartbeat_interval = float(answer.get("interval", 0))
        if self.registration_status == "Accepted":
            self._boot_accepted.set()
        else:
            self._boot_accepted.clear()
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
        if self._supervised and not self._online:
            # Not queued: every connector's status is reported again once the station is back.
            self.emit("status", f"{self.messages.wire_status(status)} (offline, reported on reconnect)", connector_id)
            return {}
        try:
            answer = await self.call(action, payload)
        except (SessionClosed, ConnectionError):
            if not self._supervised:
                raise
            return {}
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
        tx.meter_start_wh = sample.energy_wh
        state.transaction = tx
        state.authorized_token = None
        state.meter.start_charging()
        # A TxProfile a remote start carried holds from the first instant; the start itself says whether
        # the car begins charging or suspended (2.0.1 chargingState; 1.6 the status the start flow sends).
        self._follow_limit(state, report=False)
        tx.reported_charging_state = tx.charging_state
        action, payload = self.messages.start(tx, sample)
        queued = False

        def answered(answer: Payload) -> None:
            if self.version is OcppVersion.V16:
                tx.station_tx_id = int(answer["transactionId"])
            verdict = self.messages.authorization_status(answer)
            if queued and verdict != "Accepted" and state.transaction is tx and not tx.stopping:
                # Started offline for a token the CSMS now refuses: stop it (1.6 StopTransactionOnInvalidId,
                # 2.0.1 StopTxOnInvalidId).
                tx.stopping = True
                self.spawn(self.remote_stop_flow(connector_id, "DeAuthorized", tx.station_tx_id), "deauthorize")

        try:
            answer = await self._send_transaction_message(action, payload, tx, answered)
        except BaseException:
            state.meter.stop_charging()
            self._cancel_wake(state)
            state.transaction = None
            raise
        if answer is None:
            queued = True
            self.emit(
                "tx_started",
                f"{tx.station_tx_id or '(id on delivery)'} for {id_token} (offline: queued),"
                f" meter {sample.energy_wh} Wh",
                connector_id,
            )
            return {}
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
        self._follow_limit(state)
        running = state.transaction
        if running is not None and not running.stopping:
            # A change of the charging state goes out before a reading that shows it (2.0.1 chargingState).
            await self._tell_charging_state(state, running)
        sample = state.meter.sample()
        tx = state.transaction if transactional or self.version is OcppVersion.V16 else None
        action, payload = self.messages.meter(connector_id, tx, sample, context)
        if tx is None:
            return await self.call(action, payload)
        return await self._send_transaction_message(action, payload, tx) or {}

    async def stop_transaction(self, connector_id: int, reason: str = "Local", id_token: str | None = None) -> Payload:
        state = self.connector(connector_id)
        tx = state.transaction
        if tx is None:
            raise RuntimeError(f"connector {connector_id} has no transaction")
        if not self._supervised and self.version is OcppVersion.V16 and not isinstance(tx.station_tx_id, int):
            raise RuntimeError(f"connector {connector_id}: the CSMS never assigned a transactionId")
        await self._stop_meter_loop(state)
        state.meter.stop_charging()
        self._cancel_wake(state)
        sample = state.meter.sample()
        action, payload = self.messages.stop(tx, sample, reason, id_token)
        state.transaction = None
        self.charging_profiles.transaction_ended(connector_id)
        try:
            answer = await self._send_transaction_message(action, payload, tx)
        finally:
            self._transaction_ended()
        queued = " (offline: queued)" if answer is None else ""
        self.emit("tx_stopped", f"{tx.station_tx_id} ({reason}), meter {sample.energy_wh} Wh{queued}", connector_id)
        return answer or {}

    def car(self, connector_id: int) -> ElectricVehicle:
        """The car at the connector: the one plugged in with `plug(..., ev=...)`, else the default car."""
        return self.connector(connector_id).ev or self.default_ev

    def _profiles_changed(self, installed: int) -> None:
        """A profile was installed or removed: the 2.0.1 device model counts them, and every car follows
        its new limit at once (a real EVSE changes its PWM offer then, not at the next meter sample)."""
        self.device_model.record_installed_profiles(installed)
        for state in self.connectors.values():
            self._follow_limit(state)

    def _follow_limit(self, state: ConnectorState, *, report: bool = True) -> None:
        """While charging, the car draws what the composite limit offers it now; a change of its charging
        state is reported (unless `report` is False: the start reports it), and the car is woken again
        when the limit changes next or when it will be full."""
        self._cancel_wake(state)
        meter, tx = state.meter, state.transaction
        if not meter.charging or tx is None:
            return
        ev = self.car(state.connector_id)
        offer = offered_limit(self.charging_profiles, state)
        meter.advance()
        draw = ev.draw(offer, meter.register_wh - tx.meter_start_wh)
        full_at = None if ev.energy_wanted_wh is None else tx.meter_start_wh + ev.energy_wanted_wh
        meter.set_power(draw.power_w, draw.phases, offered_a=offer.value, stop_at_wh=full_at)
        if draw.state != tx.charging_state:
            tx.charging_state = draw.state
            if report and not tx.stopping:
                self.spawn(self._report_charging_state(state, tx), f"charging-state-{state.connector_id}")
        self._schedule_wake(state)

    def _schedule_wake(self, state: ConnectorState) -> None:
        """Wake the car at the next change of its limit (a price-aware schedule's 03:00 period starts at
        03:00, not at the sample after it) or when it will be full, whichever comes first."""
        delays: list[float] = []
        change = next_limit_change(self.charging_profiles, state)
        if change is not None:
            delays.append((change - self.charging_profiles.clock()).total_seconds())
        until_full = state.meter.seconds_until_stop()
        if until_full is not None:
            delays.append(until_full)
        if not delays:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # driven without an event loop: the next sample re-evaluates
        state.wake = loop.call_later(max(0.0, min(delays)) + WAKE_MARGIN_S, self._woken, state)

    def _woken(self, state: ConnectorState) -> None:
        state.wake = None
        self._follow_limit(state)

    @staticmethod
    def _cancel_wake(state: ConnectorState) -> None:
        if state.wake is not None:
            state.wake.cancel()
            state.wake = None

    async def _report_charging_state(self, state: ConnectorState, tx: Transaction) -> None:
        """Report a change of the car's charging state once the connector's flow (a start under way) is
        done: a start flow reports the state it finds itself, so nothing stale follows it."""
        async with state.flow_lock:
            if state.transaction is not tx or tx.stopping:
                return  # ended meanwhile: the end says the rest
            try:
                await self._tell_charging_state(state, tx)
            except (CallErrorReceived, CallTimeout) as exc:
                logger.warning("%s: charging state on %d not reported: %s", self.station_id, state.connector_id, exc)

    async def _tell_charging_state(self, state: ConnectorState, tx: Transaction) -> None:
        """Tell the CSMS the car's charging state if it changed since it was last told: 1.6 as the
        connector's status, 2.0.1 as TransactionEvent Updated with triggerReason ChargingStateChanged."""
        if tx.charging_state == tx.reported_charging_state:
            return
        tx.reported_charging_state = tx.charging_state
        message = self.messages.charging_state_changed(tx)
        if message is None:
            await self.set_status(state.connector_id, tx.charging_state)
            return
        state.status = tx.charging_state  # folds into Occupied on the wire: no StatusNotification
        self.emit("status", f"{tx.charging_state} (TransactionEvent ChargingStateChanged)", state.connector_id)
        await self._send_transaction_message(*message, tx)

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
                if state.transaction is None:  # never started: the TxProfile it carried goes too
                    self.charging_profiles.transaction_ended(connector_id)
            if self.messages.authorization_status(answer) != "Accepted":
                await self._finish(state, "DeAuthorized")
                return
            await self.set_status(connector_id, self._charging_status(state))
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

    async def _finish(self, state: ConnectorState, reason: str, id_token: str | None = None) -> None:
        await self.stop_transaction(state.connector_id, reason=reason, id_token=id_token)
        await self.set_status(state.connector_id, "Finishing")
        if not state.plugged:  # with the cable still in, a station stays Finishing until it is pulled
            await self.set_status(state.connector_id, self._idle_status(state))

    @staticmethod
    def _charging_status(state: ConnectorState) -> str:
        """The status of a connector whose transaction just began: Charging, or the car is suspended."""
        tx = state.transaction
        return tx.charging_state if tx is not None else "Charging"

    @staticmethod
    def _idle_status(state: ConnectorState) -> str:
        if not state.operative:
            return "Unavailable"
        return "Preparing" if state.plugged or state.authorized_token is not None else "Available"

    def start_meter_loop(self, state: ConnectorState) -> None:
        if state.transaction is None or (state.meter_task is not None and not state.meter_task.done()):
            return
        state.meter_stop = asyncio.Event()
        state.meter_task = self.spawn(
            self._meter_loop(state, state.transaction, state.meter_stop), f"meter-{state.connector_id}"
        )

    async def _meter_loop(self, state: ConnectorState, tx: Transaction, stop: asyncio.Event) -> None:
        while state.transaction is tx:
            try:  # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation (bpo-42130)
                async with asyncio.timeout(self.meter_interval):
                    await stop.wait()
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
            finally:
                self._report_charging(state, tx)

    def _report_charging(self, state: ConnectorState, tx: Transaction) -> None:
        """The status line a station's display shows while charging: power, energy of the session, time."""
        meter = state.meter
        power_kw = (meter.power_w if meter.charging else 0.0) / 1000
        energy_kwh = (meter.energy_wh - tx.meter_start_wh) / 1000
        # Simulated time, as the energy is: with a time scale both move at the same pace.
        elapsed = int((time.monotonic() - tx.started_clock) * meter.time_scale)
        hours, rest = divmod(elapsed, 3600)
        clock = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
        suspended = "" if tx.charging_state == "Charging" else f" {tx.charging_state}"
        self.emit("charging", f"{power_kw:.1f} kW {energy_kwh:.2f} kWh {clock}{suspended}", state.connector_id)

    async def _stop_meter_loop(self, state: ConnectorState) -> None:
        task = state.meter_task
        state.meter_stop.set()
        state.meter_task = None
        # Let a MeterValues already on its way finish, so nothing of this transaction follows its end.
        if task is not None and task is not asyncio.current_task():
            await asyncio.gather(task, return_exceptions=True)

    # ------------------------------------------------------------------ Reset

    def _busy(self) -> bool:
        return any(s.transaction is not None or s.starting for s in self.connectors.values())

    def schedule_reset(self, kind: str, evse_id: int | None = None) -> None:
        """Act on an accepted Reset: Soft or Hard (1.6), Immediate or OnIdle (2.0.1); a 2.0.1 Reset of
        one EVSE ends its transaction and reboots nothing."""
        if not self.reboot_on_reset:
            return  # plays a station that answers Reset but never reboots
        if evse_id is not None:
            state = self.connector(evse_id)
            if kind == "Immediate" and state.transaction is not None and not state.transaction.stopping:
                state.transaction.stopping = True
                self.spawn(self.remote_stop_flow(evse_id, "ImmediateReset"), f"reset-evse-{evse_id}")
            return
        if kind == "OnIdle" and self._busy():
            self._reset_when_idle = True  # answered Scheduled: reboots once the last transaction ended
            self.emit("reset", "OnIdle: scheduled after the running transactions")
            return
        self.spawn(self._reboot(kind), "reset")

    def _transaction_ended(self) -> None:
        if self._reset_when_idle and not self._busy():
            self._reset_when_idle = False
            self.spawn(self._reboot("OnIdle"), "reset-on-idle")

    async def _reboot(self, kind: str) -> None:
        """Stop every transaction with the reason the spec names, then reboot: drop the connection; run()
        reconnects after `reboot_delay` and boots with reason RemoteReset."""
        self._reset_when_idle = False
        self.emit("reset", f"{kind}: stopping transactions and rebooting")
        reason = {"Soft": "SoftReset", "Hard": "HardReset"}.get(kind, "ImmediateReset")
        for state in self.connectors.values():
            async with state.flow_lock:
                if state.transaction is not None:
                    try:
                        await self.stop_transaction(state.connector_id, reason)
                    except (CallErrorReceived, CallTimeout) as exc:
                        logger.warning("%s: stop before reset failed: %s", self.station_id, exc)
        # What a reboot forgets: the registration and authorizations at the reader; meters, the local
        # list, the configuration, cables and faults stay.
        self.registration_status = None
        self._reboot_reason = "RemoteReset"
        for state in self.connectors.values():
            state.authorized_token = None
            state.starting = False
            state.sent_status = None
            if state.status != "Faulted":
                state.status = self._idle_status(state)
        await self._drop_connection(abrupt=False)

    # ------------------------------------------------------------------ what happens at the station

    def _connector_for_card(self, connector_id: int | None) -> ConnectorState | None:
        if connector_id is not None:
            state = self.connector(connector_id)
            return state if state.free else None
        free = [s for s in self.connectors.values() if s.free and s.authorized_token is None]
        # A connector whose cable is already in is the one the driver stands at.
        return next((s for s in free if s.plugged), free[0] if free else None)

    async def _verdict(self, id_token: str) -> str:
        """Authorize online; offline, the local authorization list decides (LocalAuthorizeOffline)."""
        if self._online or (not self._supervised and self.connected):
            try:
                answer = await self.authorize(id_token)
            except (SessionClosed, ConnectionError, CallTimeout):
                pass  # as offline
            except CallErrorReceived as exc:
                return f"Authorize failed ({exc.code})"
            else:
                return self.messages.authorization_status(answer)
        status = self.local_list.status_of(id_token)
        return status if status is not None else "unknown while offline (not in the local list)"

    async def swipe(self, id_token: str, connector_id: int | None = None) -> str:
        """A card held to the reader: it stops the transaction it started, or is authorized and starts one
        (at once when the cable is in, else when it is plugged in). Returns what the display would say."""
        states = [self.connector(connector_id)] if connector_id is not None else list(self.connectors.values())
        for state in states:
            tx = state.transaction
            if tx is not None and tx.id_token == id_token and not tx.stopping:
                tx.stopping = True
                async with state.flow_lock:
                    if state.transaction is not tx:
                        return f"connector {state.connector_id}: already stopped"
                    await self._finish(state, "Local", id_token)
                return f"connector {state.connector_id}: transaction {tx.station_tx_id} stopped by {id_token}"
            if state.authorized_token == id_token and tx is None:
                state.authorized_token = None
                await self.set_status(state.connector_id, self._idle_status(state))
                return f"connector {state.connector_id}: authorization of {id_token} cancelled"
        if connector_id is not None and states[0].transaction is not None:
            other = states[0].transaction.id_token
            return f"connector {connector_id} is charging for {other}: that card stops it"
        target = self._connector_for_card(connector_id)
        if target is None:
            return "no free connector"
        verdict = await self._verdict(id_token)
        if verdict != "Accepted":
            return f"{id_token} refused: {verdict}"
        target.authorized_token = id_token
        if not target.plugged:
            await self.set_status(target.connector_id, "Preparing")
            return f"connector {target.connector_id}: {id_token} accepted; plug the cable in to start"
        return await self._start_at_connector(target)

    async def _start_at_connector(self, state: ConnectorState) -> str:
        cid = state.connector_id
        async with state.flow_lock:
            token = state.authorized_token
            if token is None or state.transaction is not None:
                return f"connector {cid}: nothing to start"
            await self.set_status(cid, "Preparing")
            answer = await self._start(cid, token, None, "ISO14443")
            verdict = self.messages.authorization_status(answer)
            if verdict != "Accepted":
                await self._finish(state, "DeAuthorized")
                return f"connector {cid}: the CSMS refused {token} at the start ({verdict})"
            await self.set_status(cid, self._charging_status(state))
            self.start_meter_loop(state)
        return f"connector {cid}: charging for {token} (transaction {self.transaction_id(cid) or 'queued'})"

    async def plug(self, connector_id: int = 1, *, ev: ElectricVehicle | None = None) -> str:
        """The driver plugs the cable in: Preparing, or the start of a transaction a card authorized.

        `ev` is the car that charges here until it is unplugged (None: the station's default car); a
        transaction a remote start began before the cable went in goes on with it."""
        state = self.connector(connector_id)
        if state.plugged:
            return f"connector {connector_id}: already plugged in"
        state.plugged = True
        state.ev = ev
        if state.status == "Faulted" or not state.operative or state.transaction is not None:
            self._follow_limit(state)
            return f"connector {connector_id}: plugged in"
        if state.authorized_token is not None:
            return await self._start_at_connector(state)
        await self.set_status(connector_id, "Preparing")
        return f"connector {connector_id}: plugged in; swipe a card to start"

    async def unplug(self, connector_id: int = 1) -> str:
        """The driver pulls the cable: the transaction on it ends (EVDisconnected), the connector is free."""
        state = self.connector(connector_id)
        if not state.plugged:
            return f"connector {connector_id}: not plugged in"
        state.plugged = False
        state.ev = None
        stopped = ""
        async with state.flow_lock:
            tx = state.transaction
            if tx is not None:
                tx.stopping = True
                await self.stop_transaction(connector_id, "EVDisconnected")
                stopped = f"; transaction {tx.station_tx_id} stopped"
            state.authorized_token = None
            if state.status != "Faulted":
                await self.set_status(connector_id, self._idle_status(state))
        return f"connector {connector_id}: unplugged{stopped}"

    async def fault(self, connector_id: int = 1, error_code: str = "GroundFailure") -> str:
        """A hardware fault: the transaction on the connector ends, it reports Faulted (1.6: with the code)."""
        if error_code not in V16_ERROR_CODES:
            raise ValueError(f"unknown error code {error_code!r}; one of {', '.join(sorted(V16_ERROR_CODES))}")
        state = self.connector(connector_id)
        stopped = ""
        async with state.flow_lock:
            tx = state.transaction
            if tx is not None:
                tx.stopping = True
                await self.stop_transaction(connector_id, FAULT_STOP_REASONS.get(error_code, "Other"))
                stopped = f"; transaction {tx.station_tx_id} stopped"
            state.authorized_token = None
            state.error_code = error_code
            await self.send_status(connector_id, "Faulted", error_code)
        return f"connector {connector_id}: Faulted ({error_code}){stopped}"

    async def clear_fault(self, connector_id: int = 1) -> str:
        state = self.connector(connector_id)
        if state.status != "Faulted":
            return f"connector {connector_id}: no fault to clear"
        state.error_code = "NoError"
        await self.send_status(connector_id, self._idle_status(state))
        return f"connector {connector_id}: fault cleared, {state.status}"

    async def go_offline(self) -> str:
        """Lose the network: the connection drops and run() stays away until go_online()."""
        if not self._online_wanted.is_set():
            return "already offline"
        self._online_wanted.clear()
        await self._drop_connection(abrupt=True)
        return "offline: transaction messages are queued until `online`"

    def go_online(self) -> str:
        if self._online_wanted.is_set():
            return "not offline"
        self._online_wanted.set()
        self._wake.set()
        return "going online"

    def describe(self) -> list[str]:
        """The station as `status` prints it: connection, then one line per connector."""
        link = "online" if self._online else ("connected" if self.connected else "offline")
        lines = [
            f"{self.station_id} {self.version.value} {link}, registration {self.registration_status or '-'},"
            f" {len(self.outbox)} queued message(s)"
        ]
        for cid, state in self.connectors.items():
            parts = [f"conn {cid} {state.status}"]
            if state.status == "Faulted":
                parts.append(state.error_code)
            if not state.operative:
                parts.append("inoperative")
            parts.append("plugged" if state.plugged else "unplugged")
            if state.ev is not None:
                parts.append(f"car {state.ev.describe()}")
            if state.authorized_token is not None:
                parts.append(f"authorized {state.authorized_token}")
            tx = state.transaction
            if tx is not None:
                energy = (state.meter.energy_wh - tx.meter_start_wh) / 1000
                parts.append(f"transaction {tx.station_tx_id or '(queued)'} for {tx.id_token}, {energy:.2f} kWh")
                amperes = "/".join(f"{a:.1f}" for a in state.meter.sample().currents_a)
                parts.append(f"{tx.charging_state} {amperes} A")
            parts.append(f"meter {state.meter.energy_wh} Wh")
            lines.append(", ".join(parts))
        return lines

    # ------------------------------------------------------------------ autonomous mode

    async def run(self) -> None:
        """Boot (retry while not Accepted), report every connector, heartbeat; the CSMS drives charging.

        Returns when `close()` is called. When the connection is lost it raises ConnectionError, or, with
        `reconnect`, comes back with exponential back-off and jitter (boots again unless it had been
        accepted, reports its connectors, delivers what it queued meanwhile). `StationRefused` is raised
        whatever `reconnect` says: no wait makes an unknown station known.
        """
        self._supervised = True
        self._closing = False
        self._shutdown.clear()
        failures = 0
        try:
            while True:
                if not self.connected:
                    if not await self._wait_online_wanted():
                        return
                    try:
                        await self.connect()
                    except StationRefused:
                        raise
                    except (OSError, TimeoutError, WebSocketException) as exc:
                        if not self.reconnect:
                            raise
                        failures += 1
                        if await self._back_off(failures, f"connecting failed ({exc or type(exc).__name__})"):
                            return
                        continue
                    if self._closing:  # close() came while connecting
                        await self.close()
                        return
                failures = 0
                try:
                    await self._serve()
                    return  # closed
                except (ConnectionError, SessionClosed):
                    pass
                except CallTimeout as exc:
                    # A CSMS that stops answering is treated as gone: reconnect rather than talk into the void.
                    logger.warning("%s: %s; reconnecting", self.station_id, exc)
                    await self._drop_connection(abrupt=True)
                if self._closing:
                    return
                if self._reboot_reason is not None:
                    if await self._pause(self.reboot_delay):
                        return
                elif self._online_wanted.is_set():
                    if not self.reconnect:
                        raise ConnectionError(f"{self.station_id}: connection to the CSMS lost")
                    failures = 1
                    if await self._back_off(failures, "connection lost"):
                        return
        except asyncio.CancelledError:
            await self.close()
            raise
        finally:
            self._supervised = False

    async def _serve(self) -> None:
        """One connection's life: boot unless accepted before, report, drain the queue, heartbeat."""
        self._online = self._ready = False
        if self._reboot_reason is not None or self.registration_status != "Accepted":
            reason = self._reboot_reason or "PowerUp"
            while True:
                answer = await self.boot(reason)
                if answer.get("status") == "Accepted":
                    break
                if await self._wait_boot_retry(self.heartbeat_interval or DEFAULT_BOOT_RETRY_S):
                    return
                if self._boot_accepted.is_set():
                    break  # a boot the CSMS triggered was Accepted meanwhile: a real station goes on from there
            self._reboot_reason = None
        self._online = True
        for connector_id, state in self.connectors.items():
            status = state.status if state.operative or state.status == "Faulted" else "Unavailable"
            error_code = state.error_code if status == "Faulted" else "NoError"
            try:
                await self.send_status(connector_id, status, error_code)
            except (CallErrorReceived, CallTimeout) as exc:
                logger.warning("%s: StatusNotification failed: %s", self.station_id, exc)
        await self._drain_outbox()
        # Periodic readings went on while offline; any loop a reboot or a lost task ended starts again.
        for state in self.connectors.values():
            if state.transaction is not None and not state.transaction.stopping:
                self.start_meter_loop(state)
        while not await self._wait_done(self.heartbeat_interval or DEFAULT_HEARTBEAT_S):
            try:
                await self.heartbeat()
            except CallErrorReceived as exc:
                logger.warning("%s: Heartbeat refused: %s", self.station_id, exc)

    def _backoff_delay(self, failures: int) -> float:
        """Exponential back-off with jitter: a whole fleet that lost its CSMS does not come back at once."""
        ceiling = min(self.reconnect_max, self.reconnect_initial * 2 ** max(0, failures - 1))
        return random.uniform(ceiling / 2, ceiling)  # jitter, not cryptography

    async def _back_off(self, failures: int, why: str) -> bool:
        """Wait before the next attempt; True if the station was closed meanwhile."""
        delay = self._backoff_delay(failures)
        self.emit("reconnecting", f"{why}; next attempt in {delay:.1f} s")
        return await self._pause(delay)

    async def _pause(self, delay: float) -> bool:
        try:
            await asyncio.wait_for(self._shutdown.wait(), delay)
        except TimeoutError:
            return False
        return True

    async def _wait_online_wanted(self) -> bool:
        """Wait while the station is offline on purpose (go_offline); False if it was closed meanwhile."""
        while not self._online_wanted.is_set() and not self._closing:
            self._wake.clear()
            await self._wake.wait()
        return not self._closing

    async def _wait_boot_retry(self, delay: float) -> bool:
        """`_wait_done`, ending early when a (triggered) boot is Accepted: a Pending station the CSMS asks
        to boot again (TriggerMessage BootNotification, once an operator approved it) does not wait for
        its next boot retry to go on as an Accepted one."""
        accepted = asyncio.ensure_future(self._boot_accepted.wait())
        done = asyncio.ensure_future(self._done.wait())
        try:
            await asyncio.wait((accepted, done), timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            accepted.cancel()
            done.cancel()
        if not self._done.is_set():
            return False
        if self._closing:
            return True
        raise ConnectionError(f"{self.station_id}: connection to the CSMS lost")

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
