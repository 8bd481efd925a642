"""Handshake abuse limits: failed-authentication throttling and the security events it records.

`AuthFailureThrottle` is the port the handshake consults; `AuthFailureLimiter` implements it in memory,
per process, and bounded: a leaky bucket per client address and per station id, at most `max_entries` of
each (the least recently touched are forgotten first), and the most recent `max_events` security events.

Unlike login lockouts (voltline.kernel.throttles) the port is synchronous: it is asked on every handshake,
thousands a second in a boot storm, so a shared implementation for several nodes decides from local
buckets and exchanges failures in the background. A leaky bucket tolerates that: it only has to slow a
password guesser down, and running briefly behind the other nodes' failures does not defeat that.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Protocol

MAX_TRACKED: Final = 100_000
MAX_EVENTS: Final = 1_000


@dataclass(slots=True, frozen=True)
class SecurityEvent:
    """Something an operator should know about. Kept in memory only for now; a later issue persists
    them (and shows them in the API)."""

    at: datetime
    kind: str
    address: str | None
    station_id: str | None
    count: int
    detail: str = ""


class AuthFailureThrottle(Protocol):
    """Throttles failed station authentications by client address, and by station id for addresses that
    have failed themselves, so that a correct password from a clean address is never refused."""

    def check(self, address: str, station_id: str) -> int | None:
        """Seconds to wait (Retry-After) if this attempt must be refused unheard, else None. A refused
        attempt counts as a failure."""
        ...

    def failed(self, address: str, station_id: str) -> list[SecurityEvent]:
        """Count a failed authentication; returns the security events it starts (at most one per key)."""
        ...


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    failures: int = 0  # failures counted since the bucket was created (for the event)
    throttled: bool = False


@dataclass(slots=True)
class _Buckets:
    """A token bucket per key: `capacity` failures, refilled at `capacity` per minute. A key may try while it
    has a whole token; every failed or refused attempt takes one (down to -capacity, so that an attacker who
    keeps hammering stays throttled, while one who stops is free within two minutes at most)."""

    capacity: int
    max_entries: int
    clock: Callable[[], float]
    _entries: OrderedDict[str, _Bucket] = field(default_factory=OrderedDict)

    @property
    def rate(self) -> float:
        return self.capacity / 60.0

    def _refilled(self, key: str) -> _Bucket | None:
        bucket = self._entries.get(key)
        if bucket is None:
            return None
        now = self.clock()
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= self.capacity:
            del self._entries[key]  # fully recovered: nothing to remember
            return None
        return bucket

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may try again, or None when it may try now."""
        bucket = self._refilled(key)
        if bucket is None or bucket.tokens >= 1.0:
            return None  # `throttled` stays set until the bucket is full again: one event per episode
        return max(1, math.ceil((1.0 - bucket.tokens) / self.rate))

    def has_failed(self, key: str) -> bool:
        return self._refilled(key) is not None

    def take(self, key: str) -> _Bucket:
        """Count a failed or refused attempt; returns the bucket (its `throttled` flag says whether it was
        already throttled before this attempt)."""
        bucket = self._refilled(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.capacity), updated=self.clock())
            self._entries[key] = bucket
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        bucket.tokens = max(-float(self.capacity), bucket.tokens - 1.0)
        bucket.failures += 1
        return bucket

    def __len__(self) -> int:
        return len(self._entries)


class AuthFailureLimiter:
    """`AuthFailureThrottle` in this process's memory, which also keeps the recent security events.

    `check` before any password check; `failed` after a refusal for bad credentials."""

    def __init__(
        self,
        failures_per_minute: int,
        *,
        max_entries: int = MAX_TRACKED,
        max_events: int = MAX_EVENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._addresses = _Buckets(failures_per_minute, max_entries, clock)
        self._stations = _Buckets(failures_per_minute, max_entries, clock)
        self.events: deque[SecurityEvent] = deque(maxlen=max_events)

    def check(self, address: str, station_id: str) -> int | None:
        """Seconds to wait (Retry-After) if this attempt must be refused unheard, else None. A refused
        attempt counts as a failure."""
        wait = self._addresses.retry_after(address)
        if wait is not None:
            self._addresses.take(address)
            return wait
        if self._addresses.has_failed(address):
            wait = self._stations.retry_after(station_id)
            if wait is not None:
                self._addresses.take(address)
                self._stations.take(station_id)
        return wait

    def failed(self, address: str, station_id: str) -> list[SecurityEvent]:
        """Count a failed authentication; returns the security events it starts (at most one per key)."""
        started: list[SecurityEvent] = []
        for kind, buckets, key in (
            ("auth-failures-address", self._addresses, address),
            ("auth-failures-station", self._stations, station_id),
        ):
            bucket = buckets.take(key)
            if bucket.tokens < 1.0 and not bucket.throttled:
                bucket.throttled = True
                event = SecurityEvent(
                    at=datetime.now(UTC),
                    kind=kind,
                    address=address,
                    station_id=station_id,
                    count=bucket.failures,
                    detail="failed authentications throttled",
                )
                self.events.append(event)
                started.append(event)
        return started

    def record(self, event: SecurityEvent) -> None:
        self.events.append(event)

    @property
    def tracked(self) -> tuple[int, int]:
        """(addresses, station ids) currently remembered."""
        return len(self._addresses), len(self._stations)
