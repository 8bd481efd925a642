"""Local authorization lists: each managed station's sync record, selection groups and confirmed entries."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from voltline.areas.authorization.model import AuthorizationStatus, IdToken, TokenType
from voltline.areas.authorization.sql import token_of_row
from voltline.areas.authorization.tables import id_tokens
from voltline.areas.local_lists.model import LocalListEntry, LocalListState, Selection, SyncState
from voltline.areas.local_lists.ports import LOCAL_LISTS
from voltline.areas.local_lists.tables import local_list_entries, local_list_groups, local_lists
from voltline.storage.sql.dialect import dialect_insert, utcnow
from voltline.storage.sql.unit_of_work import RepositoryFactories

# Bound parameters per statement stay well below SQLite's and asyncpg's limits.
_CHUNK = 2000


def _entry(row: Row[Any]) -> LocalListEntry:
    m = row._mapping
    return LocalListEntry(
        id_token=m["id_token"],
        type=TokenType(m["type"]),
        status=AuthorizationStatus(m["status"]),
        expiry=m["expiry"],
        group_id=m["group_id"],
    )


def _record(row: Row[Any], groups: tuple[str, ...], entry_count: int) -> LocalListState:
    m = row._mapping
    skipped = m["skipped"]
    return LocalListState(
        station_id=m["station_id"],
        selection=Selection(all=m["selects_all"], groups=() if m["selects_all"] else groups),
        desired_version=m["desired_version"],
        station_version=m["station_version"],
        sent_version=m["sent_version"],
        revision=m["revision"],
        needs_full=m["needs_full"],
        state=SyncState(m["state"]),
        last_error=m["last_error"],
        last_attempt_at=m["last_attempt_at"],
        last_synced_at=m["last_synced_at"],
        reported_version=m["reported_version"],
        skipped=tuple(skipped.split("\n")) if skipped else (),
        entry_count=entry_count,
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


class SqlLocalListRepository:
    def __init__(self, session: AsyncSession, dialect_name: str) -> None:
        self._session = session
        self._dialect = dialect_name

    async def get(self, station_id: str) -> LocalListState | None:
        found = await self._records(local_lists.c.station_id == station_id)
        return found[0] if found else None

    async def list(self, state: SyncState | None = None) -> builtins.list[LocalListState]:
        return await self._records(None if state is None else local_lists.c.state == SyncState(state).value)

    async def _records(self, where: Any) -> builtins.list[LocalListState]:
        query = select(local_lists).order_by(local_lists.c.station_id)
        if where is not None:
            query = query.where(where)
        rows = list(await self._session.execute(query))
        if not rows:
            return []
        ids = [row.station_id for row in rows]
        groups: dict[str, list[str]] = {}
        counts: dict[str, int] = {}
        for start in range(0, len(ids), _CHUNK):
            part = ids[start : start + _CHUNK]
            group_rows = await self._session.execute(
                select(local_list_groups.c.station_id, local_list_groups.c.group_id)
                .where(local_list_groups.c.station_id.in_(part))
                .order_by(local_list_groups.c.group_id)
            )
            for station_id, group_id in group_rows:
                groups.setdefault(station_id, []).append(group_id)
            count_rows = await self._session.execute(
                select(local_list_entries.c.station_id, func.count())
                .where(local_list_entries.c.station_id.in_(part))
                .group_by(local_list_entries.c.station_id)
            )
            for station_id, count in count_rows:
                counts[station_id] = int(count)
        return [_record(row, tuple(groups.get(row.station_id, ())), counts.get(row.station_id, 0)) for row in rows]

    async def save(self, record: LocalListState) -> None:
        now = utcnow()
        values = {
            "selects_all": record.selection.all,
            "desired_version": record.desired_version,
            "station_version": record.station_version,
            "sent_version": record.sent_version,
            "revision": record.revision,
            "needs_full": record.needs_full,
            "state": SyncState(record.state).value,
            "last_error": record.last_error,
            "last_attempt_at": record.last_attempt_at,
            "last_synced_at": record.last_synced_at,
            "reported_version": record.reported_version,
            "skipped": "\n".join(record.skipped),
            "updated_at": now,
        }
        stmt = dialect_insert(self._dialect, local_lists).values(
            station_id=record.station_id, created_at=record.created_at or now, **values
        )
        await self._session.execute(stmt.on_conflict_do_update(index_elements=["station_id"], set_=values))
        await self._session.execute(
            delete(local_list_groups).where(local_list_groups.c.station_id == record.station_id)
        )
        if not record.selection.all and record.selection.groups:
            await self._session.execute(
                insert(local_list_groups),
                [{"station_id": record.station_id, "group_id": g} for g in sorted(set(record.selection.groups))],
            )

    async def delete(self, station_id: str) -> bool:
        # Children first: SQLite enforces the foreign keys, but deleting explicitly keeps this independent
        # of whether cascades are switched on.
        await self._session.execute(delete(local_list_entries).where(local_list_entries.c.station_id == station_id))
        await self._session.execute(delete(local_list_groups).where(local_list_groups.c.station_id == station_id))
        result = await self._session.execute(delete(local_lists).where(local_lists.c.station_id == station_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mark_changed(self, groups: Sequence[str | None]) -> builtins.list[str]:
        wanted = sorted({g for g in groups if g is not None})
        condition: ColumnElement[bool] = local_lists.c.selects_all.is_(True)
        if wanted:
            chosen = select(local_list_groups.c.station_id).where(local_list_groups.c.group_id.in_(wanted))
            condition = or_(condition, local_lists.c.station_id.in_(chosen))
        greatest = func.greatest if self._dialect == "postgresql" else func.max  # SQLite's max() of many arguments
        stmt = (
            update(local_lists)
            .where(condition)
            .values(
                desired_version=greatest(
                    local_lists.c.desired_version, local_lists.c.station_version, local_lists.c.sent_version
                )
                + 1,
                revision=local_lists.c.revision + 1,
                state=SyncState.PENDING.value,
                updated_at=utcnow(),
            )
            .returning(local_lists.c.station_id)
        )
        return sorted(row[0] for row in await self._session.execute(stmt))

    async def entries(self, station_id: str) -> dict[str, LocalListEntry]:
        rows = await self._session.execute(
            select(local_list_entries).where(local_list_entries.c.station_id == station_id)
        )
        return {entry.id_token: entry for entry in map(_entry, rows)}

    async def replace_entries(self, station_id: str, entries: Sequence[LocalListEntry]) -> None:
        await self._session.execute(delete(local_list_entries).where(local_list_entries.c.station_id == station_id))
        await self._insert(station_id, entries)

    async def change_entries(self, station_id: str, upserts: Sequence[LocalListEntry], removals: Sequence[str]) -> None:
        gone = sorted(set(removals) | {e.id_token for e in upserts})
        for start in range(0, len(gone), _CHUNK):
            await self._session.execute(
                delete(local_list_entries).where(
                    local_list_entries.c.station_id == station_id,
                    local_list_entries.c.id_token.in_(gone[start : start + _CHUNK]),
                )
            )
        await self._insert(station_id, upserts)

    async def _insert(self, station_id: str, entries: Sequence[LocalListEntry]) -> None:
        if not entries:
            return
        rows = [
            {
                "station_id": station_id,
                "id_token": e.id_token,
                "type": TokenType(e.type).value,
                "status": AuthorizationStatus(e.status).value,
                "expiry": e.expiry,
                "group_id": e.group_id,
            }
            for e in entries
        ]
        await self._session.execute(insert(local_list_entries), rows)

    async def selected_tokens(self, selection: Selection) -> builtins.list[IdToken]:
        if not selection.all and not selection.groups:
            return []
        query = select(id_tokens).order_by(id_tokens.c.id_token)
        if not selection.all:
            query = query.where(id_tokens.c.group_id.in_(sorted(set(selection.groups))))
        return [token_of_row(row) for row in await self._session.execute(query)]


# The repositories this area registers with SQL storage (see `voltline.storage.sql.unit_of_work`).
REPOSITORIES: RepositoryFactories = {
    LOCAL_LISTS: SqlLocalListRepository,
}
