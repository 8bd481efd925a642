"""What the per-area answer modules see of a simulated station: a narrow handle, not `SimulatedStation`.

`station.py` builds the dispatcher from `handlers.py`, which builds the per-area handlers (display,
local list, device model); those type against `StationHandle` (plus the one piece of area state each
keeps on the station, named in its own module), so nothing below `station.py` imports it and the
simulator has no import cycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from voltline.ocppj import OcppVersion
from voltline.simulator.messages import Payload, Transaction
from voltline.simulator.meter import EnergyMeter
from voltline.simulator.vehicle import ElectricVehicle


@dataclass(slots=True)
class ConnectorState:
    connector_id: int
    meter: EnergyMeter
    status: str = "Available"  # 1.6 vocabulary; 2.0.1 maps it on the wire
    sent_status: str | None = None  # the last status on the wire, to report changes only
    operative: bool = True
    starting: bool = False  # a remote start was accepted and is under way
    plugged: bool = False  # a cable is in (terminal `plug`); a card authorized before waits for it
    ev: ElectricVehicle | None = None  # the car plugged in (None: the station's default car charges here)
    authorized_token: str | None = None  # a card accepted at the reader, waiting for the cable
    error_code: str = "NoError"  # the 1.6 ChargePointErrorCode reported while Faulted
    transaction: Transaction | None = None
    meter_task: asyncio.Task[None] | None = None
    meter_stop: asyncio.Event = field(default_factory=asyncio.Event)
    # Wakes the car when its offer changes next (a schedule's period boundary) or when it will be full.
    wake: asyncio.TimerHandle | None = None
    # Serialises the CSMS-driven flows of this connector: a stop requested while the start is still
    # under way runs after it.
    flow_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def free(self) -> bool:
        return self.operative and not self.starting and self.transaction is None and self.status != "Faulted"


class StationHandle(Protocol):
    """A simulated station as its CALL handlers use it: its state, its messages and its background work."""

    @property
    def station_id(self) -> str: ...

    @property
    def version(self) -> OcppVersion: ...

    @property
    def connectors(self) -> dict[int, ConnectorState]: ...

    @property
    def ignored_actions(self) -> set[str]: ...

    def emit(self, kind: str, detail: str, connector_id: int | None = None) -> None: ...

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run follow-up work (never inside a CALL handler: the reader must stay free)."""
        ...

    async def call(self, action: str, payload: Payload) -> Payload: ...

    async def boot(self, reason: str = "PowerUp") -> Payload: ...

    async def heartbeat(self) -> Payload: ...

    async def send_status(
        self, connector_id: int, status: str, error_code: str = "NoError", info: str | None = None
    ) -> Payload: ...

    async def send_meter_sample(self, connector_id: int, context: str, *, transactional: bool = True) -> Payload: ...

    async def remote_start_flow(
        self, connector_id: int, id_token: str, id_token_type: str, remote_start_id: int | None
    ) -> None: ...

    async def remote_stop_flow(
        self, connector_id: int, reason: str = "Remote", station_tx_id: int | str | None = None
    ) -> None: ...

    def schedule_reset(self, kind: str, evse_id: int | None = None) -> None:
        """Act on an accepted Reset: kind Soft or Hard (1.6), Immediate or OnIdle (2.0.1)."""
        ...
