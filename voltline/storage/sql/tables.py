"""Table definitions (SQLAlchemy 2 declarative). Row classes never leave voltline.storage.sql.

Repositories query through the Core `Table` objects exported at the bottom (no ORM identity map on the
hot path); the declarative classes are the single source of the schema and of the Alembic migrations.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in and out, on every backend.

    SQLite stores no offset and returns naive values: they are written as UTC and read back with UTC
    attached. A naive datetime handed in is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JsonDocument}


class StationRow(Base):
    __tablename__ = "stations"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    registration: Mapped[str] = mapped_column(String(16))
    security_profile: Mapped[int] = mapped_column(Integer, default=0)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    vendor: Mapped[str | None] = mapped_column(String(50))
    model: Mapped[str | None] = mapped_column(String(50))
    serial_number: Mapped[str | None] = mapped_column(String(50))
    firmware_version: Mapped[str | None] = mapped_column(String(50))
    boot_reason: Mapped[str | None] = mapped_column(String(32))
    ocpp_version: Mapped[str | None] = mapped_column(String(16))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen: Mapped[datetime | None]
    last_boot_at: Mapped[datetime | None]
    # The answer the last boot got: only an Accepted boot lets a reconnect be served without a new one.
    last_boot_status: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]


class ConnectorStatusRow(Base):
    __tablename__ = "connector_statuses"

    station_id: Mapped[str] = mapped_column(String(48), ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True)
    evse_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    connector_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(50))
    info: Mapped[str | None] = mapped_column(String(255))
    vendor_id: Mapped[str | None] = mapped_column(String(255))
    vendor_error_code: Mapped[str | None] = mapped_column(String(50))
    timestamp: Mapped[datetime | None]


class IdTokenRow(Base):
    __tablename__ = "id_tokens"

    id_token: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    expiry: Mapped[datetime | None]
    group_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TransactionRow(Base):
    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("station_id", "station_tx_id", name="uq_transactions_station_tx_id"),
        Index("ix_transactions_station_started", "station_id", "started_at"),
        Index("ix_transactions_id_token_started", "id_token", "started_at"),
        Index("ix_transactions_started_at", "started_at"),
        Index("ix_transactions_stopped_at", "stopped_at"),
        # OCPP 1.6 transaction ids are this id: SQLite must never hand out an id twice.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(48))
    # NULL only between the INSERT and the UPDATE that copies the id in (1.6), inside one transaction.
    station_tx_id: Mapped[str | None] = mapped_column(String(64))
    evse_id: Mapped[int] = mapped_column(Integer)
    connector_id: Mapped[int] = mapped_column(Integer)
    id_token: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    meter_start_wh: Mapped[float | None] = mapped_column(Float)
    stopped_at: Mapped[datetime | None]
    meter_stop_wh: Mapped[float | None] = mapped_column(Float)
    stop_reason: Mapped[str | None] = mapped_column(String(32))
    energy_wh: Mapped[float | None] = mapped_column(Float)
    last_seq_no: Mapped[int | None] = mapped_column(Integer)
    remote_start_id: Mapped[int | None] = mapped_column(Integer)
    charging_state: Mapped[str | None] = mapped_column(String(32))
    auth_status: Mapped[str | None] = mapped_column(String(32))


class MeterValueRow(Base):
    __tablename__ = "meter_values"
    __table_args__ = (
        # phase/location/context are '' rather than NULL so that a retried MeterValues collides here.
        UniqueConstraint(
            "station_id",
            "evse_id",
            "timestamp",
            "measurand",
            "phase",
            "location",
            "context",
            name="uq_meter_values_sample",
        ),
        Index("ix_meter_values_transaction_id", "transaction_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(48))
    evse_id: Mapped[int] = mapped_column(Integer)
    transaction_id: Mapped[int | None] = mapped_column(Integer)
    timestamp: Mapped[datetime]
    measurand: Mapped[str] = mapped_column(String(64))
    phase: Mapped[str] = mapped_column(String(8), default="")
    unit: Mapped[str | None] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(String(16), default="")
    context: Mapped[str] = mapped_column(String(32), default="")
    value: Mapped[float] = mapped_column(Float)
    signed_data: Mapped[str | None] = mapped_column(Text)


class ReviewItemRow(Base):
    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_station_id", "station_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(48))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class StationEventRow(Base):
    __tablename__ = "station_events"
    __table_args__ = (
        UniqueConstraint("station_id", "event_id", "timestamp", name="uq_station_events_event"),
        Index("ix_station_events_station_timestamp", "station_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(48))
    event_id: Mapped[int] = mapped_column(Integer)
    timestamp: Mapped[datetime]
    trigger: Mapped[str] = mapped_column(String(16))
    component: Mapped[str] = mapped_column(String(128))
    variable: Mapped[str] = mapped_column(String(128))
    actual_value: Mapped[str] = mapped_column(Text)
    event_notification_type: Mapped[str] = mapped_column(String(32))
    cleared: Mapped[bool | None] = mapped_column(Boolean)
    tech_code: Mapped[str | None] = mapped_column(String(50))
    tech_info: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[dict[str, Any]]


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime]
    # Added by 0002_accounts: who created the key, when it was last used (to the minute), when revoked.
    created_by: Mapped[str | None] = mapped_column(String(160))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


metadata = Base.metadata
stations = cast(Table, StationRow.__table__)
connector_statuses = cast(Table, ConnectorStatusRow.__table__)
id_tokens = cast(Table, IdTokenRow.__table__)
transactions = cast(Table, TransactionRow.__table__)
meter_values = cast(Table, MeterValueRow.__table__)
review_items = cast(Table, ReviewItemRow.__table__)
station_events = cast(Table, StationEventRow.__table__)
api_keys = cast(Table, ApiKeyRow.__table__)
