"""The OCPP message log repository: batched inserts, keyset-paged listing, purge by age in small steps."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from voltline.areas.message_log.model import FrameRecord, LoggedFrame, MessageLogQuery, to_epoch_us
from voltline.areas.message_log.ports import MESSAGE_LOG
from voltline.areas.message_log.tables import message_log
from voltline.storage.sql.unit_of_work import RepositoryFactories

_COLUMNS = ("at_us", "station_id", "direction", "message_type", "message_id", "action", "frame", "truncated")
_SQLITE_INSERT = (
    "INSERT INTO message_log (at_us, station_id, direction, message_type, message_id, action, frame, truncated) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


class SqlMessageLogRepository:
    """Implements `voltline.kernel.storage.MessageLogRepository`."""

    def __init__(self, session: AsyncSession, dialect_name: str) -> None:
        self._session = session
        self._dialect = dialect_name

    async def add_many(self, records: Sequence[FrameRecord]) -> None:
        if not records:
            return
        if self._dialect == "sqlite":
            # Straight to the driver's executemany (the records are tuples in column order): SQLAlchemy's
            # per-parameter processing would cost more than SQLite's own work for thousands of rows.
            connection = await self._session.connection()
            await connection.exec_driver_sql(_SQLITE_INSERT, records)  # type: ignore[arg-type]
            return
        # PostgreSQL: COPY through asyncpg, the cheapest bulk path by far (the records are rows already).
        connection = await self._session.connection()
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            "message_log", records=records, columns=_COLUMNS
        )

    async def page(self, query: MessageLogQuery) -> builtins.list[LoggedFrame]:
        c = message_log.c
        stmt = select(message_log).where(c.station_id == query.station_id)
        if query.action is not None:
            stmt = stmt.where(c.action == query.action)
        if query.direction is not None:
            stmt = stmt.where(c.direction == query.direction)
        if query.message_type is not None:
            stmt = stmt.where(c.message_type == query.message_type)
        if query.since is not None:
            stmt = stmt.where(c.at_us >= to_epoch_us(query.since))
        if query.until is not None:
            stmt = stmt.where(c.at_us < to_epoch_us(query.until))
        key = tuple_(c.at_us, c.id)
        if query.after is not None:
            after = tuple_(literal(query.after[0], c.at_us.type), literal(query.after[1], c.id.type))
            stmt = stmt.where(key < after if query.order == "desc" else key > after)
        order = (c.at_us.desc(), c.id.desc()) if query.order == "desc" else (c.at_us, c.id)
        stmt = stmt.order_by(*order)
        rows = await self._session.execute(stmt.limit(query.limit))
        return [
            LoggedFrame(
                id=row.id,
                at_us=row.at_us,
                station_id=row.station_id,
                direction=row.direction,
                message_type=row.message_type,
                message_id=row.message_id,
                action=row.action,
                frame=row.frame,
                truncated=row.truncated,
            )
            for row in rows
        ]

    async def purge_oldest(self, before: datetime, batch: int) -> int:
        """Delete up to `batch` of the oldest frames (by id, which follows capture order) stored before
        `before`; stops at the first younger one, so it never scans the rest of the table."""
        c = message_log.c
        cutoff = to_epoch_us(before)
        rows = (await self._session.execute(select(c.id, c.at_us).order_by(c.id).limit(batch))).all()
        last: int | None = None
        for row_id, at_us in rows:
            if at_us >= cutoff:
                break
            last = row_id
        if last is None:
            return 0
        result = await self._session.execute(delete(message_log).where(c.id <= last))
        return int(result.rowcount)  # type: ignore[attr-defined]


# The repositories this area registers with SQL storage (see `voltline.storage.sql.unit_of_work`).
REPOSITORIES: RepositoryFactories = {
    MESSAGE_LOG: SqlMessageLogRepository,
}
