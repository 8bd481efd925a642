"""Typed domain events: one area states a fact, others react, and neither imports the other's internals.

An event is a frozen dataclass (with slots) deriving from `DomainEvent`, one class per fact, defined by the
area that owns the fact, in its model module (`TokenChanged` by authorization, `StationBootAccepted` by
stations, `CommandCompleted` by the kernel's commands). The `EventBus` is one service of the registry,
built by the composition root; areas subscribe in their manifest's `build`, by event type. There are no
decorators and no module-global registries.

Two kinds of subscribers:

- in-transaction (`subscribe_in_transaction`): called with the `Transaction` (a `UnitOfWork`) of the write
  that published the event, inside it, so what they write commits or rolls back with the cause. They must
  be plain database work: storage may run a write again alone when its commit group failed, and then only
  the last run counts. They may publish follow-up events on the same transaction. An exception fails the
  whole write.
- after-commit (`subscribe_after_commit`): called once the transaction committed (never if it failed),
  synchronously, in the publisher's task. They must be cheap (schedule background work, set a flag, feed
  a queue) and their errors are logged, never raised into the publisher, which has done its part.

Publishing:

- `await bus.write(op)`: runs `op(tx)` in a storage transaction; `await tx.publish(event)` inside it runs the
  in-transaction subscribers at once, and the bus hands every event published in the transaction to the
  after-commit subscribers once `write` committed, in publication order.
- `await bus.publish(event)`: a fact that happened outside any transaction of the publisher (a command
  answered). Its in-transaction subscribers, if there are any, run in a transaction of their own; a
  failure there is logged and the after-commit subscribers still hear of the fact. Never raises.
- `bus.announce(event)`: the synchronous form for facts that have no in-transaction subscribers (a boot
  answered): one dictionary lookup when nobody subscribed.

Subscribers of a type are called in the order they subscribed; the area list fixes that order (an area
that subscribes to another's event imports it, so it is built after it). Dispatch is by exact type: a
subclass of an event is another event.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from voltline.kernel.storage import RepositoryKey, Storage, UnitOfWork

log = logging.getLogger(__name__)


class DomainEvent:
    """Base of every domain event. Subclasses are frozen dataclasses with slots."""

    __slots__ = ()


E = TypeVar("E", bound=DomainEvent)
T = TypeVar("T")
R = TypeVar("R")

InTransactionHandler = Callable[["Transaction", E], Awaitable[None]]
InTransactionBatchHandler = Callable[["Transaction", Sequence[E]], Awaitable[None]]
AfterCommitHandler = Callable[[E], None]
Unsubscribe = Callable[[], None]

_AnyInTransaction = Callable[["Transaction", Any], Awaitable[None]]
_AnyAfterCommit = Callable[[Any], None]


class Transaction:
    """One storage transaction as the bus hands it to an operation and to in-transaction subscribers: a
    `UnitOfWork` (`tx[KEY]`) that can also publish the events of what it changes."""

    __slots__ = ("_events", "_open", "_subscribers", "_uow")

    def __init__(self, uow: UnitOfWork, subscribers: dict[type[DomainEvent], tuple[_AnyInTransaction, ...]]) -> None:
        self._uow = uow
        self._subscribers = subscribers
        self._events: list[DomainEvent] = []
        self._open = True

    def __getitem__(self, key: RepositoryKey[R], /) -> R:
        return self._uow[key]

    async def publish_all(self, events: Sequence[DomainEvent]) -> None:
        """`publish` for many events at once: a subscriber that takes batches (`subscribe_in_transaction_many`)
        is called once per run of events of one type, the others once per event, as `publish` would."""
        if not self._open:
            raise RuntimeError("events published on a transaction that is already over")
        start = 0
        while start < len(events):
            kind = type(events[start])
            end = start + 1
            while end < len(events) and type(events[end]) is kind:
                end += 1
            run = events[start:end]
            self._events.extend(run)
            for handler in self._subscribers.get(kind, ()):
                if isinstance(handler, _Batched):
                    await handler.many(self, run)
                else:
                    for event in run:
                        await handler(self, event)
            start = end

    async def publish(self, event: DomainEvent) -> None:
        """Run the event's in-transaction subscribers now; the after-commit ones follow the commit."""
        if not self._open:
            raise RuntimeError(f"{type(event).__name__} published on a transaction that is already over")
        # Recorded before its subscribers run, so that the follow-ups they publish come after it.
        self._events.append(event)
        for handler in self._subscribers.get(type(event), ()):
            await handler(self, event)

    def _close(self) -> None:
        self._open = False


class EventBus:
    """Typed publish/subscribe of domain events, in-transaction and after-commit (see the module doc).

    `storage` is where `write` runs and where `publish` records events that have in-transaction
    subscribers; a bus without one (tests of parts that publish only) takes after-commit subscribers only.
    """

    def __init__(self, storage: Storage | None = None) -> None:
        self._storage = storage
        # Tuples, replaced on every change: a subscription made while an event is dispatched does not
        # disturb that dispatch.
        self._in_transaction: dict[type[DomainEvent], tuple[_AnyInTransaction, ...]] = {}
        self._after_commit: dict[type[DomainEvent], tuple[_AnyAfterCommit, ...]] = {}

    # ---------------------------------------------------------------- subscribing

    def subscribe_in_transaction(self, kind: type[E], handler: InTransactionHandler[E]) -> Unsubscribe:
        if self._storage is None:
            raise RuntimeError("this event bus has no storage: it takes after-commit subscribers only")
        return _add(self._in_transaction, kind, handler)

    def subscribe_in_transaction_many(self, kind: type[E], handler: InTransactionBatchHandler[E]) -> Unsubscribe:
        """An in-transaction subscriber that writes many events with one statement (`Transaction.publish_all`);
        a single `publish` hands it a batch of one."""
        if self._storage is None:
            raise RuntimeError("this event bus has no storage: it takes in-transaction subscribers only with one")
        return _add(self._in_transaction, kind, _Batched(handler))

    def subscribe_after_commit(self, kind: type[E], handler: AfterCommitHandler[E]) -> Unsubscribe:
        return _add(self._after_commit, kind, handler)

    def has_subscribers(self, kind: type[DomainEvent]) -> bool:
        """Whether publishing an event of `kind` reaches anyone: worth building it."""
        return kind in self._in_transaction or kind in self._after_commit

    # ---------------------------------------------------------------- publishing

    async def write(self, op: Callable[[Transaction], Awaitable[T]]) -> T:
        """`op` in a storage transaction (see `Storage.write`); the events it published reach the
        after-commit subscribers once that transaction committed, before this returns."""
        storage = self._require_storage()
        last: list[Transaction] = []

        async def run(uow: UnitOfWork) -> T:
            # Storage runs an operation again, alone, when its commit group failed: only the events of
            # the run that committed count.
            tx = Transaction(uow, self._in_transaction)
            last[:] = [tx]
            try:
                return await op(tx)
            finally:
                tx._close()

        result = await storage.write(run)
        self._dispatch(last[0]._events)
        return result

    async def publish(self, event: DomainEvent) -> None:
        """A fact that happened outside the publisher's transactions (see the module doc). Never raises."""
        if type(event) not in self._in_transaction:
            self._dispatch((event,))
            return

        async def record(tx: Transaction) -> None:
            await tx.publish(event)

        try:
            await self.write(record)
        except Exception:
            log.exception("recording %s failed; its after-commit subscribers still hear of it", type(event).__name__)
            self._dispatch((event,))

    def announce(self, event: DomainEvent) -> None:
        """The synchronous `publish` of an event without in-transaction subscribers."""
        if type(event) in self._in_transaction:
            raise TypeError(f"{type(event).__name__} has in-transaction subscribers: publish or write it")
        handlers = self._after_commit.get(type(event))
        if handlers is not None:
            self._call(handlers, event)

    # ---------------------------------------------------------------- internals

    def _require_storage(self) -> Storage:
        if self._storage is None:
            raise RuntimeError("this event bus has no storage to write to")
        return self._storage

    def _dispatch(self, events: Sequence[DomainEvent]) -> None:
        for event in events:
            handlers = self._after_commit.get(type(event))
            if handlers is not None:
                self._call(handlers, event)

    @staticmethod
    def _call(handlers: tuple[_AnyAfterCommit, ...], event: DomainEvent) -> None:
        for handler in handlers:
            try:
                handler(event)
            except Exception:
                # The publisher's part is done (committed, answered): a subscriber's failure is its own.
                log.exception("after-commit subscriber %s of %s failed", _name(handler), type(event).__name__)


class _Batched:
    """An in-transaction subscriber that takes batches, called as one that takes an event."""

    __slots__ = ("many",)

    def __init__(self, many: InTransactionBatchHandler[Any]) -> None:
        self.many = many

    async def __call__(self, tx: Transaction, event: DomainEvent) -> None:
        await self.many(tx, (event,))

    def __repr__(self) -> str:
        return _name(self.many)


def _add(table: dict[type[DomainEvent], tuple[Any, ...]], kind: type[DomainEvent], handler: Any) -> Unsubscribe:
    table[kind] = (*table.get(kind, ()), handler)

    def unsubscribe() -> None:
        handlers = list(table.get(kind, ()))
        for index, subscribed in enumerate(handlers):
            if subscribed is handler:
                del handlers[index]
                break
        if handlers:
            table[kind] = tuple(handlers)
        else:
            table.pop(kind, None)

    return unsubscribe


def _name(handler: Callable[..., Any]) -> str:
    return getattr(handler, "__qualname__", None) or repr(handler)
