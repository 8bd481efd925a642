"""Throttling of failed logins, per account and per client address, in memory and bounded.

`limit` failures of one key within `window` seconds lock that key for `lockout` seconds: while locked,
every login for the account (or from the address) is refused unheard, even with the right password.
A success clears the account's failures. Lockouts start and end as `LockoutEvent`s for the caller to
log and audit; `ended()` hands over the lockouts that have run out (the login service asks when each one
is due, and at every login attempt).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

MAX_TRACKED: Final = 10_000

KeyKind = Literal["account", "address"]


@dataclass(slots=True, frozen=True)
class LockoutEvent:
    kind: KeyKind
    key: str
    started: bool  # True: the lockout began; False: it ended
    failures: int = 0
    seconds: float = 0.0


class _Tracker:
    """Failure times and lockouts of one kind of key. Both maps are capped at `max_tracked` (oldest out)."""

    def __init__(
        self,
        kind: KeyKind,
        limit: int,
        window: float,
        lockout: float,
        max_tracked: int,
        clock: Callable[[], float],
    ) -> None:
        self.kind: KeyKind = kind
        self._limit = limit
        self._window = window
        self._lockout = lockout
        self._max = max_tracked
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        # Insertion order is expiry order: every lockout lasts the same time, and a key is re-locked only
        # after its previous lockout was removed.
        self._locked: OrderedDict[str, float] = OrderedDict()

    def retry_after(self, key: str) -> float | None:
        until = self._locked.get(key)
        if until is None:
            return None
        remaining = until - self._clock()
        return remaining if remaining > 0 else None

    def fail(self, key: str) -> LockoutEvent | None:
        if key in self._locked:
            return None
        now = self._clock()
        times = self._failures.pop(key, None) or deque()
        while times and times[0] <= now - self._window:
            times.popleft()
        times.append(now)
        if len(times) < self._limit:
            self._failures[key] = times
            while len(self._failures) > self._max:
                self._failures.popitem(last=False)
            return None
        self._locked[key] = now + self._lockout
        while len(self._locked) > self._max:
            self._locked.popitem(last=False)
        return LockoutEvent(self.kind, key, started=True, failures=len(times), seconds=self._lockout)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def ended(self) -> list[LockoutEvent]:
        now = self._clock()
        events = []
        while self._locked:
            key, until = next(iter(self._locked.items()))
            if until > now:
                break
            del self._locked[key]
            events.append(LockoutEvent(self.kind, key, started=False, seconds=self._lockout))
        return events

    def tracked(self) -> int:
        return len(self._failures) + len(self._locked)


class LoginThrottle:
    def __init__(
        self,
        *,
        failures_per_account: int,
        failures_per_address: int,
        window: float,
        lockout: float,
        max_tracked: int = MAX_TRACKED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._accounts = _Tracker("account", failures_per_account, window, lockout, max_tracked, clock)
        self._addresses = _Tracker("address", failures_per_address, window, lockout, max_tracked, clock)

    def retry_after(self, account: str, address: str) -> int | None:
        """Whole seconds until a login for `account` from `address` may be tried, or None if it may now."""
        waits = [w for w in (self._accounts.retry_after(account), self._addresses.retry_after(address)) if w]
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, account: str, address: str) -> list[LockoutEvent]:
        """Count a failed login; returns the lockouts it started."""
        return [e for e in (self._accounts.fail(account), self._addresses.fail(address)) if e is not None]

    def succeeded(self, account: str) -> None:
        self._accounts.clear(account)

    def ended(self) -> list[LockoutEvent]:
        """Lockouts that have run out since the last call."""
        return self._accounts.ended() + self._addresses.ended()

    def tracked(self) -> int:
        return self._accounts.tracked() + self._addresses.tracked()
