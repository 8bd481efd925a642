"""Stations and their connector statuses."""

from __future__ import annotations

import builtins
import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, String, all_, any_, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from voltline.areas.stations.model import ConnectorStatus, Registration, Station, StationEvent
from voltline.areas.stations.ports import STATION_EVENTS, STATIONS, BootRecord, StationQuery
from voltline.areas.stations.tables import connector_statuses, station_events, stations
from voltline.storage.sql.base import UtcDateTime
from voltline.storage.sql.dialect import dialect_insert, utcnow
from voltline.storage.sql.unit_of_work import RepositoryFactories

# Fields an operator manages; everything else is reported by the station itself.
_OPERATOR_FIELDS = ("registration", "security_profile", "password_hash", "description")


def _station(row: Row[Any]) -> Station:
    m = row._mapping
    return Station(
        id=m["id"],
        registration=Registration(m["registration"]),
        security_profile=m["security_profile"],
        password_hash=m["password_hash"],
        description=m["description"],
        vendor=m["vendor"],
        model=m["model"],
        serial_number=m["serial_number"],
        firmware_version=m["firmware_version"],
        boot_reason=m["boot_reason"],
        ocpp_version=m["ocpp_version"],
        online=bool(m["online"]),
        last_seen=m["last_seen"],
        last_boot_at=m["last_boot_at"],
        last_boot_status=Registration(m["last_boot_status"]) if m["last_boot_status"] else None,
        created_at=m["created_at"],
    )


def _status(row: Row[Any]) -> ConnectorStatus:
    m = row._mapping
    return ConnectorStatus(
        station_id=m["station_id"],
        evse_id=m["evse_id"],
        connector_id=m["connector_id"],
        status=m["status"],
        error_code=m["error_code"],
        info=m["info"],
        vendor_id=m["vendor_id"],
        vendor_error_code=m["vendor_error_code"],
        timestamp=m["timestamp"],
    )


_STATUS_FIELDS = ("status", "error_code", "info", "vendor_id", "vendor_error_code", "timestamp")

_record_boot_statement = (
    update(stations)
    .where(stations.c.id == bindparam("b_id"))
    .values(
        vendor=bindparam("b_vendor"),
        model=bindparam("b_model"),
        serial_number=bindparam("b_serial_number"),
        firmware_version=bindparam("b_firmware_version"),
        boot_reason=bindparam("b_boot_reason"),
        ocpp_version=bindparam("b_ocpp_version"),
        last_boot_at=bindparam("b_at", type_=UtcDateTime()),
        last_boot_status=bindparam("b_status"),
        last_seen=bindparam("b_at", type_=UtcDateTime()),
    )
)

_set_online_statement = (
    update(stations)
    .where(stations.c.id == bindparam("b_id"))
    .values(
        online=bindparam("b_online"),
        last_seen=bindparam("b_at", type_=UtcDateTime()),
        ocpp_version=func.coalesce(bindparam("b_version", type_=String()), stations.c.ocpp_version),
    )
)

_touch_statement = (
    update(stations)
    .where(stations.c.id == bindparam("b_id"))
    .values(last_seen=bindparam("b_seen", type_=UtcDateTime()))
)


def _contains(text: str) -> str:
    """A LIKE pattern for `text` anywhere, its own `%`, `_` and `\\` taken literally (ESCAPE '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlStationRepository:
    def __init__(self, session: AsyncSession, dialect_name: str) -> None:
        self._session = session
        self._dialect = dialect_name

    async def get(self, station_id: str) -> Station | None:
        row = (await self._session.execute(select(stations).where(stations.c.id == station_id))).first()
        return None if row is None else _station(row)

    async def list(self, limit: int | None = None, offset: int = 0) -> builtins.list[Station]:
        """By id, so that pages are stable; `limit` None: all from `offset` on."""
        stmt = select(stations).order_by(stations.c.id).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = await self._session.execute(stmt)
        return [_station(row) for row in rows]

    async def save(self, station: Station) -> Station:
        """Insert the station, or update only its operator-managed fields if it exists."""
        values: dict[str, Any] = {
            "id": station.id,
            "registration": Registration(station.registration).value,
            "security_profile": station.security_profile,
            "password_hash": station.password_hash,
            "description": station.description,
            "vendor": station.vendor,
            "model": station.model,
            "serial_number": station.serial_number,
            "firmware_version": station.firmware_version,
            "boot_reason": station.boot_reason,
            "ocpp_version": station.ocpp_version,
            "online": station.online,
            "last_seen": station.last_seen,
            "last_boot_at": station.last_boot_at,
            "last_boot_status": station.last_boot_status.value if station.last_boot_status else None,
            "created_at": station.created_at or utcnow(),
        }
        stmt = dialect_insert(self._dialect, stations).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[stations.c.id],
            set_={name: stmt.excluded[name] for name in _OPERATOR_FIELDS},
        )
        await self._session.execute(stmt)
        saved = await self.get(station.id)
        assert saved is not None
        return saved

    async def get_many(self, station_ids: Sequence[str]) -> dict[str, Station]:
        wanted = sorted(set(station_ids))
        found: dict[str, Station] = {}
        for start in range(0, len(wanted), 2000):
            for row in await self._session.execute(
                select(stations).where(stations.c.id.in_(wanted[start : start + 2000]))
            ):
                station = _station(row)
                found[station.id] = station
        return found

    async def registered(self, station_ids: Collection[str]) -> set[str]:
        wanted = sorted(set(station_ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 2000):
            rows = await self._session.execute(
                select(stations.c.id).where(stations.c.id.in_(wanted[start : start + 2000]))
            )
            found.update(rows.scalars())
        return found

    async def create_missing(self, wanted: Sequence[tuple[str, Registration]]) -> dict[str, Station]:
        """Register the stations that do not exist yet; returns all of them as stored."""
        if not wanted:
            return {}
        now = utcnow()
        stmt = dialect_insert(self._dialect, stations).on_conflict_do_nothing(index_elements=[stations.c.id])
        rows = [
            {
                "id": station_id,
                "registration": Registration(registration).value,
                "security_profile": 0,
                "online": False,
                "created_at": now,
            }
            for station_id, registration in wanted
        ]
        await self._session.execute(stmt, rows)
        return await self.get_many([station_id for station_id, _ in wanted])

    async def upsert_many(self, stations_to_save: Sequence[Station], /, *, update_existing: bool = True) -> int:
        """One INSERT ... ON CONFLICT run for all rows (executemany). A missing password keeps the stored
        one. Created = rows minus ids already stored, counted first in this same transaction."""
        if not stations_to_save:
            return 0
        ids = [station.id for station in stations_to_save]
        existing = (
            await self._session.execute(select(func.count()).select_from(stations).where(stations.c.id.in_(ids)))
        ).scalar_one()
        now = utcnow()
        rows = [
            {
                "id": station.id,
                "registration": Registration(station.registration).value,
                "security_profile": station.security_profile,
                "password_hash": station.password_hash,
                "description": station.description,
                "online": False,
                "created_at": station.created_at or now,
            }
            for station in stations_to_save
        ]
        stmt = dialect_insert(self._dialect, stations)
        if update_existing:
            stmt = stmt.on_conflict_do_update(
                index_elements=[stations.c.id],
                set_={
                    "registration": stmt.excluded.registration,
                    "security_profile": stmt.excluded.security_profile,
                    "description": stmt.excluded.description,
                    "password_hash": func.coalesce(stmt.excluded.password_hash, stations.c.password_hash),
                },
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=[stations.c.id])
        # executemany: one statement compiled once (and cached); the drivers batch the rows.
        await self._session.execute(stmt, rows)
        return len(ids) - int(existing)

    async def delete(self, station_id: str) -> bool:
        # connector_statuses go with it (ON DELETE CASCADE); transactions stay as history.
        result = await self._session.execute(delete(stations).where(stations.c.id == station_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def record_boots(self, boots: Sequence[tuple[str, BootRecord]]) -> None:
        if boots:
            await self._session.execute(
                _record_boot_statement,
                [
                    {
                        "b_id": station_id,
                        "b_vendor": boot.vendor,
                        "b_model": boot.model,
                        "b_serial_number": boot.serial_number,
                        "b_firmware_version": boot.firmware_version,
                        "b_boot_reason": boot.reason,
                        "b_ocpp_version": boot.ocpp_version,
                        "b_at": boot.at,
                        "b_status": boot.answer.value if boot.answer is not None else None,
                    }
                    for station_id, boot in boots
                ],
            )

    async def set_online_many(self, changes: Sequence[tuple[str, bool, datetime, str | None]]) -> None:
        """(station id, online, at, OCPP version or None to keep the stored one) for many stations."""
        if changes:
            await self._session.execute(
                _set_online_statement,
                [
                    {"b_id": station_id, "b_online": online, "b_at": at, "b_version": version}
                    for station_id, online, at, version in changes
                ],
            )

    async def touch(self, seen: dict[str, datetime]) -> None:
        if not seen:
            return
        params = [{"b_id": station_id, "b_seen": at} for station_id, at in seen.items()]
        await self._session.execute(_touch_statement, params)

    async def mark_all_offline(self) -> None:
        await self._session.execute(update(stations).where(stations.c.online.is_(True)).values(online=False))

    async def set_statuses(self, statuses: Sequence[ConnectorStatus]) -> None:
        if not statuses:
            return
        stmt = dialect_insert(self._dialect, connector_statuses)
        stmt = stmt.on_conflict_do_update(
            index_elements=[
                connector_statuses.c.station_id,
                connector_statuses.c.evse_id,
                connector_statuses.c.connector_id,
            ],
            set_={name: stmt.excluded[name] for name in _STATUS_FIELDS},
        )
        rows = [
            {
                "station_id": status.station_id,
                "evse_id": status.evse_id,
                "connector_id": status.connector_id,
                **{name: getattr(status, name) for name in _STATUS_FIELDS},
            }
            for status in statuses
        ]
        await self._session.execute(stmt, rows)

    async def statuses(self, station_id: str) -> builtins.list[ConnectorStatus]:
        rows = await self._session.execute(
            select(connector_statuses)
            .where(connector_statuses.c.station_id == station_id)
            .order_by(connector_statuses.c.evse_id, connector_statuses.c.connector_id)
        )
        return [_status(row) for row in rows]

    async def search(self, query: StationQuery) -> tuple[int, builtins.list[Station]]:
        """The count and the page come from the same conditions in the same transaction (one snapshot on
        PostgreSQL), so `total` agrees with the pages. Rows by id: the primary key orders the page."""
        c = stations.c
        conditions: builtins.list[ColumnElement[bool]] = []
        if query.registration is not None:
            conditions.append(c.registration == Registration(query.registration).value)
        if query.ocpp_version is not None:
            conditions.append(c.ocpp_version == query.ocpp_version)
        # Vendor and model are compared like configuration template selectors do: equal, ignoring case.
        if query.vendor is not None:
            conditions.append(func.lower(c.vendor) == query.vendor.lower())
        if query.model is not None:
            conditions.append(func.lower(c.model) == query.model.lower())
        if query.status is not None:
            # A semi-join: a station counts once however many of its connectors are in the status.
            # ix_connector_statuses_status_station lets a rare status (Faulted) start from the few rows
            # in it rather than probe every station's connectors.
            s = connector_statuses.c
            conditions.append(exists().where(s.station_id == c.id, s.status == query.status))
        if query.text is not None:
            pattern = _contains(query.text)
            conditions.append(or_(c.id.ilike(pattern, escape="\\"), c.description.ilike(pattern, escape="\\")))
        if query.online is not None:
            conditions.append(self._connected(query.connected, query.online))
        counted = await self._session.execute(select(func.count()).select_from(stations).where(*conditions))
        rows = await self._session.execute(
            select(stations).where(*conditions).order_by(c.id).limit(query.limit).offset(query.offset)
        )
        return int(counted.scalar_one()), [_station(row) for row in rows]

    def _connected(self, connected: Collection[str], online: bool) -> ColumnElement[bool]:
        """Whether the station's id is (`online`) or is not among `connected`, with the ids as ONE bound
        parameter however many stations are online: an expanding IN takes a placeholder per id, and a
        node holding tens of thousands of connections would pass the drivers' limit (32767)."""
        ids = builtins.list(connected)
        if self._dialect == "postgresql":
            array = bindparam("connected_ids", ids, type_=ARRAY(String()))
            # `<> ALL` for "not among": true for an empty array too; negating `= ANY` would give `<> ANY`.
            return stations.c.id == any_(array) if online else stations.c.id != all_(array)
        listed = select(func.json_each(bindparam("connected_ids", json.dumps(ids))).table_valued("value").c.value)
        return stations.c.id.in_(listed) if online else stations.c.id.not_in(listed)

    async def statuses_of(self, station_ids: Sequence[str]) -> dict[str, builtins.list[ConnectorStatus]]:
        """One query for a page of stations (at most the API's page size of ids), by the primary key."""
        found: dict[str, builtins.list[ConnectorStatus]] = {}
        if not station_ids:
            return found
        s = connector_statuses.c
        rows = await self._session.execute(
            select(connector_statuses)
            .where(s.station_id.in_(builtins.list(station_ids)))
            .order_by(s.station_id, s.evse_id, s.connector_id)
        )
        for row in rows:
            status = _status(row)
            found.setdefault(status.station_id, []).append(status)
        return found


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


# The repositories this area registers with SQL storage (see `voltline.storage.sql.unit_of_work`).
REPOSITORIES: RepositoryFactories = {
    STATIONS: SqlStationRepository,
    STATION_EVENTS: SqlEventRepository,
}
