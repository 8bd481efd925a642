"""The domain event bus: in-transaction subscribers share the fate of the transaction that published, after-
commit ones run only once it committed, in order, and nothing a subscriber does wrong reaches a publisher
that has done its part.

Storage here is a small in-memory stand-in with the one property that matters: a transaction's writes
become visible at commit, or never. Its `rerun_next` plays the SQL writer's recovery from a failed commit
group (the operation runs once in the group, which is rolled back, then again alone). The same rules over
real SQL storage are in tests/areas/local_lists (token changes marking lists pending).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from voltline.kernel.events import DomainEvent, EventBus, Transaction
from voltline.kernel.storage import BulkOperation, RepositoryKey, UnitOfWork

T = TypeVar("T")


class Rows:
    """A repository: a list of strings."""

    def __init__(self, rows: list[str]) -> None:
        self.rows = rows

    def add(self, row: str) -> None:
        self.rows.append(row)


ROWS: RepositoryKey[Rows] = RepositoryKey("rows")


class _Uow:
    def __init__(self, rows: list[str]) -> None:
        self._rows = Rows(rows)

    def __getitem__(self, key: RepositoryKey[Any], /) -> Any:
        assert key is ROWS
        return self._rows


class MemoryStorage:
    def __init__(self) -> None:
        self.committed: list[str] = []
        self.rerun_next = False

    async def write(self, op: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        if self.rerun_next:
            self.rerun_next = False
            await op(_Uow(list(self.committed)))  # its commit group fails: rolled back, run again alone
        working = list(self.committed)
        result = await op(_Uow(working))
        self.committed = working  # the commit
        return result

    async def submit(self, operation: BulkOperation[Any, T], item: Any) -> T:
        raise NotImplementedError

    async def read(self, op: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        return await op(_Uow(list(self.committed)))

    async def close(self) -> None:
        pass


@dataclass(slots=True, frozen=True)
class Charged(DomainEvent):
    station_id: str


@dataclass(slots=True, frozen=True)
class Billed(DomainEvent):
    station_id: str


@dataclass(slots=True, frozen=True)
class SpecialCharged(Charged):
    pass


@pytest.fixture
def storage() -> MemoryStorage:
    return MemoryStorage()


@pytest.fixture
def bus(storage: MemoryStorage) -> EventBus:
    return EventBus(storage)


def charge(station_id: str) -> Callable[[Transaction], Awaitable[str]]:
    async def op(tx: Transaction) -> str:
        tx[ROWS].add(f"charge {station_id}")
        await tx.publish(Charged(station_id))
        return station_id

    return op


async def test_in_transaction_subscribers_run_inside_in_order_and_commit_with_the_cause(
    bus: EventBus, storage: MemoryStorage
) -> None:
    async def first(tx: Transaction, event: Charged) -> None:
        assert storage.committed == []  # not committed yet: inside the transaction
        tx[ROWS].add(f"first {event.station_id}")

    async def second(tx: UnitOfWork, event: Charged) -> None:  # a plain UnitOfWork is enough for a subscriber
        tx[ROWS].add(f"second {event.station_id}")

    bus.subscribe_in_transaction(Charged, first)
    bus.subscribe_in_transaction(Charged, second)

    assert await bus.write(charge("CP-1")) == "CP-1"
    assert storage.committed == ["charge CP-1", "first CP-1", "second CP-1"]


async def test_a_failing_in_transaction_subscriber_rolls_back_the_whole_write(
    bus: EventBus, storage: MemoryStorage
) -> None:
    heard: list[DomainEvent] = []

    async def writes(tx: Transaction, event: Charged) -> None:
        tx[ROWS].add("subscriber's write")

    async def fails(tx: Transaction, event: Charged) -> None:
        raise RuntimeError("constraint violated")

    bus.subscribe_in_transaction(Charged, writes)
    bus.subscribe_in_transaction(Charged, fails)
    bus.subscribe_after_commit(Charged, heard.append)

    with pytest.raises(RuntimeError, match="constraint violated"):
        await bus.write(charge("CP-1"))
    assert storage.committed == []  # neither the publisher's write nor the first subscriber's
    assert heard == []


async def test_a_publisher_failing_after_it_published_commits_nothing_and_tells_no_one(
    bus: EventBus, storage: MemoryStorage
) -> None:
    heard: list[DomainEvent] = []
    bus.subscribe_after_commit(Charged, heard.append)

    async def op(tx: Transaction) -> None:
        await charge("CP-1")(tx)
        raise ValueError("changed its mind")

    with pytest.raises(ValueError):
        await bus.write(op)
    assert storage.committed == [] and heard == []


async def test_after_commit_subscribers_run_once_committed_in_publication_order_follow_ups_after_causes(
    bus: EventBus, storage: MemoryStorage
) -> None:
    seen: list[tuple[str, str, list[str]]] = []

    async def bill(tx: Transaction, event: Charged) -> None:
        await tx.publish(Billed(event.station_id))  # a follow-up, in the same transaction

    bus.subscribe_in_transaction(Charged, bill)
    bus.subscribe_after_commit(Charged, lambda e: seen.append(("charged", e.station_id, list(storage.committed))))
    bus.subscribe_after_commit(Billed, lambda e: seen.append(("billed", e.station_id, list(storage.committed))))

    async def op(tx: Transaction) -> None:
        await charge("CP-1")(tx)
        await charge("CP-2")(tx)

    await bus.write(op)
    both = ["charge CP-1", "charge CP-2"]
    assert seen == [
        ("charged", "CP-1", both),
        ("billed", "CP-1", both),
        ("charged", "CP-2", both),
        ("billed", "CP-2", both),
    ]


async def test_an_operation_run_again_after_a_failed_commit_group_is_announced_once(
    bus: EventBus, storage: MemoryStorage
) -> None:
    heard: list[DomainEvent] = []
    bus.subscribe_after_commit(Charged, heard.append)
    storage.rerun_next = True

    await bus.write(charge("CP-1"))
    assert heard == [Charged("CP-1")]
    assert storage.committed == ["charge CP-1"]


async def test_an_after_commit_subscriber_that_raises_is_logged_and_the_others_still_run(
    bus: EventBus, storage: MemoryStorage, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[DomainEvent] = []

    def broken(event: Charged) -> None:
        raise RuntimeError("subscriber bug")

    bus.subscribe_after_commit(Charged, broken)
    bus.subscribe_after_commit(Charged, heard.append)

    with caplog.at_level(logging.ERROR, logger="voltline.kernel.events"):
        assert await bus.write(charge("CP-1")) == "CP-1"  # the publisher is not disturbed
        bus.announce(Charged("CP-2"))
    assert heard == [Charged("CP-1"), Charged("CP-2")]
    assert storage.committed == ["charge CP-1"]
    failures = [r.getMessage() for r in caplog.records]
    assert len(failures) == 2 and all(m.endswith("<locals>.broken of Charged failed") for m in failures)


async def test_publish_outside_a_transaction_records_in_one_of_its_own_and_never_raises(
    bus: EventBus, storage: MemoryStorage, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[str] = []
    fail = False

    async def record(tx: Transaction, event: Charged) -> None:
        if fail:
            raise RuntimeError("database away")
        tx[ROWS].add(f"recorded {event.station_id}")

    bus.subscribe_after_commit(Charged, lambda e: heard.append(e.station_id))
    await bus.publish(Charged("CP-0"))  # no in-transaction subscriber: no transaction at all
    assert storage.committed == [] and heard == ["CP-0"]

    bus.subscribe_in_transaction(Charged, record)
    await bus.publish(Charged("CP-1"))
    assert storage.committed == ["recorded CP-1"] and heard == ["CP-0", "CP-1"]

    fail = True
    with caplog.at_level(logging.ERROR, logger="voltline.kernel.events"):
        await bus.publish(Charged("CP-2"))
    # The fact stands: it is not recorded, which is logged, and its after-commit subscribers hear of it.
    assert storage.committed == ["recorded CP-1"] and heard == ["CP-0", "CP-1", "CP-2"]
    assert "recording Charged failed" in caplog.text


async def test_announce_is_for_events_without_in_transaction_subscribers(bus: EventBus) -> None:
    bus.announce(Charged("CP-1"))  # nobody subscribed: nothing happens

    async def record(tx: Transaction, event: Charged) -> None:
        pass

    bus.subscribe_in_transaction(Charged, record)
    with pytest.raises(TypeError, match="Charged has in-transaction subscribers"):
        bus.announce(Charged("CP-1"))


async def test_dispatch_is_by_exact_type_and_subscriptions_can_end(bus: EventBus) -> None:
    heard: list[DomainEvent] = []
    unsubscribe = bus.subscribe_after_commit(Charged, heard.append)
    assert bus.has_subscribers(Charged) and not bus.has_subscribers(SpecialCharged)

    bus.announce(SpecialCharged("CP-1"))  # another event
    bus.announce(Charged("CP-2"))
    unsubscribe()
    bus.announce(Charged("CP-3"))
    assert heard == [Charged("CP-2")]
    assert not bus.has_subscribers(Charged)


async def test_a_transaction_takes_no_events_once_its_operation_returned(bus: EventBus) -> None:
    kept: list[Transaction] = []

    async def op(tx: Transaction) -> None:
        kept.append(tx)

    await bus.write(op)
    with pytest.raises(RuntimeError, match="already over"):
        await kept[0].publish(Charged("CP-1"))


def test_a_bus_without_storage_takes_after_commit_subscribers_only() -> None:
    bus = EventBus()
    heard: list[DomainEvent] = []
    bus.subscribe_after_commit(Charged, heard.append)
    bus.announce(Charged("CP-1"))
    assert heard == [Charged("CP-1")]

    async def record(tx: Transaction, event: Charged) -> None:
        pass

    with pytest.raises(RuntimeError, match="no storage"):
        bus.subscribe_in_transaction(Charged, record)


async def test_publish_all_hands_batch_subscribers_each_run_of_one_type_and_the_others_each_event(
    bus: EventBus, storage: MemoryStorage
) -> None:
    async def many(tx: Transaction, events: Sequence[Charged]) -> None:
        tx[ROWS].add("batch " + ",".join(e.station_id for e in events))

    async def one(tx: Transaction, event: Charged) -> None:
        tx[ROWS].add(f"one {event.station_id}")

    announced: list[DomainEvent] = []
    bus.subscribe_in_transaction_many(Charged, many)
    bus.subscribe_in_transaction(Charged, one)
    bus.subscribe_after_commit(Charged, announced.append)
    bus.subscribe_after_commit(Billed, announced.append)

    async def op(tx: Transaction) -> None:
        await tx.publish_all([Charged("CP-1"), Charged("CP-2"), Billed("CP-1"), Charged("CP-3")])
        await tx.publish(Charged("CP-4"))  # a single publish: a batch of one

    await bus.write(op)
    assert storage.committed == [
        "batch CP-1,CP-2",
        "one CP-1",
        "one CP-2",
        "batch CP-3",
        "one CP-3",
        "batch CP-4",
        "one CP-4",
    ]
    assert announced == [Charged("CP-1"), Charged("CP-2"), Billed("CP-1"), Charged("CP-3"), Charged("CP-4")]
