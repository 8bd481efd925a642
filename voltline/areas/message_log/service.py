"""The OCPP message log: every frame in and out of each station, for diagnostics.

Capture sits on the station hot path, so it does almost nothing there: the RPC session, which has
already parsed the frame, hands over its type, id and action with the raw text, and `capture` appends one
tuple to an in-memory queue (cutting a very large frame to `max_frame_chars`). A background writer
drains the queue every `flush_interval` seconds into one bulk insert through `Storage.write`, so the
database sees one statement per batch, not per frame. The queue is bounded by the characters it holds:
when the database cannot keep up, the oldest frames are dropped and counted (a warning at most once a
minute, and the count in the API); the log is never allowed to hold up a station. Frames older than
`retention_days` are purged in small batches every `purge_interval` seconds. When disabled
(VOLTLINE_MESSAGE_LOG=off) nothing is captured and no task runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Final

from voltline.areas.message_log.model import FrameRecord, LoggedFrame, MessageLogQuery, MessageTypeName
from voltline.areas.message_log.ports import MESSAGE_LOG
from voltline.areas.stations.ports import STATIONS
from voltline.kernel.errors import NotFound
from voltline.kernel.redaction import redact_frame
from voltline.kernel.storage import Storage, UnitOfWork

log = logging.getLogger(__name__)

# OCPP-J MessageTypeId -> name.
_TYPE_NAMES: Final[dict[int | None, MessageTypeName | None]] = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR", None: None}
_MAX_ID_CHARS: Final = 64  # the message_id and action columns
# What one queued frame costs besides its text, roughly: the tuple, the float, the references.
_ENTRY_OVERHEAD: Final = 120
_DROP_REPORT_EVERY: Final = 60.0

# What the RPC session calls for each frame (see voltline.ocppj.session.FrameObserver).
FrameObserver = Callable[[bool, int | None, str | int | None, str | None, str | bytes], None]

# (epoch seconds, station id, outbound, message type, message id, action, text as captured, full length)
_Entry = tuple[float, str, bool, int | None, str | int | None, str | None, str | bytes, int]


@dataclass(slots=True, frozen=True)
class MessageLogConfig:
    enabled: bool = False
    retention_days: int = 7
    flush_interval: float = 0.5
    max_frame_chars: int = 64 * 1024
    max_queued_chars: int = 64 * 1024 * 1024
    write_batch: int = 5000
    purge_interval: float = 3600.0
    purge_batch: int = 2000


@dataclass(slots=True, frozen=True)
class MessagePage:
    frames: list[LoggedFrame]
    next_after: tuple[int, int] | None  # the cursor of the next page; None when this one is the last


class MessageLog:
    def __init__(
        self, storage: Storage, config: MessageLogConfig | None = None, registry: Storage | None = None
    ) -> None:
        # `storage` holds the frames; `registry` the stations (the main database). They differ by default on
        # SQLite, where frames go to a database file of their own (see voltline.storage.sql.message_store).
        self._storage = storage
        self._registry = registry if registry is not None else storage
        self.config = config if config is not None else MessageLogConfig()
        self._queue: deque[_Entry] = deque()
        self._queued_chars = 0
        self._limit = self.config.max_frame_chars
        self._budget = self.config.max_queued_chars
        self.dropped = 0  # frames lost since start: queue overflow or a failed write
        self._reported_dropped = 0
        self._reported_at = 0.0
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    @property
    def capturing(self) -> bool:
        return self.config.enabled and not self._closing

    @property
    def queued(self) -> int:
        return len(self._queue)

    # -- capture (station hot path) ----------------------------------------------------------------

    def observer(self, station_id: str) -> FrameObserver:
        """The callback to hand to one station's RPC session."""
        return partial(self.capture, station_id)

    def capture(
        self,
        station_id: str,
        outbound: bool,
        message_type: int | None,
        message_id: str | int | None,
        action: str | None,
        raw: str | bytes,
    ) -> None:
        size = len(raw)
        kept = raw if size <= self._limit else raw[: self._limit]
        self._queue.append((time.time(), station_id, outbound, message_type, message_id, action, kept, size))
        self._queued_chars += len(kept) + _ENTRY_OVERHEAD
        if self._queued_chars > self._budget:
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        queue = self._queue
        while self._queued_chars > self._budget and queue:
            self._queued_chars -= len(queue.popleft()[6]) + _ENTRY_OVERHEAD
            self.dropped += 1

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer and the purge task (only when capture is enabled)."""
        if not self.config.enabled or self._tasks:
            return
        self._tasks = [
            asyncio.create_task(self._write_forever(), name="message-log-writer"),
            asyncio.create_task(self._purge_forever(), name="message-log-purge"),
        ]

    async def close(self) -> None:
        """Stop capturing and the tasks, then write what is still queued (graceful stop: before storage)."""
        self._closing = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        while self._queue:
            if not await self.flush():
                break

    # -- writer -----------------------------------------------------------------------------------

    async def flush(self, at_most: int | None = None) -> bool:
        """Write one batch of queued frames; False when the write failed (those frames are counted as dropped)."""
        queue = self._queue
        count = min(len(queue), self.config.write_batch, len(queue) if at_most is None else at_most)
        if not count:
            return True
        entries = [queue.popleft() for _ in range(count)]
        self._queued_chars -= sum(len(entry[6]) for entry in entries) + _ENTRY_OVERHEAD * count
        limit = self._limit
        records = [_record(entry, limit) for entry in entries]

        async def op(uow: UnitOfWork) -> None:
            await uow[MESSAGE_LOG].add_many(records)

        try:
            await self._storage.write(op)
        except Exception as exc:
            self.dropped += count
            log.warning("could not write %d message log entries: %r", count, exc)
            return False
        return True

    async def _write_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.flush_interval)
            try:
                # What was queued when the round began, then sleep again: frames keep arriving while a batch
                # is written, and chasing them would turn the log into a stream of tiny transactions.
                due = len(self._queue)
                while due > 0:
                    batch = min(due, self.config.write_batch)
                    if not await self.flush(batch):
                        break
                    due -= batch
            except Exception:  # never let the writer die: the next round tries again
                log.exception("message log writer failed")
            self._report_drops()

    def _report_drops(self) -> None:
        now = time.monotonic()
        if self.dropped > self._reported_dropped and now - self._reported_at >= _DROP_REPORT_EVERY:
            log.warning(
                "message log: %d frames dropped since the last report (%d in all): the database cannot keep up",
                self.dropped - self._reported_dropped,
                self.dropped,
            )
            self._reported_dropped = self.dropped
            self._reported_at = now

    # -- retention --------------------------------------------------------------------------------

    async def purge(self, now: datetime | None = None) -> int:
        """Delete frames older than the retention period, one small batch (one write) at a time."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.config.retention_days)
        batch = self.config.purge_batch
        total = 0

        async def op(uow: UnitOfWork) -> int:
            return await uow[MESSAGE_LOG].purge_oldest(cutoff, batch)

        while True:
            deleted = await self._storage.write(op)
            total += deleted
            if deleted < batch:
                return total
            await asyncio.sleep(0)  # between batches, let station writes through

    async def _purge_forever(self) -> None:
        while True:
            try:
                purged = await self.purge()
                if purged:
                    log.info("message log: purged %d frames older than %d days", purged, self.config.retention_days)
            except Exception:
                log.exception("message log purge failed; will retry")
            await asyncio.sleep(self.config.purge_interval)

    # -- reading ----------------------------------------------------------------------------------

    async def page(self, query: MessageLogQuery) -> MessagePage:
        """A page of a registered station's frames; NotFound for an unknown station."""

        async def registered(uow: UnitOfWork) -> bool:
            return await uow[STATIONS].get(query.station_id) is not None

        async def op(uow: UnitOfWork) -> list[LoggedFrame]:
            # One more than asked: whether there is a next page.
            return await uow[MESSAGE_LOG].page(replace(query, limit=query.limit + 1))

        if not await self._registry.read(registered):
            raise NotFound(f"station {query.station_id!r} is not registered")
        frames = await self._storage.read(op)
        more = len(frames) > query.limit
        frames = frames[: query.limit]
        return MessagePage(frames, (frames[-1].at_us, frames[-1].id) if more and frames else None)


def _record(entry: _Entry, limit: int) -> FrameRecord:
    """A queued entry as a row. Runs for every frame, so it stays plain: no datetime, no keyword calls."""
    at, station_id, outbound, message_type, message_id, action, raw, size = entry
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if "\x00" in text:  # no database text column takes NUL; JSON could only carry it escaped anyway
        text = text.replace("\x00", "\ufffd")
    text = redact_frame(text)  # an AuthorizationKey or BasicAuthPassword must not be readable in the log
    if type(message_id) is not str or len(message_id) > _MAX_ID_CHARS:
        message_id = None if message_id is None else str(message_id)[:_MAX_ID_CHARS]
    if action is not None and len(action) > _MAX_ID_CHARS:
        action = action[:_MAX_ID_CHARS]
    return FrameRecord(
        int(at * 1_000_000),
        station_id,
        "out" if outbound else "in",
        _TYPE_NAMES.get(message_type),
        message_id,
        action,
        text,
        size > limit,
    )
