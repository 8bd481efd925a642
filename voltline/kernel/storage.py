"""Storage contract: what the domain needs from persistence, and nothing about how it is done.

A domain operation is a coroutine function over a `UnitOfWork`; `Storage.write` runs it inside a database
transaction that may be shared with other operations (group commit) and returns only once that
transaction has committed, so a caller can acknowledge a station only after its data is durable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - the item type of a bulk submission
R = TypeVar("R")
ItemT = TypeVar("ItemT", contravariant=True)
ResultT = TypeVar("ResultT", covariant=True)


class RepositoryKey(Generic[R]):
    """Names one repository of a unit of work; the area that owns the repository declares its key in its
    ports module (`STATIONS: RepositoryKey[StationRepository] = RepositoryKey("stations")`), so the
    contract grows with the areas instead of in one shared class."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"RepositoryKey({self.name!r})"


class UnknownRepositoryError(LookupError):
    """A unit of work was asked for a repository no area registered with this storage."""


class UnitOfWork(Protocol):
    """The repositories of one database transaction, by key: `uow[STATIONS].get(station_id)`."""

    def __getitem__(self, key: RepositoryKey[R], /) -> R: ...


Operation = Callable[[UnitOfWork], Awaitable[T]]


class BulkOperation(Protocol[ItemT, ResultT]):
    """A kind of write that storage applies to many items at once.

    Every item submitted with the same operation object and caught by the same commit group is handed
    to one `apply` call, so a hot message (meter values, status, authorize) costs a share of a few
    statements instead of statements of its own. `apply` returns one result per item, in order. The
    items come from different stations (a station has one message in flight at a time); `apply` must not
    assume any order between them.
    """

    async def apply(self, uow: UnitOfWork, items: Sequence[ItemT]) -> Sequence[ResultT]: ...


class Storage(Protocol):
    async def write(self, op: Operation[T]) -> T:
        """Run `op` in a transaction and return its result once that transaction has committed."""
        ...

    async def submit(self, operation: BulkOperation[I, T], item: I) -> T:
        """Apply `operation` to `item` together with the other items of its commit group; return once committed."""
        ...

    async def read(self, op: Operation[T]) -> T:
        """Run `op` on a consistent snapshot; it must not write."""
        ...

    async def close(self) -> None:
        """Finish the writes in flight, then release connections."""
        ...
