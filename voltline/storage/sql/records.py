"""Append-only records: review items, station (device model) events, API keys."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from voltline.domain.models import ReviewItem, ReviewKind, StationEvent
from voltline.storage.ports import ApiKey
from voltline.storage.sql._sql import dialect_insert, utcnow
from voltline.storage.sql.tables import api_keys, review_items, station_events


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
        return [
            ReviewItem(
                id=row.id,
                station_id=row.station_id,
                kind=ReviewKind(row.kind),
                detail=row.detail,
                created_at=row.created_at,
            )
            for row in await self._session.execute(query)
        ]


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


def _api_key(row: Row[Any, Any, Any, Any]) -> ApiKey:
    return ApiKey(id=row.id, name=row.name, role=row.role, created_at=row.created_at)


class SqlApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, name: str, role: str, key_hash: str) -> ApiKey:
        row = (
            await self._session.execute(
                insert(api_keys)
                .values(name=name, role=role, key_hash=key_hash, created_at=utcnow())
                .returning(api_keys.c.id, api_keys.c.name, api_keys.c.role, api_keys.c.created_at)
            )
        ).one()
        return _api_key(row)

    async def find(self, key_hash: str) -> ApiKey | None:
        row = (
            await self._session.execute(
                select(api_keys.c.id, api_keys.c.name, api_keys.c.role, api_keys.c.created_at).where(
                    api_keys.c.key_hash == key_hash
                )
            )
        ).first()
        return None if row is None else _api_key(row)

    async def count(self) -> int:
        return int((await self._session.execute(select(func.count()).select_from(api_keys))).scalar_one())
