"""Tables of the transactions area: transactions, meter values, review items."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from voltline.storage.sql.base import Base


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


transactions = cast(Table, TransactionRow.__table__)
meter_values = cast(Table, MeterValueRow.__table__)
review_items = cast(Table, ReviewItemRow.__table__)
