"""Transactions and their meter values."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, bindparam, case, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from voltline.areas.transactions.model import (
    ENERGY_REGISTER,
    MUTABLE_FIELDS,
    TRANSACTION_FIELDS,
    ReviewItem,
    ReviewKind,
    SampledValue,
    Transaction,
)
from voltline.areas.transactions.ports import (
    REVIEW_ITEMS,
    TRANSACTIONS,
    MeterRows,
    NewTransaction,
    StartKey,
    TransactionFilter,
)
from voltline.areas.transactions.tables import meter_values, review_items, transactions
from voltline.storage.sql.dialect import dialect_insert, utcnow
from voltline.storage.sql.unit_of_work import RepositoryFactories


class SqlReviewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, station_id: str, kind: ReviewKind, detail: dict[str, Any]) -> None:
        await self._session.execute(
            insert(review_items).values(
                station_id=station_id, kind=ReviewKind(kind).value, detail=detail, created_at=utcnow()
            )
        )

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


# The columns are named as the record's fields (model.TRANSACTION_FIELDS); the REAL ones are converted,
# because SQLite may hand back an integral REAL as int.
_FLOAT_FIELDS = frozenset(column.name for column in transactions.columns if isinstance(column.type, Float))


def _transaction(row: Row[Any]) -> Transaction:
    m = row._mapping
    values = {name: m[name] for name in TRANSACTION_FIELDS}
    for name in _FLOAT_FIELDS:
        if values[name] is not None:
            values[name] = float(values[name])
    return Transaction(**values)


# One compiled statement for every bulk update: executemany over the mutable columns.
_update_many_statement = (
    update(transactions)
    .where(transactions.c.id == bindparam("b_id"))
    .values({name: bindparam(f"b_{name}", type_=transactions.c[name].type) for name in MUTABLE_FIELDS})
)
_NEW_FIELDS = tuple(f.name for f in fields(NewTransaction))
_set_station_tx_id_statement = (
    update(transactions).where(transactions.c.id == bindparam("b_id")).values(station_tx_id=bindparam("b_tx"))
)
# Bound-parameter budget per statement (SQLite allows 32,766; PostgreSQL 32,767).
_KEYS_PER_QUERY = 2000


_SQLITE_INSERT_SAMPLES = (
    "INSERT INTO meter_values (station_id, evse_id, transaction_id, timestamp, measurand, phase, unit, "
    "location, context, value, signed_data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


def _sqlite_timestamp(value: datetime) -> str:
    """UTC text as SQLAlchemy's SQLite DATETIME stores it (see tables.UtcDateTime)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _sample_rows(batch: MeterRows) -> list[dict[str, Any]]:
    return [
        {
            "station_id": batch.station_id,
            "evse_id": batch.evse_id,
            "transaction_id": batch.transaction_id,
            "timestamp": v.timestamp,
            "measurand": v.measurand,
            "phase": v.phase or "",
            "unit": v.unit,
            "location": v.location or "",
            "context": v.context or "",
            "value": v.value,
            "signed_data": v.signed_data,
        }
        for v in batch.values
    ]


def _sample(row: Row[Any]) -> SampledValue:
    m = row._mapping
    return SampledValue(
        timestamp=m["timestamp"],
        value=float(m["value"]),
        measurand=m["measurand"],
        unit=m["unit"],
        phase=m["phase"] or None,
        location=m["location"] or None,
        context=m["context"] or None,
        signed_data=m["signed_data"],
    )


class SqlTransactionRepository:
    """Transactions. `get`/`list` leave `Transaction.meter_values` empty: ask `meter_values(id)`."""

    def __init__(self, session: AsyncSession, dialect_name: str) -> None:
        self._session = session
        self._dialect = dialect_name

    async def create_many(self, news: Sequence[NewTransaction]) -> builtins.list[Transaction]:
        """Insert many transactions with one statement; returned in the order given. One without a
        station id gets its own integer id as that (OCPP 1.6); a station id already used by the station
        raises `sqlalchemy.exc.IntegrityError`."""
        if not news:
            return []
        rows = [{name: getattr(new, name) for name in _NEW_FIELDS} for new in news]
        result = await self._session.execute(
            insert(transactions).returning(transactions, sort_by_parameter_order=True), rows
        )
        created = [_transaction(row) for row in result]
        allocate = [tx for tx, new in zip(created, news, strict=True) if new.station_tx_id is None]
        for tx in allocate:
            tx.station_tx_id = str(tx.id)
        if allocate:
            await self._session.execute(
                _set_station_tx_id_statement, [{"b_id": tx.id, "b_tx": tx.station_tx_id} for tx in allocate]
            )
        return created

    async def get(self, transaction_id: int) -> Transaction | None:
        row = (await self._session.execute(select(transactions).where(transactions.c.id == transaction_id))).first()
        return None if row is None else _transaction(row)

    async def by_station_tx_id(self, station_id: str, station_tx_id: str) -> Transaction | None:
        row = (
            await self._session.execute(
                select(transactions).where(
                    transactions.c.station_id == station_id, transactions.c.station_tx_id == station_tx_id
                )
            )
        ).first()
        return None if row is None else _transaction(row)

    async def by_station_tx_ids(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Transaction]:
        """The transactions named by (station id, station's transaction id) pairs; absent ones are left out."""
        wanted = set(keys)
        found: dict[tuple[str, str], Transaction] = {}
        ordered = sorted(wanted)
        for start in range(0, len(ordered), _KEYS_PER_QUERY):
            chunk = ordered[start : start + _KEYS_PER_QUERY]
            # Two IN lists use the (station_id, station_tx_id) index on both backends; the rare row that
            # matches a station of one pair and the id of another is filtered out below.
            stmt = select(transactions).where(
                transactions.c.station_id.in_({station for station, _ in chunk}),
                transactions.c.station_tx_id.in_({tx_id for _, tx_id in chunk}),
            )
            for row in await self._session.execute(stmt):
                tx = _transaction(row)
                key = (tx.station_id, tx.station_tx_id)
                if key in wanted:
                    found[key] = tx
        return found

    async def ids_by_station_tx_ids(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Like `by_station_tx_ids`, only the internal ids: all that attaching meter values needs."""
        wanted = set(keys)
        found: dict[tuple[str, str], int] = {}
        ordered = sorted(wanted)
        for start in range(0, len(ordered), _KEYS_PER_QUERY):
            chunk = ordered[start : start + _KEYS_PER_QUERY]
            stmt = select(transactions.c.id, transactions.c.station_id, transactions.c.station_tx_id).where(
                transactions.c.station_id.in_({station for station, _ in chunk}),
                transactions.c.station_tx_id.in_({tx_id for _, tx_id in chunk}),
            )
            for tx_id, station_id, station_tx_id in await self._session.execute(stmt):
                if (station_id, station_tx_id) in wanted:
                    found[(station_id, station_tx_id)] = tx_id
        return found

    async def find_starts(self, keys: Sequence[StartKey]) -> dict[StartKey, Transaction]:
        """Transactions created by identical earlier StartTransactions, by (station, connector, idTag,
        meterStart, timestamp); the connector is stored as the EVSE id (1.6 connector N = EVSE N)."""
        wanted = set(keys)
        found: dict[StartKey, Transaction] = {}
        ordered = sorted(wanted, key=lambda k: (k[0], k[4]))
        for start in range(0, len(ordered), _KEYS_PER_QUERY):
            chunk = ordered[start : start + _KEYS_PER_QUERY]
            stmt = (
                select(transactions)
                .where(
                    transactions.c.station_id.in_({k[0] for k in chunk}),
                    transactions.c.started_at.in_({k[4] for k in chunk}),
                )
                .order_by(transactions.c.id)
            )
            for row in await self._session.execute(stmt):
                tx = _transaction(row)
                key = (tx.station_id, tx.evse_id, tx.id_token, tx.meter_start_wh, tx.started_at)
                if key in wanted and key not in found:
                    found[key] = tx
        return found

    async def update_many(self, txs: Sequence[Transaction]) -> None:
        """Write back every mutable field of many transactions in one executemany."""
        if not txs:
            return
        params = [{"b_id": tx.id, **{f"b_{name}": getattr(tx, name) for name in MUTABLE_FIELDS}} for tx in txs]
        await self._session.execute(_update_many_statement, params)

    async def list(self, query: TransactionFilter) -> builtins.list[Transaction]:
        """Newest first."""
        stmt = select(transactions)
        if query.station_id is not None:
            stmt = stmt.where(transactions.c.station_id == query.station_id)
        if query.active is not None:
            stopped = transactions.c.stopped_at
            stmt = stmt.where(stopped.is_(None) if query.active else stopped.is_not(None))
        if query.id_token is not None:
            stmt = stmt.where(transactions.c.id_token == query.id_token)
        if query.remote_start_id is not None:
            stmt = stmt.where(transactions.c.remote_start_id == query.remote_start_id)
        if query.started_from is not None:
            stmt = stmt.where(transactions.c.started_at >= query.started_from)
        if query.started_to is not None:
            stmt = stmt.where(transactions.c.started_at < query.started_to)
        stmt = (
            stmt.order_by(transactions.c.started_at.desc(), transactions.c.id.desc())
            .limit(query.limit)
            .offset(query.offset)
        )
        return [_transaction(row) for row in await self._session.execute(stmt)]

    async def add_meter_rows(self, batches: Sequence[MeterRows]) -> None:
        if self._dialect == "sqlite":
            # The hottest statement of all: straight to the driver's executemany, skipping SQLAlchemy's
            # per-parameter processing (it cost more than SQLite's own work). Timestamps are written in
            # the exact text form SQLAlchemy's SQLite DATETIME uses, so reads and the unique key agree.
            stamps: dict[datetime, str] = {}  # the samples of one reading share its timestamp
            params = [
                (
                    batch.station_id,
                    batch.evse_id,
                    batch.transaction_id,
                    stamps.get(v.timestamp) or stamps.setdefault(v.timestamp, _sqlite_timestamp(v.timestamp)),
                    v.measurand,
                    v.phase or "",
                    v.unit,
                    v.location or "",
                    v.context or "",
                    v.value,
                    v.signed_data,
                )
                for batch in batches
                for v in batch.values
            ]
            if params:
                connection = await self._session.connection()
                await connection.exec_driver_sql(_SQLITE_INSERT_SAMPLES, params)
            return
        rows = [row for batch in batches for row in _sample_rows(batch)]
        if rows:
            # No RETURNING: a multi-row INSERT per chunk (SQLAlchemy's insertmanyvalues).
            await self._session.execute(dialect_insert(self._dialect, meter_values).on_conflict_do_nothing(), rows)

    async def meter_values(self, transaction_id: int) -> builtins.list[SampledValue]:
        rows = await self._session.execute(
            select(meter_values)
            .where(meter_values.c.transaction_id == transaction_id)
            .order_by(meter_values.c.timestamp, meter_values.c.id)
        )
        return [_sample(row) for row in rows]

    async def energy_register_bounds_many(self, transaction_ids: Sequence[int]) -> dict[int, tuple[float, float]]:
        """`energy_register_bounds` of many transactions with one query; those without readings are left out."""
        if not transaction_ids:
            return {}
        wh = meter_values.c.value * case((meter_values.c.unit == "kWh", 1000.0), else_=1.0)
        stmt = (
            select(meter_values.c.transaction_id, func.min(wh), func.max(wh))
            .where(
                meter_values.c.transaction_id.in_(sorted(set(transaction_ids))),
                meter_values.c.measurand == ENERGY_REGISTER,
                meter_values.c.phase == "",
            )
            .group_by(meter_values.c.transaction_id)
        )
        return {
            tx_id: (float(low), float(high))
            for tx_id, low, high in await self._session.execute(stmt)
            if low is not None and high is not None
        }

    async def energy_register_bounds(self, transaction_id: int) -> tuple[float, float] | None:
        """(min, max) of the transaction's total Energy.Active.Import.Register readings, in Wh.

        Per-phase readings are left out: they are not the meter's total register.
        """
        return (await self.energy_register_bounds_many([transaction_id])).get(transaction_id)


# The repositories this area registers with SQL storage (see `voltline.storage.sql.unit_of_work`).
REPOSITORIES: RepositoryFactories = {
    REVIEW_ITEMS: lambda session, _dialect: SqlReviewRepository(session),
    TRANSACTIONS: SqlTransactionRepository,
}
