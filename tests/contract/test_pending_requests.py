"""The PendingRequests port's contract: what every implementation must do, through the port only.

The in-process one runs here today; one shared by the nodes of a cluster joins `IMPLEMENTATIONS` (with
its set-up in the fixture) and is held to the same behaviour.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from voltline.kernel.pending_requests import InProcessPendingRequests, PendingRequests

IMPLEMENTATIONS: dict[str, Callable[[], PendingRequests]] = {"in-process": InProcessPendingRequests}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
async def requests(request: pytest.FixtureRequest) -> AsyncIterator[PendingRequests]:
    yield IMPLEMENTATIONS[request.param]()


async def test_parts_are_collected_until_the_last_one(requests: PendingRequests) -> None:
    pending = await requests.open("CP-1", "report")
    assert await requests.feed("CP-1", "report", pending.request_id, [1, 2], more=True)
    assert not await pending.wait(0.01)  # more parts follow: not complete yet
    assert await requests.feed("CP-1", "report", pending.request_id, [3], more=False)
    assert await pending.wait(0.1)
    assert list(pending.items) == [1, 2, 3] and pending.parts == 2


async def test_parts_that_arrive_before_anyone_waits_are_kept(requests: PendingRequests) -> None:
    """A station may send its report before the CSMS starts waiting (right after its answer)."""
    pending = await requests.open("CP-1", "report")
    await requests.feed("CP-1", "report", pending.request_id, ["a"], more=False)
    assert await pending.wait(0.1)
    assert list(pending.items) == ["a"]


async def test_parts_of_other_stations_kinds_or_closed_requests_are_unknown(requests: PendingRequests) -> None:
    pending = await requests.open("CP-1", "report")
    assert not await requests.feed("CP-2", "report", pending.request_id, [1], more=False)
    assert not await requests.feed("CP-1", "display", pending.request_id, [1], more=False)
    await requests.close(pending)
    assert not await requests.feed("CP-1", "report", pending.request_id, [1], more=False)
    assert list(pending.items) == []


async def test_two_requests_of_one_station_are_told_apart_by_request_id(requests: PendingRequests) -> None:
    first = await requests.open("CP-1", "report")
    second = await requests.open("CP-1", "report")
    assert await requests.feed("CP-1", "report", second.request_id, ["b"], more=False)
    assert (list(first.items), list(second.items)) == ([], ["b"])


async def test_waiting_ends_after_the_time_given_with_what_arrived(requests: PendingRequests) -> None:
    pending = await requests.open("CP-1", "report")
    await requests.feed("CP-1", "report", pending.request_id, ["a"], more=True)
    started = asyncio.get_running_loop().time()
    assert not await pending.wait(0.05)
    assert asyncio.get_running_loop().time() - started < 1
    assert list(pending.items) == ["a"]


async def test_request_ids_are_distinct_positive_int32(requests: PendingRequests) -> None:
    ids = {(await requests.open("CP-1", "report")).request_id for _ in range(1000)}
    assert len(ids) == 1000 and all(0 < i < 2**31 for i in ids)
