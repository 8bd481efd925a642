"""Background work: per station (`StationWork`) and on a timer (`Timers`).

`StationWork` runs jobs `job(station_id)` in one worker task per station that has work, one job after the
other (a station never gets two of them at once, so their calls to it do not interleave), in the order
they were requested. A job requested while the same job (an equal callable: the same function or bound
method) is still waiting for that station is merged with it; one requested while it runs runs once more
afterwards, so a burst of requests costs at most one run in progress and one to come. `cancel` drops a
station's waiting jobs and cancels the running one; `close` does that for every station and waits. Every
task is referenced until it ends; jobs run with `current_actor` "system"; their errors are logged (a
`DomainError`, the expected kind: station offline, timeout, refusal, at INFO) and never raised, and the
next job runs.

`Timers` holds the periodic sweeps the areas register at build; the composition root starts them once
every area is started and stops them first when the areas stop.

The reconcile pattern, for long-running desired state (local authorization lists, configuration templates
applied on boot; charging profiles, firmware, certificates and monitors will follow it). The area stores
what a station should have, and exposes `reconcile(station_id)`: compare with what the station has, send
only what is missing, record the outcome. It is idempotent (a station in line gets no writes, only the
reads needed to know that) and converges (each run moves the station towards the desired state and
records where it stopped), so it can be triggered freely, from three places:

- on boot: an after-commit subscriber of `StationBootAccepted` requests it on the `AfterBoot` work (the
  station may have lost state, and only now may the CSMS send it calls);
- on change: the change publishes an event (`TokenChanged`), an in-transaction subscriber records in the
  same transaction which stations are now behind, and an after-commit one requests their update, so a
  change that rolls back leaves no trace and one that commits is never forgotten;
- on a timer: a sweep every `reconcile_interval` seconds requests it for the stations that are online and
  not in line (a station back without a boot, a retry after a timeout). A sweep reads what the area
  records as not in line, in one query, and does nothing else for stations in line.

Requests coalesce in `StationWork`, so the three triggers never stack up work for a station. Whatever a
run cannot know for sure (a call that timed out may have been applied) it records as uncertain, so the
next run starts from what is known.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from voltline.kernel.actors import SYSTEM, current_actor
from voltline.kernel.errors import DomainError

log = logging.getLogger(__name__)

Job = Callable[[str], Awaitable[None]]  # called with the station id
Tick = Callable[[], Awaitable[None]]


class _Queue:
    """One station's jobs to come (an ordered set) and the worker task running them."""

    __slots__ = ("jobs", "task")

    def __init__(self) -> None:
        self.jobs: dict[Job, None] = {}
        self.task: asyncio.Task[None] | None = None


class StationWork:
    """Per-station background work: serial per station, coalescing, cancellable (see the module doc)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._stations: dict[str, _Queue] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # every worker until it ends, cancelled ones included
        self._closed = False

    def request(self, station_id: str, job: Job) -> None:
        """Run `job(station_id)` in the station's worker, after the jobs already waiting there. After
        `close`, requests are ignored (the process is stopping)."""
        if self._closed:
            return
        queue = self._stations.get(station_id)
        if queue is not None:
            queue.jobs.setdefault(job, None)  # merged with the same job when it is still waiting
            return
        queue = self._stations[station_id] = _Queue()
        queue.jobs[job] = None
        task = asyncio.get_running_loop().create_task(self._work(station_id, queue), name=f"{self.name}-{station_id}")
        queue.task = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self, station_id: str) -> None:
        """Drop the station's waiting jobs and cancel the running one; a later request starts afresh."""
        queue = self._stations.pop(station_id, None)
        if queue is not None:
            queue.jobs.clear()
            if queue.task is not None:
                queue.task.cancel()

    def busy(self, station_id: str) -> bool:
        """Whether the station has a job running or waiting."""
        return station_id in self._stations

    async def wait_idle(self) -> None:
        """Wait until no job runs or waits, including those requested meanwhile (tests, graceful stop)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        """Cancel everything, wait for the workers to end, and take no more requests."""
        self._closed = True
        for station_id in list(self._stations):
            self.cancel(station_id)
        await self.wait_idle()

    async def _work(self, station_id: str, queue: _Queue) -> None:
        current_actor.set(SYSTEM)
        try:
            while queue.jobs:
                job = next(iter(queue.jobs))
                del queue.jobs[job]
                try:
                    await job(station_id)
                except DomainError as exc:
                    log.info("%s: %s for station %r: %s", self.name, _name(job), station_id, exc)
                except Exception:
                    log.exception("%s: %s for station %r failed", self.name, _name(job), station_id)
        finally:
            # No await between the loop's last check and this: a request made after it starts a new worker.
            # A cancelled worker is no longer registered (cancel removed it, and a newer one may be).
            if self._stations.get(station_id) is queue:
                del self._stations[station_id]


class Timers:
    """Periodic sweeps: each runs `tick()` every `interval` seconds (the first one an interval after
    `start`), in a task of its own, as the system actor; a failing tick is logged and the next one runs."""

    def __init__(self) -> None:
        self._timers: list[tuple[str, float, Tick]] = []
        self._tasks: list[asyncio.Task[None]] = []

    def every(self, interval: float, name: str, tick: Tick) -> None:
        if interval <= 0:
            raise ValueError(f"timer {name!r} needs a positive interval, not {interval}")
        if self._tasks:
            raise RuntimeError("timers are already running: register them at build")
        self._timers.append((name, interval, tick))

    @property
    def names(self) -> list[str]:
        return [name for name, _, _ in self._timers]

    def start(self) -> None:
        if self._tasks:
            return
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._run(name, interval, tick), name=f"timer-{name}")
            for name, interval, tick in self._timers
        ]

    async def close(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @staticmethod
    async def _run(name: str, interval: float, tick: Tick) -> None:
        current_actor.set(SYSTEM)
        while True:
            await asyncio.sleep(interval)
            try:
                await tick()
            except Exception:
                log.exception("timer %s failed; it runs again in %s s", name, interval)


def _name(job: Callable[..., object]) -> str:
    return getattr(job, "__qualname__", None) or repr(job)
