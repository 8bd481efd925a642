"""Live events of the network (status changes, connects, boots, transactions, meter values, command
results) for whoever follows it: the SSE stream of the API, later the dashboard and the cluster bus.

Publishing is synchronous and costs an attribute check when nobody listens: publishers test `active`
(or `wants`) before they build an event's data, so hot paths can publish freely. Each subscriber has a
bounded queue: a slow reader loses the oldest events (and is told how many through a `dropped` count on
the next event it reads) rather than holding memory or the publisher.

Order: events are handed to every subscriber in the order they are published, and the domain publishes
each station's events in the order its messages were handled, once their data is committed.

Who publishes: the stations and transactions services directly, for the per-message kinds (boot, status,
transactions, meter values; connects and disconnects from the gateway), because their hot paths check
`active` before building anything. The others come from typed domain events (`voltline.kernel.events`)
that the live events area subscribes the hub to: `CommandCompleted` (command.result) and the local lists'
`LocalListStateChanged` (local_list).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

# The kinds published by Voltline itself. A subscription's kind filter also accepts a kind's first part
# ("transaction" for all three transaction kinds, "command" for command.result).
CONNECTED: Final = "connected"
DISCONNECTED: Final = "disconnected"
BOOT: Final = "boot"
STATUS: Final = "status"
TRANSACTION_STARTED: Final = "transaction.started"
TRANSACTION_UPDATED: Final = "transaction.updated"
TRANSACTION_ENDED: Final = "transaction.ended"
METER_VALUES: Final = "meter_values"
COMMAND_RESULT: Final = "command.result"
LOCAL_LIST: Final = "local_list"
CHARGING_PROFILE: Final = "charging_profile"
CHARGING_LIMIT: Final = "charging_limit"
SITE_LOAD: Final = "site.load"  # a site's controller changed limits (station_id None; data names the site)
SITE_OVERLOADED: Final = "site.overloaded"  # a site cannot give every EVSE its minimum, or is over a limit
DEMAND_RESPONSE: Final = "demand_response"  # a demand-response event was created, changed, began or ended

KINDS: Final = (
    CONNECTED,
    DISCONNECTED,
    BOOT,
    STATUS,
    TRANSACTION_STARTED,
    TRANSACTION_UPDATED,
    TRANSACTION_ENDED,
    METER_VALUES,
    COMMAND_RESULT,
    LOCAL_LIST,
    CHARGING_PROFILE,
    CHARGING_LIMIT,
    SITE_LOAD,
    SITE_OVERLOADED,
    DEMAND_RESPONSE,
)


@dataclass(slots=True, frozen=True)
class LiveEvent:
    seq: int  # increases by one per published event, per process
    kind: str  # "status", "connected", "disconnected", "boot", "transaction.started", ...
    station_id: str | None
    at: datetime
    data: dict[str, Any]
    dropped: int = 0  # events this subscriber lost to overflow just before this one


@dataclass(slots=True, eq=False)
class Subscription:
    """One reader's filtered, bounded view of the event stream. Iterate it; close it when done."""

    stations: frozenset[str] | None
    kinds: frozenset[str] | None
    max_queue: int
    _queue: deque[LiveEvent] = field(default_factory=deque)
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    _dropped: int = 0
    closed: bool = False

    def wants(self, kind: str, station_id: str | None) -> bool:
        if self.kinds is not None and kind not in self.kinds and kind.split(".", 1)[0] not in self.kinds:
            return False
        return self.stations is None or station_id in self.stations

    def offer(self, event: LiveEvent) -> None:
        if len(self._queue) >= self.max_queue:
            self._queue.popleft()
            self._dropped += 1
        self._queue.append(event)
        self._ready.set()

    def close(self, *, discard: bool = False) -> None:
        """End the subscription: `next` returns what is still queued, then None. `discard`: drop what is
        queued, so `next` returns None at once (the reader may no longer have it: its credential ended)."""
        self.closed = True
        if discard:
            self._queue.clear()
            self._dropped = 0
        self._ready.set()

    async def next(self, wait_seconds: float | None = None) -> LiveEvent | None:
        """The next event, or None when `wait_seconds` pass first or the subscription is closed (see
        `closed` to tell the two apart)."""
        while not self._queue:
            if self.closed:
                return None
            self._ready.clear()
            try:  # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation (bpo-42130)
                async with asyncio.timeout(wait_seconds):
                    await self._ready.wait()
            except TimeoutError:
                return None
        event = self._queue.popleft()
        if self._dropped:
            event = LiveEvent(event.seq, event.kind, event.station_id, event.at, event.data, self._dropped)
            self._dropped = 0
        return event

    async def __aiter__(self) -> AsyncIterator[LiveEvent]:
        while (event := await self.next()) is not None:
            yield event


class EventHub:
    """In-process publish/subscribe of `LiveEvent`s."""

    def __init__(self) -> None:
        self._subscribers: list[Subscription] = []
        self._seq = itertools.count(1)
        self._closed = False
        # Whether anyone listens: the one check publishers make on hot paths.
        self.active = False

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def wants(self, kind: str, station_id: str | None) -> bool:
        """Whether any subscriber would receive this event: worth building its data."""
        return self.active and any(s.wants(kind, station_id) for s in self._subscribers)

    def publish(self, kind: str, station_id: str | None, data: dict[str, Any] | None = None) -> None:
        if not self._subscribers:
            return
        event: LiveEvent | None = None
        for subscriber in self._subscribers:
            if subscriber.wants(kind, station_id):
                if event is None:  # a sequence number only for events someone receives
                    event = LiveEvent(next(self._seq), kind, station_id, datetime.now(UTC), data or {})
                subscriber.offer(event)

    def subscribe(
        self,
        stations: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        max_queue: int = 10_000,
    ) -> Subscription:
        """Kinds match exactly or by their first part ("transaction" matches "transaction.started").

        After `close()`, the subscription returned is already closed."""
        subscription = Subscription(
            frozenset(stations) if stations is not None else None,
            frozenset(kinds) if kinds is not None else None,
            max_queue,
        )
        if self._closed:
            subscription.close()
            return subscription
        self._subscribers.append(subscription)
        self.active = True
        return subscription

    def unsubscribe(self, subscription: Subscription, *, discard: bool = False) -> None:
        """Stop delivering to `subscription` and close it; `discard`: what it still has queued too."""
        subscription.close(discard=discard)
        if subscription in self._subscribers:
            self._subscribers.remove(subscription)
        self.active = bool(self._subscribers)

    def close(self) -> None:
        """End every subscription (server shutdown): readers get what is queued, then the end."""
        self._closed = True
        for subscription in list(self._subscribers):
            self.unsubscribe(subscription)
