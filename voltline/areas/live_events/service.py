"""The credentials of open live event streams: a stream lasts only as long as the credential that opened it.

A stream is opened by one request, authenticated once, and then runs for hours. Each open stream has a
watch that checks its credential again (a check the API hands over: does this token still stand for the
session or key it stood for?) at once when the access area announces that sessions or keys were ended
(`AccessChanged`: a logout, a key revoked, a user disabled, their password or MFA reset, or removed), and
every RECHECK_SECONDS in any case: that ends a stream whose session expired, or whose credential was ended
where no announcement reaches this process (the command line, another node). A check that says no, raises
or takes longer than CHECK_TIMEOUT_SECONDS ends the stream (fail closed), and what it still had queued is
dropped. The cost is per stream and per check, never per delivered event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from voltline.kernel.live_events import EventHub, Subscription

log = logging.getLogger(__name__)

# Seconds between two checks of an open stream's credential (read at every wait: tests shorten it).
RECHECK_SECONDS = 5.0
# A check that takes longer than this fails: a credential that cannot be confirmed has ended.
CHECK_TIMEOUT_SECONDS = 10.0

# Whether the credential that opened a stream still stands (False, an error or a timeout: it does not).
CredentialCheck = Callable[[], Awaitable[bool]]


@dataclass(slots=True, eq=False)
class StreamWatch:
    """One open stream's watch: `ended` once its credential ended it."""

    subscription: Subscription
    check: CredentialCheck
    ended: bool = False
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None


class StreamGuard:
    """The watches of every open stream of this process."""

    def __init__(self, hub: EventHub) -> None:
        self._hub = hub
        self._watches: set[StreamWatch] = set()

    @property
    def watching(self) -> int:
        return len(self._watches)

    def watch(self, subscription: Subscription, check: CredentialCheck) -> StreamWatch:
        """Start checking the credential of the stream reading `subscription`; `release` the watch when the
        stream ends, whatever ended it."""
        watch = StreamWatch(subscription, check)
        watch._task = asyncio.get_running_loop().create_task(self._run(watch), name="live-events-credential")
        self._watches.add(watch)
        return watch

    def release(self, watch: StreamWatch) -> None:
        self._watches.discard(watch)
        if watch._task is not None:
            watch._task.cancel()

    def access_changed(self) -> None:
        """Sessions or keys were ended somewhere: every open stream checks its own credential now."""
        for watch in self._watches:
            watch._wake.set()

    async def _run(self, watch: StreamWatch) -> None:
        while True:
            try:
                async with asyncio.timeout(RECHECK_SECONDS):
                    await watch._wake.wait()
            except TimeoutError:
                pass
            # Cleared before the check: an announcement made while it runs calls for another one.
            watch._wake.clear()
            if not await _holds(watch.check):
                watch.ended = True
                self._hub.unsubscribe(watch.subscription, discard=True)
                return


async def _holds(check: CredentialCheck) -> bool:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            return await check()
    except Exception:
        # Fail closed: a credential that cannot be confirmed is treated as ended.
        log.warning("could not check an open live event stream's credential: the stream ends", exc_info=True)
        return False
