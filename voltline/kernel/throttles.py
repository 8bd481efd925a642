"""Lockouts after repeated failures, per key (an account, a client address ...), as a port.

`limit` failures of one key within `window` seconds lock that key for `lockout` seconds. Areas count
through `Lockouts` taken from the platform's `Throttles`, each under a name of its own; the composition
root picks the implementation. In one process that is `InProcessThrottles` (bounded memory). Several
nodes must count in one shared place, or an attacker gets every node's allowance: hence the name (the
same counters on every node) and coroutines (a shared store is a round trip away).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

MAX_TRACKED: Final = 10_000


@dataclass(slots=True, frozen=True)
class LockoutPolicy:
    limit: int  # failures of one key within `window` seconds that lock it
    window: float
    lockout: float  # seconds a locked key stays locked


class Lockouts(Protocol):
    """Failure counts and lockouts of one kind of key. While a key is locked its failures are not
    counted, so a lockout never grows; once it ends the key starts from no failures."""

    async def retry_after(self, key: str) -> float | None:
        """Seconds until the key's lockout ends; None when it is not locked."""
        ...

    async def fail(self, key: str) -> int | None:
        """Count a failure. When it locks the key: the failures within the window (else None)."""
        ...

    async def clear(self, key: str) -> None:
        """Forget the key's failures (after a success); a running lockout stays."""
        ...

    async def unlock(self, key: str) -> bool:
        """End the key's lockout now and forget its failures (an admin's decision, not a success);
        the lockout is not reported by `ended`. True when the key was locked."""
        ...

    async def ended(self) -> list[str]:
        """The keys whose lockout ran out since the last call, each reported once, in the order they ended."""
        ...


class Throttles(Protocol):
    def lockouts(self, name: str, policy: LockoutPolicy) -> Lockouts:
        """The lockout counters called `name` (every user of one name shares them, with one policy)."""
        ...


class InProcessLockouts:
    """`Lockouts` in this process's memory: failures and lockouts each capped at `max_tracked` keys (the
    oldest are forgotten first), so a flood of distinct keys cannot exhaust memory."""

    def __init__(self, policy: LockoutPolicy, max_tracked: int, clock: Callable[[], float]) -> None:
        self.policy = policy
        self._max = max_tracked
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        # Insertion order is expiry order: every lockout lasts the same time, and a key is re-locked only
        # after its previous lockout was removed.
        self._locked: OrderedDict[str, float] = OrderedDict()

    async def retry_after(self, key: str) -> float | None:
        until = self._locked.get(key)
        if until is None:
            return None
        remaining = until - self._clock()
        return remaining if remaining > 0 else None

    async def fail(self, key: str) -> int | None:
        if key in self._locked:
            return None
        now = self._clock()
        times = self._failures.pop(key, None) or deque()
        while times and times[0] <= now - self.policy.window:
            times.popleft()
        times.append(now)
        if len(times) < self.policy.limit:
            self._failures[key] = times
            while len(self._failures) > self._max:
                self._failures.popitem(last=False)
            return None
        self._locked[key] = now + self.policy.lockout
        while len(self._locked) > self._max:
            self._locked.popitem(last=False)
        return len(times)

    async def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    async def unlock(self, key: str) -> bool:
        self._failures.pop(key, None)
        # Removing an entry keeps the others in expiry order.
        return self._locked.pop(key, None) is not None

    async def ended(self) -> list[str]:
        now = self._clock()
        keys = []
        while self._locked:
            key, until = next(iter(self._locked.items()))
            if until > now:
                break
            del self._locked[key]
            keys.append(key)
        return keys

    def tracked(self) -> int:
        """Keys remembered (failures or lockouts)."""
        return len(self._failures) + len(self._locked)


class InProcessThrottles:
    """`Throttles` for one process."""

    def __init__(self, *, max_tracked: int = MAX_TRACKED, clock: Callable[[], float] = time.monotonic) -> None:
        self._max_tracked = max_tracked
        self._clock = clock
        self._named: dict[str, InProcessLockouts] = {}

    def lockouts(self, name: str, policy: LockoutPolicy) -> InProcessLockouts:
        found = self._named.get(name)
        if found is None:
            found = self._named[name] = InProcessLockouts(policy, self._max_tracked, self._clock)
        elif found.policy != policy:
            raise ValueError(f"lockouts {name!r} exist with another policy ({found.policy})")
        return found

    def tracked(self) -> int:
        """Keys remembered by every counter (for tests of the memory bound)."""
        return sum(lockouts.tracked() for lockouts in self._named.values())
