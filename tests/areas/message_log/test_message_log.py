"""The OCPP message log over real SQL storage: capture, batched writes, queries, bounds and retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.builders import STATION, a_registration
from voltline.areas.message_log.model import FrameRecord, MessageLogQuery, to_epoch_us
from voltline.areas.message_log.ports import MESSAGE_LOG
from voltline.areas.message_log.service import MessageLog, MessageLogConfig
from voltline.areas.stations.service import StationService
from voltline.kernel.errors import NotFound
from voltline.kernel.storage import UnitOfWork
from voltline.storage.sql import SqlStorage

CALL, CALLRESULT, CALLERROR = 2, 3, 4


@pytest.fixture
async def message_log(storage: SqlStorage, stations: StationService) -> MessageLog:
    await stations.register(STATION, a_registration())
    return MessageLog(storage, MessageLogConfig(enabled=True, max_frame_chars=1000))


def a_boot_exchange(log: MessageLog, station_id: str = STATION) -> None:
    observe = log.observer(station_id)
    observe(False, CALL, "m-1", "BootNotification", '[2,"m-1","BootNotification",{}]')
    observe(True, CALLRESULT, "m-1", "BootNotification", b'[3,"m-1",{"status":"Accepted"}]')
    observe(False, CALL, "m-2", "Heartbeat", '[2,"m-2","Heartbeat",{}]')
    observe(True, CALLRESULT, "m-2", "Heartbeat", b'[3,"m-2",{}]')
    observe(True, CALL, "c-1", "Reset", b'[2,"c-1","Reset",{"type":"Soft"}]')
    observe(False, CALLERROR, "c-1", "Reset", '[4,"c-1","NotSupported","",{}]')


async def test_captured_frames_are_written_in_one_batch_and_listed_newest_first(message_log: MessageLog) -> None:
    a_boot_exchange(message_log)
    assert message_log.queued == 6
    assert await message_log.flush()
    assert message_log.queued == 0

    page = await message_log.page(MessageLogQuery(STATION))
    listed = [(f.direction, f.message_type, f.message_id, f.action) for f in page.frames]
    assert listed == [
        ("in", "CALLERROR", "c-1", "Reset"),
        ("out", "CALL", "c-1", "Reset"),
        ("out", "CALLRESULT", "m-2", "Heartbeat"),
        ("in", "CALL", "m-2", "Heartbeat"),
        ("out", "CALLRESULT", "m-1", "BootNotification"),
        ("in", "CALL", "m-1", "BootNotification"),
    ]
    assert page.frames[-1].frame == '[2,"m-1","BootNotification",{}]'
    assert page.frames[-2].frame == '[3,"m-1",{"status":"Accepted"}]'  # bytes sent are stored as text
    assert page.next_after is None
    assert all(f.at.tzinfo is not None and not f.truncated for f in page.frames)


async def test_filters_and_time_window(message_log: MessageLog) -> None:
    a_boot_exchange(message_log)
    message_log.observer("CP-OTHER")(False, CALL, "x", "Heartbeat", "[2,...]")
    await message_log.flush()

    async def ids(**filters: object) -> list[str | None]:
        page = await message_log.page(MessageLogQuery(STATION, **filters))  # type: ignore[arg-type]
        return [f.message_id for f in page.frames]

    assert await ids(action="Heartbeat") == ["m-2", "m-2"]
    assert await ids(direction="out") == ["c-1", "m-2", "m-1"]
    assert await ids(message_type="CALL", order="asc") == ["m-1", "m-2", "c-1"]
    everything = (await message_log.page(MessageLogQuery(STATION, order="asc"))).frames
    middle = everything[2].at
    assert await ids(since=middle, order="asc") == [f.message_id for f in everything if f.at >= middle]
    assert await ids(until=middle, order="asc") == [f.message_id for f in everything if f.at < middle]
    assert await ids(since=datetime.now(UTC) + timedelta(minutes=1)) == []


async def test_pages_follow_each_other_without_gaps_or_repeats(message_log: MessageLog) -> None:
    observe = message_log.observer(STATION)
    for index in range(25):
        observe(False, CALL, f"m-{index}", "Heartbeat", f'[2,"m-{index}","Heartbeat",{{}}]')
    await message_log.flush()

    for order in ("desc", "asc"):
        seen: list[str | None] = []
        after = None
        while True:
            page = await message_log.page(MessageLogQuery(STATION, limit=10, order=order, after=after))  # type: ignore[arg-type]
            seen += [f.message_id for f in page.frames]
            if page.next_after is None:
                break
            after = page.next_after
        expected = [f"m-{index}" for index in range(25)]
        assert seen == (expected[::-1] if order == "desc" else expected)


async def test_very_large_frames_are_cut_and_flagged_and_nul_is_stored_replaced(message_log: MessageLog) -> None:
    observe = message_log.observer(STATION)
    observe(False, CALL, "big", "DataTransfer", "[" + "x" * 5000 + "]")
    observe(False, None, "-1", None, "not json \x00 at all")
    observe(False, None, 12345, None, "[2, 12345]")  # a numeric id (a type error) is kept as text
    await message_log.flush()

    big, unreadable, numeric = (await message_log.page(MessageLogQuery(STATION, order="asc"))).frames
    assert big.truncated and len(big.frame) == 1000 and big.frame.startswith("[xxx")
    assert numeric.message_id == "12345" and numeric.message_type is None
    assert unreadable.frame == "not json \ufffd at all" and not unreadable.truncated


async def test_when_the_queue_is_over_its_bound_the_oldest_frames_are_dropped_and_counted(storage: SqlStorage) -> None:
    log = MessageLog(storage, MessageLogConfig(enabled=True, max_queued_chars=2000))
    observe = log.observer(STATION)
    for index in range(100):
        observe(False, CALL, f"m-{index}", "Heartbeat", "x" * 100)

    assert log.dropped > 0
    assert log.queued + log.dropped == 100
    assert log.queued * (100 + 120) <= 2000  # what is left fits the bound
    kept = [entry[4] for entry in log._queue]
    assert kept == [f"m-{index}" for index in range(100 - log.queued, 100)]  # the newest are kept


async def test_an_unknown_station_is_not_found(message_log: MessageLog) -> None:
    with pytest.raises(NotFound):
        await message_log.page(MessageLogQuery("CP-NOBODY"))


async def test_close_writes_what_is_still_queued(message_log: MessageLog) -> None:
    message_log.start()
    a_boot_exchange(message_log)
    await message_log.close()
    assert len((await message_log.page(MessageLogQuery(STATION))).frames) == 6


async def test_retention_purges_old_frames_in_batches_and_keeps_the_rest(storage: SqlStorage) -> None:
    now = datetime.now(UTC)
    old = [_a_record(now - timedelta(days=8, minutes=index), f"old-{index}") for index in range(7)]
    young = [_a_record(now - timedelta(days=6), "young"), _a_record(now, "new")]

    async def insert(uow: UnitOfWork) -> None:
        await uow[MESSAGE_LOG].add_many([*reversed(old), *young])  # oldest first, as captured

    await storage.write(insert)
    log = MessageLog(storage, MessageLogConfig(enabled=True, retention_days=7, purge_batch=3))

    assert await log.purge() == 7
    assert await log.purge() == 0

    async def remaining(uow: UnitOfWork) -> list[str | None]:
        frames = await uow[MESSAGE_LOG].page(MessageLogQuery(STATION, order="asc"))
        return [f.message_id for f in frames]

    assert await storage.read(remaining) == ["young", "new"]


def _a_record(at: datetime, message_id: str) -> FrameRecord:
    return FrameRecord(to_epoch_us(at), STATION, "in", "CALL", message_id, "Heartbeat", "[2]", False)
