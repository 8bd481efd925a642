from __future__ import annotations

import asyncio

from voltline.kernel.pending_requests import PendingRequests


async def test_parts_are_collected_until_the_last_one() -> None:
    requests = PendingRequests()
    pending = requests.open("CP-1", "report")
    assert requests.feed("CP-1", "report", pending.request_id, [1, 2], more=True)
    assert not pending.complete.is_set()
    assert requests.feed("CP-1", "report", pending.request_id, [3], more=False)
    assert await pending.wait(0.1)
    assert pending.items == [1, 2, 3] and pending.parts == 2


async def test_parts_of_other_stations_kinds_or_closed_requests_are_unknown() -> None:
    requests = PendingRequests()
    pending = requests.open("CP-1", "report")
    assert not requests.feed("CP-2", "report", pending.request_id, [1], more=False)
    assert not requests.feed("CP-1", "display", pending.request_id, [1], more=False)
    requests.close(pending)
    assert not requests.feed("CP-1", "report", pending.request_id, [1], more=False)
    assert pending.items == []


async def test_waiting_ends_after_the_time_given_with_what_arrived() -> None:
    requests = PendingRequests()
    pending = requests.open("CP-1", "report")
    requests.feed("CP-1", "report", pending.request_id, ["a"], more=True)
    started = asyncio.get_running_loop().time()
    assert not await pending.wait(0.05)
    assert asyncio.get_running_loop().time() - started < 1
    assert pending.items == ["a"]


def test_request_ids_are_distinct_positive_int32() -> None:
    requests = PendingRequests()
    ids = {requests.open("CP-1", "report").request_id for _ in range(1000)}
    assert len(ids) == 1000 and all(0 < i < 2**31 for i in ids)
