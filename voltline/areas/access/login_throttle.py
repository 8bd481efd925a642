"""Throttling of failed logins, per account and per client address.

`limit` failures of one key within `window` seconds lock that key for `lockout` seconds: while locked,
every login for the account (or from the address) is refused unheard, even with the right password.
A success clears the account's failures; an admin's unlock ends the account's lockout. Lockouts start
and end as `LockoutEvent`s for the caller to log and audit; `ended()` hands over the lockouts that have
run out (the login service asks when each one is due, and at every login attempt).

The counting is the platform's (`voltline.kernel.throttles`): in memory and bounded in one process,
shared when several nodes serve logins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from voltline.kernel.throttles import LockoutPolicy, Lockouts, Throttles

KeyKind = Literal["account", "address"]


@dataclass(slots=True, frozen=True)
class LockoutEvent:
    kind: KeyKind
    key: str
    started: bool  # True: the lockout began; False: it ended
    failures: int = 0
    seconds: float = 0.0


@dataclass(slots=True, frozen=True)
class _Kind:
    kind: KeyKind
    lockouts: Lockouts
    seconds: float  # how long its lockouts last

    async def fail(self, key: str) -> LockoutEvent | None:
        failures = await self.lockouts.fail(key)
        if failures is None:
            return None
        return LockoutEvent(self.kind, key, started=True, failures=failures, seconds=self.seconds)

    async def ended(self) -> list[LockoutEvent]:
        return [
            LockoutEvent(self.kind, key, started=False, seconds=self.seconds) for key in await self.lockouts.ended()
        ]


class LoginThrottle:
    def __init__(
        self,
        throttles: Throttles,
        *,
        failures_per_account: int,
        failures_per_address: int,
        window: float,
        lockout: float,
    ) -> None:
        accounts = throttles.lockouts("login.account", LockoutPolicy(failures_per_account, window, lockout))
        addresses = throttles.lockouts("login.address", LockoutPolicy(failures_per_address, window, lockout))
        self._accounts = _Kind("account", accounts, lockout)
        self._addresses = _Kind("address", addresses, lockout)

    async def retry_after(self, account: str, address: str) -> int | None:
        """Whole seconds until a login for `account` from `address` may be tried, or None if it may now."""
        found = (
            await self._accounts.lockouts.retry_after(account),
            await self._addresses.lockouts.retry_after(address),
        )
        waits = [wait for wait in found if wait]
        return max(1, math.ceil(max(waits))) if waits else None

    async def failed(self, account: str, address: str) -> list[LockoutEvent]:
        """Count a failed login; returns the lockouts it started."""
        events = (await self._accounts.fail(account), await self._addresses.fail(address))
        return [event for event in events if event is not None]

    async def succeeded(self, account: str) -> None:
        await self._accounts.lockouts.clear(account)

    async def account_locked_for(self, account: str) -> float | None:
        """Seconds until the account's own lockout ends (an address lockout aside), or None."""
        return await self._accounts.lockouts.retry_after(account)

    async def unlock(self, account: str) -> bool:
        """An admin ends the account's lockout now and its failures are forgotten; True when it was locked.

        Only the account: a locked client address stays locked, since it may be the attacker's, and it is
        no account's to unlock."""
        return await self._accounts.lockouts.unlock(account)

    async def ended(self) -> list[LockoutEvent]:
        """Lockouts that have run out since the last call."""
        return await self._accounts.ended() + await self._addresses.ended()
