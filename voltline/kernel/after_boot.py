"""Work the CSMS does once a station's boot was Accepted and answered: bring its configuration and local
authorization list up to date, and whatever else an area registers.

The protocol layer calls `spawn` only after the BootNotification answer is on the wire (OCPP forbids the
CSMS to send before it); each hook then runs in turn in one tracked task per boot, with `current_actor`
"system". A failing hook is logged and does not stop the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from voltline.kernel.actors import SYSTEM, current_actor

log = logging.getLogger(__name__)

AfterBootHook = Callable[[str], Awaitable[None]]  # station id


class AfterBoot:
    def __init__(self) -> None:
        self._hooks: list[tuple[str, AfterBootHook]] = []
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def register(self, name: str, hook: AfterBootHook) -> None:
        """Hooks run in registration order."""
        self._hooks.append((name, hook))

    def spawn(self, station_id: str) -> None:
        if not self._hooks:
            return
        previous = self._tasks.get(station_id)
        if previous is not None and not previous.done():
            previous.cancel()  # a newer boot supersedes the work of the older one
        task = asyncio.get_running_loop().create_task(self._run(station_id), name=f"after-boot-{station_id}")
        self._tasks[station_id] = task
        task.add_done_callback(lambda done: self._forget(station_id, done))

    def _forget(self, station_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(station_id) is task:
            del self._tasks[station_id]

    async def _run(self, station_id: str) -> None:
        current_actor.set(SYSTEM)
        for name, hook in self._hooks:
            try:
                await hook(station_id)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("after-boot step %s for station %r failed: %s", name, station_id, exc)

    async def wait_idle(self) -> None:
        """Wait for every running after-boot task (tests and graceful stop)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()
