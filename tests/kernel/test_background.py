"""Per-station background work (serial, coalescing, cancellable, errors logged) and the periodic timers."""

from __future__ import annotations

import asyncio
import logging

import pytest

from voltline.kernel.actors import SYSTEM, current_actor
from voltline.kernel.background import Job, StationWork, Timers
from voltline.kernel.errors import StationOffline


class Recorder:
    """Jobs that log when they start and end; `gate` holds them at their start until it is set."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.running: dict[str, asyncio.Event] = {}

    def job(self, name: str) -> Job:
        async def run(station_id: str) -> None:
            self.log.append(f"{name} {station_id} start")
            self.running.setdefault(f"{name} {station_id}", asyncio.Event()).set()
            await self.gate.wait()
            self.log.append(f"{name} {station_id} end")

        run.__qualname__ = name
        return run

    async def started(self, name: str, station_id: str) -> None:
        await asyncio.wait_for(self.running.setdefault(f"{name} {station_id}", asyncio.Event()).wait(), 2)


async def test_a_station_runs_its_jobs_one_at_a_time_in_request_order_other_stations_alongside() -> None:
    work, jobs = StationWork("test"), Recorder()
    jobs.gate.clear()
    first, second = jobs.job("first"), jobs.job("second")
    work.request("CP-1", first)
    work.request("CP-1", second)
    work.request("CP-2", second)
    await jobs.started("first", "CP-1")
    await jobs.started("second", "CP-2")  # another station does not wait for CP-1
    assert "second CP-1 start" not in jobs.log
    jobs.gate.set()
    await work.wait_idle()

    cp1 = [entry for entry in jobs.log if "CP-1" in entry]
    assert cp1 == ["first CP-1 start", "first CP-1 end", "second CP-1 start", "second CP-1 end"]
    assert not work.busy("CP-1") and not work.busy("CP-2")


async def test_requests_coalesce_while_waiting_and_a_request_while_running_runs_once_more() -> None:
    work, jobs = StationWork("test"), Recorder()
    jobs.gate.clear()
    slow, sync = jobs.job("slow"), jobs.job("sync")
    work.request("CP-1", slow)
    await jobs.started("slow", "CP-1")
    for _ in range(5):
        work.request("CP-1", sync)  # waiting behind slow: one run
    await asyncio.sleep(0)
    jobs.gate.set()
    await work.wait_idle()
    assert jobs.log.count("sync CP-1 start") == 1

    jobs.log.clear()
    jobs.gate.clear()
    jobs.running.clear()
    work.request("CP-1", sync)
    await jobs.started("sync", "CP-1")
    for _ in range(5):
        work.request("CP-1", sync)  # while it runs: once more afterwards, not five times
    jobs.gate.set()
    await work.wait_idle()
    assert jobs.log == ["sync CP-1 start", "sync CP-1 end", "sync CP-1 start", "sync CP-1 end"]


async def test_cancel_stops_the_running_job_drops_the_waiting_ones_and_a_later_request_starts_afresh() -> None:
    work, jobs = StationWork("test"), Recorder()
    jobs.gate.clear()
    old, waiting, new = jobs.job("old"), jobs.job("waiting"), jobs.job("new")
    work.request("CP-1", old)
    work.request("CP-1", waiting)
    await jobs.started("old", "CP-1")

    work.cancel("CP-1")  # e.g. a newer boot
    assert not work.busy("CP-1")
    work.request("CP-1", new)  # at once, while the cancelled worker is still winding down
    jobs.gate.set()
    await work.wait_idle()

    assert jobs.log == ["old CP-1 start", "new CP-1 start", "new CP-1 end"]
    work.request("CP-1", new)  # the cancelled worker's end did not disturb the station's later work
    await work.wait_idle()
    assert jobs.log[-2:] == ["new CP-1 start", "new CP-1 end"]


async def test_close_cancels_everything_waits_and_takes_no_more_requests() -> None:
    work, jobs = StationWork("test"), Recorder()
    jobs.gate.clear()
    job = jobs.job("job")
    for station_id in ("CP-1", "CP-2"):
        work.request(station_id, job)
    await jobs.started("job", "CP-1")
    await jobs.started("job", "CP-2")

    await work.close()
    assert not work.busy("CP-1") and not work.busy("CP-2")
    work.request("CP-3", job)
    jobs.gate.set()
    await asyncio.sleep(0.01)
    assert jobs.log == ["job CP-1 start", "job CP-2 start"]  # none ended, none started after close
    await work.wait_idle()


async def test_failing_jobs_are_logged_and_the_next_job_runs(caplog: pytest.LogCaptureFixture) -> None:
    work, jobs = StationWork("test"), Recorder()

    async def offline(station_id: str) -> None:
        raise StationOffline(f"station {station_id!r} is not connected")

    async def broken(station_id: str) -> None:
        raise RuntimeError("a bug")

    with caplog.at_level(logging.INFO, logger="voltline.kernel.background"):
        work.request("CP-1", offline)
        work.request("CP-1", broken)
        work.request("CP-1", jobs.job("after"))
        await work.wait_idle()

    assert jobs.log == ["after CP-1 start", "after CP-1 end"]
    levels = [(r.levelno, r.exc_info is not None) for r in caplog.records]
    assert levels == [(logging.INFO, False), (logging.ERROR, True)]  # the expected kind briefly, a bug with its trace
    assert "is not connected" in caplog.records[0].getMessage()


async def test_jobs_run_as_the_system_actor() -> None:
    work = StationWork("test")
    actors: list[str] = []

    async def job(station_id: str) -> None:
        actors.append(current_actor.get())

    token = current_actor.set("user:alice")  # whoever made the change that requested it
    try:
        work.request("CP-1", job)
    finally:
        current_actor.reset(token)
    await work.wait_idle()
    assert actors == [SYSTEM]


async def test_wait_idle_waits_for_work_requested_meanwhile() -> None:
    work, jobs = StationWork("test"), Recorder()
    follow_up = jobs.job("follow-up")

    async def first(station_id: str) -> None:
        await asyncio.sleep(0.01)
        work.request("CP-2", follow_up)  # another station's worker, started while waiting

    work.request("CP-1", first)
    await work.wait_idle()
    assert jobs.log == ["follow-up CP-2 start", "follow-up CP-2 end"]


# -- timers ------------------------------------------------------------------------------------------


async def test_timers_tick_on_their_interval_survive_a_failing_tick_and_stop_on_close(
    caplog: pytest.LogCaptureFixture,
) -> None:
    timers = Timers()
    ticks: list[str] = []
    enough = asyncio.Event()

    async def sweep() -> None:
        ticks.append(current_actor.get())
        if len(ticks) == 2:
            raise RuntimeError("the database blinked")
        if len(ticks) >= 4:
            enough.set()

    timers.every(0.01, "sweep", sweep)
    assert timers.names == ["sweep"]
    await asyncio.sleep(0.03)
    assert ticks == []  # nothing before start
    with caplog.at_level(logging.ERROR, logger="voltline.kernel.background"):
        timers.start()
        await asyncio.wait_for(enough.wait(), 2)
        await timers.close()
    count = len(ticks)
    await asyncio.sleep(0.03)
    assert len(ticks) == count  # stopped
    assert set(ticks) == {SYSTEM}
    assert "timer sweep failed" in caplog.text


async def test_timers_are_registered_before_they_start_with_a_positive_interval() -> None:
    timers = Timers()

    async def sweep() -> None:
        pass

    with pytest.raises(ValueError, match="positive interval"):
        timers.every(0, "sweep", sweep)
    timers.every(60, "sweep", sweep)
    timers.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            timers.every(60, "late", sweep)
    finally:
        await timers.close()
