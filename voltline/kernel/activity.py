"""What happens at the EVSEs of watched stations, for controllers that follow them in memory.

A site load controller must see every transaction start and end, status change, meter sample and
(dis)connection of the stations it manages, at once and without loss, to keep a grid connection under its
limit. The live event hub is not that: it drops the oldest events of a slow reader, and while anyone
listens every publisher builds each event's data. This feed costs the station path one set lookup per
message (`station_id in feed.watched`); only watched stations build an `EvseActivity`.

Listeners are called synchronously, after the message's data is committed and before the station is
answered (the publishers' order), so they must be cheap: note the change, schedule work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

log = logging.getLogger("voltline.activity")


class ActivityKind(StrEnum):
    STARTED = "started"  # a transaction started on the EVSE
    UPDATED = "updated"  # 2.0.1 TransactionEvent Updated (charging state, token)
    ENDED = "ended"  # the EVSE's transaction ended
    STATUS = "status"  # a connector status (StatusNotification)
    METER = "meter"  # meter samples of the EVSE
    CONNECTED = "connected"  # the station connected (evse_id 0)
    DISCONNECTED = "disconnected"  # the station's connection ended (evse_id 0)


@dataclass(frozen=True, slots=True)
class EvseActivity:
    station_id: str
    evse_id: int
    kind: ActivityKind
    transaction_id: int | None = None  # Voltline's id
    station_tx_id: str | None = None  # the station's id (1.6: the same integer as text)
    id_token: str | None = None
    charging_state: str | None = None  # 2.0.1 chargingState (Charging, SuspendedEV, SuspendedEVSE, EVConnected, Idle)
    status: str | None = None  # connector status (1.6 Charging, SuspendedEV ...; 2.0.1 Occupied ...)
    samples: tuple[Any, ...] = ()  # the transactions area's SampledValue records
    at: datetime | None = None


Listener = Callable[[EvseActivity], None]


class ActivityFeed:
    def __init__(self) -> None:
        # The stations someone follows; the one check the station path makes.
        self.watched: set[str] = set()
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def watch(self, station_ids: Iterable[str]) -> None:
        self.watched.update(station_ids)

    def unwatch(self, station_ids: Iterable[str]) -> None:
        self.watched.difference_update(station_ids)

    def emit(self, activity: EvseActivity) -> None:
        for listener in self._listeners:
            try:
                listener(activity)
            except Exception:  # a listener's bug must not fail the station's message
                log.exception("activity listener failed on %s of %r", activity.kind, activity.station_id)
