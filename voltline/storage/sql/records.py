"""Append-only records: review items and station (device model) events. API keys: accounts.py."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from voltline.domain.models import ReviewItem, ReviewKind, StationEvent
from voltline.storage.sql._sql import dialect_insert, utcnow
from voltline.storage.sql.tables import review_items, station_events


class SqlReviewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, station_id: str, kind: ReviewKind, detail: dict[str, Any]) -> None:
        await self._session.execute(
            insert(review_items).values(
                station_id=station_id, kind=ReviewKind(kind).value, detail=detail, created_at=utcnow()
            )
        )

    async def list(self, station_id: str | None = None) -> builtins.list[ReviewItem]:
        query = select(review_items).order_by(review_items.c.id)
        if station_id is not None:
            query = query.where(review_items.c.station_id == station_id)
        return [_review(row) for row in await self._session.execute(query)]

    async def page(
        self, station_id: str | None, kind: ReviewKind | None, limit: int, offset: int
    ) -> builtins.list[ReviewItem]:
        query = select(review_items).order_by(review_items.c.id.desc()).limit(limit).offset(offset)
        if station_id is not None:
            query = query.where(review_items.c.station_id == station_id)
        if kind is not None:
            query = query.where(review_items.c.kind == ReviewKind(kind).value)
        return [_review(row) for row in await self._session.execute(query)]


def _review(row: Row[Any]) -> ReviewItem:
    return ReviewItem(
        id=row.id, station_id=row.station_id, kind=ReviewKind(row.kind), detail=row.detail, created_at=row.created_at
    )


def _event(row: Row[Any]) -> StationEvent:
    m = row._mapping
    return StationEvent(
        station_id=m["station_id"],
        event_id=m["event_id"],
        timestamp=m["timestamp"],
        trigger=m["trigger"],
        component=m["component"],
        variable=m["variable"],
        actual_value=m["actual_value"],
        event_notification_type=m["event_notification_type"],
        cleared=m["cleared"],
        tech_code=m["tech_code"],
        tech_info=m["tech_info"],
        raw=m["raw"],
    )


class SqlEventRepository:
    def __init__(self, session: AsyncSession, dialect_name: str) -> None:
        self._session = session
        self._dialect = dialect_name

    async def add(self, events: Sequence[StationEvent]) -> None:
        """Store events once: a repeated (station, event id, timestamp) is ignored."""
        if not events:
            return
        rows = [
            {
                "station_id": e.station_id,
                "event_id": e.event_id,
                "timestamp": e.timestamp,
                "trigger": e.trigger,
                "component": e.component,
                "variable": e.variable,
                "actual_value": e.actual_value,
                "event_notification_type": e.event_notification_type,
                "cleared": e.cleared,
                "tech_code": e.tech_code,
                "tech_info": e.tech_info,
                "raw": e.raw,
            }
            for e in events
        ]
        # executemany: batched into multi-row INSERTs (asyncpg / sqlite3 executemany).
        stmt = dialect_insert(self._dialect, station_events).on_conflict_do_nothing()
        await self._session.execute(stmt, rows)

    async def list(self, station_id: str, limit: int = 100) -> builtins.list[StationEvent]:
        rows = await self._session.execute(
            select(station_events)
            .where(station_events.c.station_id == station_id)
            .order_by(station_events.c.timestamp.desc(), station_events.c.id.desc())
            .limit(limit)
        )
        return [_event(row) for row in rows]
