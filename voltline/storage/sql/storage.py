"""`SqlStorage`: the `Storage` port over SQLAlchemy (SQLite or PostgreSQL), with group commit.

Writes go through one writer task. It takes everything queued (up to `max_batch` entries), runs them in
one transaction, commits once, and only then resolves each caller's future, so a caller that acknowledges
a station after `write`/`submit` returns never acknowledges uncommitted data. Plain operations (`write`)
run one after another; bulk items (`submit`) are grouped by their operation and each group is applied
in one call, which is what makes hot messages cheap: a few statements per group, not per message.
If anything in a batch fails, the batch is rolled back and each operation and each bulk item is re-run
alone in its own transaction: only the failing caller sees an exception. Operations must therefore be
plain database work (no side effects outside the unit of work), which is what the domain hands us.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from voltline.kernel.storage import BulkOperation, Operation
from voltline.storage.sql.engine import WRITE_TRANSACTION, make_engine
from voltline.storage.sql.unit_of_work import RepositoryFactories, SqlUnitOfWork

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - a bulk item

log = logging.getLogger(__name__)


class StorageClosedError(RuntimeError):
    """A write was submitted after `SqlStorage.close()` began."""


@dataclass(slots=True)
class _Write(Generic[T]):
    op: Operation[T]
    future: asyncio.Future[T]


@dataclass(slots=True)
class _Bulk:
    operation: BulkOperation[Any, Any]
    item: Any
    future: asyncio.Future[Any]


_Entry = _Write[Any] | _Bulk
# Told of every commit group once it is settled: (entries in it, seconds from BEGIN until every caller was
# resolved, re-runs of a failed group included). Runs on the writer task: must be cheap (a histogram).
CommitObserver = Callable[[int, float], None]


class SqlStorage:
    """Implements `voltline.kernel.storage.Storage`."""

    def __init__(self, engine: AsyncEngine, repositories: RepositoryFactories, *, max_batch: int = 512) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.engine = engine
        self._repositories = repositories
        self.dialect_name: str = engine.dialect.name
        self._max_batch = max_batch
        self._sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self._read_options: dict[str, Any] = (
            # One snapshot for the whole read, and a guarantee that it does not write.
            {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
            if self.dialect_name == "postgresql"
            else {}
        )
        self._queue: asyncio.Queue[_Entry | None] = asyncio.Queue()
        self._closing = False
        self.commit_observer: CommitObserver | None = None
        self._writer = asyncio.create_task(self._run_writer(), name="voltline-storage-writer")

    @classmethod
    async def open(
        cls,
        url: str,
        repositories: RepositoryFactories,
        *,
        max_batch: int = 512,
        sqlite_synchronous: str = "FULL",
        connect_args: dict[str, Any] | None = None,
    ) -> Self:
        """Connect to `url` (see `voltline.storage.sql.engine` for the accepted URLs).

        `repositories` are the factories of the repositories units of work hand out (the areas' own, as the
        composition root collects them). The schema must already be migrated
        (`voltline.storage.sql.migrate.upgrade`). `connect_args` go to the driver as they are; a PostgreSQL
        schema is best chosen in the URL itself with ``?options=-csearch_path%3D<schema>``
        so that migrations see the same one.
        """
        engine = make_engine(url, connect_args=connect_args, sqlite_synchronous=sqlite_synchronous)
        try:
            async with engine.connect():
                pass  # fail now, not on the first write, if the database is unreachable
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, repositories, max_batch=max_batch)

    async def write(self, op: Operation[T]) -> T:
        if self._closing or self._writer.done():
            raise StorageClosedError("storage is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Write(op, future))
        return await future

    async def submit(self, operation: BulkOperation[I, T], item: I) -> T:
        if self._closing or self._writer.done():
            raise StorageClosedError("storage is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Bulk(operation, item, future))
        return await future

    async def read(self, op: Operation[T]) -> T:
        async with self._sessions() as session:
            if self._read_options:
                await session.connection(execution_options=self._read_options)
            return await op(SqlUnitOfWork(session, self.dialect_name, self._repositories))

    @property
    def queue_depth(self) -> int:
        """Writes and bulk items waiting for the writer (the group being committed not included)."""
        return self._queue.qsize()

    async def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._queue.put_nowait(None)  # after every write already queued
        await asyncio.shield(self._writer)
        await self.engine.dispose()

    # -- the writer ------------------------------------------------------------------------------

    async def _run_writer(self) -> None:
        try:
            stop = False
            while not stop:
                item = await self._queue.get()
                if item is None:
                    break
                batch = [item]
                while len(batch) < self._max_batch:
                    try:
                        nxt = self._queue.get_nowait()
                    except asyncio.QueueEmpty:
                        break
                    if nxt is None:
                        stop = True
                        break
                    batch.append(nxt)
                await self._commit(batch)
        finally:
            # Only reached early if the task itself is cancelled: nobody may wait forever.
            while not self._queue.empty():
                item = self._queue.get_nowait()
                if item is not None and not item.future.done():
                    item.future.set_exception(StorageClosedError("storage writer stopped"))

    async def _commit(self, batch: list[_Entry]) -> None:
        live = [entry for entry in batch if not entry.future.done()]  # callers cancelled while queued
        if not live:
            return
        observer = self.commit_observer
        if observer is None:
            await self._settle_group(live)
            return
        started = time.perf_counter()
        await self._settle_group(live)
        observer(len(live), time.perf_counter() - started)

    async def _settle_group(self, live: list[_Entry]) -> None:
        try:
            results = await self._transaction(live)
        except Exception as exc:
            if len(live) == 1:
                _settle_error(live[0], exc)
                return
            log.debug("write batch of %d failed (%r); re-running its entries one by one", len(live), exc)
            for entry in live:
                try:
                    (result,) = await self._transaction([entry])
                except Exception as single_exc:
                    _settle_error(entry, single_exc)
                else:
                    _settle(entry, result)
            return
        for entry, result in zip(live, results, strict=True):
            _settle(entry, result)

    async def _transaction(self, entries: list[_Entry]) -> list[Any]:
        """Run `entries` in one transaction; their results, in the same order."""
        async with self._sessions() as session:
            # SQLite: BEGIN IMMEDIATE, the write lock up front (see engine.py).
            await session.connection(execution_options={WRITE_TRANSACTION: True})
            uow = SqlUnitOfWork(session, self.dialect_name, self._repositories)
            results: list[Any] = [None] * len(entries)
            groups: dict[int, tuple[BulkOperation[Any, Any], list[int]]] = {}
            for index, entry in enumerate(entries):
                if isinstance(entry, _Write):
                    results[index] = await entry.op(uow)
                else:
                    groups.setdefault(id(entry.operation), (entry.operation, []))[1].append(index)
            for operation, indexes in groups.values():
                outcome = await operation.apply(uow, [entries[i].item for i in indexes])  # type: ignore[union-attr]
                if len(outcome) != len(indexes):
                    raise RuntimeError(f"{type(operation).__name__} returned {len(outcome)} results for {len(indexes)}")
                for i, result in zip(indexes, outcome, strict=True):
                    results[i] = result
            await session.commit()
            return results


def _settle(entry: _Entry, result: Any) -> None:
    if not entry.future.done():
        entry.future.set_result(result)


def _settle_error(entry: _Entry, exc: BaseException) -> None:
    if not entry.future.done():
        entry.future.set_exception(exc)
