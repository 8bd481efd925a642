"""Smart charging in SQL: the profiles kept per station, the station's view, reported limits, templates."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from voltline.areas.smart_charging.model import (
    ChargingLimit,
    ChargingProfile,
    ChargingProfilePurpose,
    DeliveryState,
    LimitKind,
    ProfileKind,
    ProfileSource,
    ProfileTemplate,
    RecurrencyKind,
    ReportedProfile,
    StoredProfile,
    profile_document,
    profile_of,
    schedule_document,
    schedule_of,
)
from voltline.areas.smart_charging.ports import CHARGING_PROFILES, PROFILE_TEMPLATES, STATION_VIEWS
from voltline.areas.smart_charging.tables import (
    charging_limits,
    charging_profile_templates,
    charging_profiles,
    reported_charging_profiles,
)
from voltline.storage.sql.dialect import dialect_insert, utcnow
from voltline.storage.sql.unit_of_work import RepositoryFactories

_ACTIVE = (DeliveryState.PENDING.value, DeliveryState.ACCEPTED.value)
_ORDER = (
    charging_profiles.c.evse_id,
    charging_profiles.c.purpose,
    charging_profiles.c.stack_level,
    charging_profiles.c.profile_id,
)
# The statements of every profile write, built once: a load controller sends a profile per change, and
# binding values to a built statement spares constructing and cache-keying a new one each time.
_ACTIVE_OF_STATION = (
    select(charging_profiles)
    .where(charging_profiles.c.station_id == bindparam("b_station_id"), charging_profiles.c.state.in_(_ACTIVE))
    .order_by(*_ORDER)
)
_SAVED_COLUMNS = (
    "evse_id",
    "purpose",
    "stack_level",
    "kind",
    "recurrency",
    "valid_from",
    "valid_to",
    "transaction_id",
    "schedules",
    "source",
    "set_by",
    "set_at",
    "state",
    "status_reason",
    "template_id",
    "updated_at",
)
_UPSERTS: dict[str, Any] = {}


_SET_STATE = (
    update(charging_profiles)
    .where(
        charging_profiles.c.station_id == bindparam("b_station_id"),
        charging_profiles.c.profile_id == bindparam("b_profile_id"),
        charging_profiles.c.set_at == bindparam("b_set_at"),
    )
    .values(state=bindparam("b_state"), status_reason=bindparam("b_reason"), updated_at=bindparam("b_at"))
)


def _upsert(dialect_name: str) -> Any:
    """INSERT ... ON CONFLICT (station, profile id) DO UPDATE, with every value a bound parameter."""
    statement = _UPSERTS.get(dialect_name)
    if statement is None:
        names = ("station_id", "profile_id", *_SAVED_COLUMNS)
        built = dialect_insert(dialect_name, charging_profiles).values({n: bindparam(f"b_{n}") for n in names})
        statement = built.on_conflict_do_update(
            index_elements=["station_id", "profile_id"], set_={n: built.excluded[n] for n in _SAVED_COLUMNS}
        )
        _UPSERTS[dialect_name] = statement
    return statement


def _stored(row: Row[Any]) -> StoredProfile:
    m = row._mapping
    profile = ChargingProfile(
        profile_id=m["profile_id"],
        purpose=ChargingProfilePurpose(m["purpose"]),
        stack_level=m["stack_level"],
        kind=ProfileKind(m["kind"]),
        schedules=tuple(schedule_of(s) for s in m["schedules"]["schedules"]),
        evse_id=m["evse_id"],
        recurrency=RecurrencyKind(m["recurrency"]) if m["recurrency"] else None,
        valid_from=m["valid_from"],
        valid_to=m["valid_to"],
        transaction_id=m["transaction_id"],
    )
    return StoredProfile(
        station_id=m["station_id"],
        profile=profile,
        source=ProfileSource(m["source"]),
        set_by=m["set_by"],
        set_at=m["set_at"],
        state=DeliveryState(m["state"]),
        status_reason=m["status_reason"],
        updated_at=m["updated_at"],
        template_id=m["template_id"],
    )


def _saved_values(record: StoredProfile) -> dict[str, Any]:
    profile = record.profile
    return {
        "b_station_id": record.station_id,
        "b_profile_id": profile.profile_id,
        "b_evse_id": profile.evse_id,
        "b_purpose": profile.purpose.value,
        "b_stack_level": profile.stack_level,
        "b_kind": profile.kind.value,
        "b_recurrency": profile.recurrency.value if profile.recurrency else None,
        "b_valid_from": profile.valid_from,
        "b_valid_to": profile.valid_to,
        "b_transaction_id": profile.transaction_id,
        "b_schedules": {"schedules": [schedule_document(s) for s in profile.schedules]},
        "b_source": record.source.value,
        "b_set_by": record.set_by,
        "b_set_at": record.set_at,
        "b_state": record.state.value,
        "b_status_reason": record.status_reason,
        "b_template_id": record.template_id,
        "b_updated_at": record.updated_at or utcnow(),
    }


class SqlChargingProfileRepository:
    def __init__(self, session: AsyncSession, dialect_name: str) -> None:
        self._session = session
        self._dialect = dialect_name

    async def get(self, station_id: str, profile_id: int) -> StoredProfile | None:
        row = (
            await self._session.execute(
                select(charging_profiles).where(
                    charging_profiles.c.station_id == station_id, charging_profiles.c.profile_id == profile_id
                )
            )
        ).first()
        return _stored(row) if row is not None else None

    async def list(self, station_id: str, *, active_only: bool = False) -> builtins.list[StoredProfile]:
        if active_only:
            rows = await self._session.execute(_ACTIVE_OF_STATION, {"b_station_id": station_id})
            return [_stored(row) for row in rows]
        query = select(charging_profiles).where(charging_profiles.c.station_id == station_id).order_by(*_ORDER)
        return [_stored(row) for row in await self._session.execute(query)]

    async def save(self, record: StoredProfile) -> None:
        await self._session.execute(_upsert(self._dialect), _saved_values(record))

    async def save_many(self, records: Sequence[StoredProfile]) -> None:
        if records:
            await self._session.execute(_upsert(self._dialect), [_saved_values(r) for r in records])

    async def set_state(self, records: Sequence[StoredProfile]) -> None:
        if not records:
            return
        # One executemany for the lot (a boot storm's batch holds hundreds). A state is about the version of
        # the profile it was decided for (its set_at): a state written late, after the profile was stored
        # again under its id, does not overwrite the newer version's.
        now = utcnow()
        await self._session.execute(
            _SET_STATE,
            [
                {
                    "b_station_id": r.station_id,
                    "b_profile_id": r.profile.profile_id,
                    "b_set_at": r.set_at,
                    "b_state": r.state.value,
                    "b_reason": r.status_reason,
                    "b_at": r.updated_at or now,
                }
                for r in records
            ],
        )

    async def all_active(self) -> builtins.list[StoredProfile]:
        rows = await self._session.execute(select(charging_profiles).where(charging_profiles.c.state.in_(_ACTIVE)))
        return [_stored(row) for row in rows]

    async def stations_with_active(self) -> builtins.list[str]:
        rows = await self._session.execute(
            select(charging_profiles.c.station_id).where(charging_profiles.c.state.in_(_ACTIVE)).distinct()
        )
        return sorted(row[0] for row in rows)

    async def stations_with_pending(self) -> builtins.list[str]:
        rows = await self._session.execute(
            select(charging_profiles.c.station_id)
            .where(charging_profiles.c.state == DeliveryState.PENDING.value)
            .distinct()
        )
        return sorted(row[0] for row in rows)

    async def next_profile_id(self, station_id: str) -> int:
        highest = await self._session.scalar(
            select(func.max(charging_profiles.c.profile_id)).where(charging_profiles.c.station_id == station_id)
        )
        return int(highest or 0) + 1

    async def retire_expired(self, now: datetime) -> builtins.list[StoredProfile]:
        condition = and_(
            charging_profiles.c.state.in_(_ACTIVE),
            charging_profiles.c.valid_to.is_not(None),
            charging_profiles.c.valid_to <= now,
        )
        rows = [_stored(row) for row in await self._session.execute(select(charging_profiles).where(condition))]
        if rows:
            await self._session.execute(
                update(charging_profiles)
                .where(condition)
                .values(state=DeliveryState.CLEARED.value, status_reason="validity ended", updated_at=now)
            )
        return rows


def _reported(row: Row[Any]) -> ReportedProfile:
    m = row._mapping
    return ReportedProfile(
        station_id=m["station_id"],
        limit_source=m["limit_source"],
        profile=profile_of(m["profile"]),
        request_id=m["request_id"],
        reported_at=m["reported_at"],
    )


def _limit(row: Row[Any]) -> ChargingLimit:
    m = row._mapping
    return ChargingLimit(
        station_id=m["station_id"],
        kind=LimitKind(m["kind"]),
        source=m["source"],
        evse_id=m["evse_id"],
        detail=dict(m["detail"]),
        reported_at=m["reported_at"],
        grid_critical=m["grid_critical"],
    )


class SqlStationViewRepository:
    def __init__(self, session: AsyncSession, dialect_name: str) -> None:
        self._session = session
        self._dialect = dialect_name

    async def replace_reported(self, station_id: str, profiles: Sequence[ReportedProfile]) -> None:
        await self._session.execute(
            delete(reported_charging_profiles).where(reported_charging_profiles.c.station_id == station_id)
        )
        await self.add_reported(profiles)

    async def add_reported(self, profiles: Sequence[ReportedProfile]) -> None:
        if not profiles:
            return
        rows = {
            (p.station_id, p.limit_source, p.profile.evse_id, p.profile.profile_id): {
                "station_id": p.station_id,
                "limit_source": p.limit_source,
                "evse_id": p.profile.evse_id,
                "profile_id": p.profile.profile_id,
                "profile": profile_document(p.profile),
                "request_id": p.request_id,
                "reported_at": p.reported_at,
            }
            for p in profiles
        }
        stmt = dialect_insert(self._dialect, reported_charging_profiles)
        stmt = stmt.on_conflict_do_update(
            index_elements=["station_id", "limit_source", "evse_id", "profile_id"],
            set_={
                "profile": stmt.excluded.profile,
                "request_id": stmt.excluded.request_id,
                "reported_at": stmt.excluded.reported_at,
            },
        )
        await self._session.execute(stmt, list(rows.values()))

    async def reported(self, station_id: str) -> builtins.list[ReportedProfile]:
        rows = await self._session.execute(
            select(reported_charging_profiles)
            .where(reported_charging_profiles.c.station_id == station_id)
            .order_by(reported_charging_profiles.c.evse_id, reported_charging_profiles.c.profile_id)
        )
        return [_reported(row) for row in rows]

    async def put_limit(self, limit: ChargingLimit) -> None:
        values = {"grid_critical": limit.grid_critical, "detail": limit.detail, "reported_at": limit.reported_at}
        stmt = dialect_insert(self._dialect, charging_limits).values(
            station_id=limit.station_id, kind=limit.kind.value, source=limit.source, evse_id=limit.evse_id, **values
        )
        await self._session.execute(
            stmt.on_conflict_do_update(index_elements=["station_id", "kind", "source", "evse_id"], set_=values)
        )

    async def clear_limit(self, station_id: str, kind: str, source: str, evse_id: int | None) -> int:
        condition = and_(
            charging_limits.c.station_id == station_id,
            charging_limits.c.kind == kind,
            charging_limits.c.source == source,
        )
        if evse_id is not None:
            condition = and_(condition, charging_limits.c.evse_id == evse_id)
        result = await self._session.execute(delete(charging_limits).where(condition))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def limits(self, station_id: str) -> builtins.list[ChargingLimit]:
        rows = await self._session.execute(
            select(charging_limits)
            .where(charging_limits.c.station_id == station_id)
            .order_by(charging_limits.c.kind, charging_limits.c.evse_id, charging_limits.c.source)
        )
        return [_limit(row) for row in rows]


def _template(row: Row[Any]) -> ProfileTemplate:
    m = row._mapping
    return ProfileTemplate(
        template_id=m["id"],
        name=m["name"],
        profile=profile_of(m["profile"]),
        created_by=m["created_by"],
        created_at=m["created_at"],
    )


class SqlProfileTemplateRepository:
    def __init__(self, session: AsyncSession, dialect_name: str) -> None:
        self._session = session

    async def get(self, template_id: int) -> ProfileTemplate | None:
        row = (
            await self._session.execute(
                select(charging_profile_templates).where(charging_profile_templates.c.id == template_id)
            )
        ).first()
        return _template(row) if row is not None else None

    async def by_name(self, name: str) -> ProfileTemplate | None:
        row = (
            await self._session.execute(
                select(charging_profile_templates).where(charging_profile_templates.c.name == name)
            )
        ).first()
        return _template(row) if row is not None else None

    async def list(self) -> builtins.list[ProfileTemplate]:
        rows = await self._session.execute(select(charging_profile_templates).order_by(charging_profile_templates.c.id))
        return [_template(row) for row in rows]

    async def add(self, name: str, profile: ChargingProfile, created_by: str) -> ProfileTemplate:
        """Insert; a duplicate name raises `sqlalchemy.exc.IntegrityError` (check with `by_name` first)."""
        now = utcnow()
        template_id = (
            await self._session.execute(
                insert(charging_profile_templates)
                .values(name=name, profile=profile_document(profile), created_by=created_by, created_at=now)
                .returning(charging_profile_templates.c.id)
            )
        ).scalar_one()
        return ProfileTemplate(int(template_id), name, profile, created_by, now)

    async def delete(self, template_id: int) -> bool:
        result = await self._session.execute(
            delete(charging_profile_templates).where(charging_profile_templates.c.id == template_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


# The repositories this area registers with SQL storage (see `voltline.storage.sql.unit_of_work`).
REPOSITORIES: RepositoryFactories = {
    CHARGING_PROFILES: SqlChargingProfileRepository,
    STATION_VIEWS: SqlStationViewRepository,
    PROFILE_TEMPLATES: SqlProfileTemplateRepository,
}
