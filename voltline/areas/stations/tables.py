"""Tables of the stations area: stations, connector statuses, device events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from voltline.storage.sql.base import Base


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
    # For the station list's filter by status (stations with any connector Faulted, ...): the primary key
    # starts with station_id, which serves a station's own connectors but not "who is in this status".
    __table_args__ = (Index("ix_connector_statuses_status_station", "status", "station_id"),)

    station_id: Mapped[str] = mapped_column(String(48), ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True)
    evse_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    connector_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(50))
    info: Mapped[str | None] = mapped_column(String(255))
    vendor_id: Mapped[str | None] = mapped_column(String(255))
    vendor_error_code: Mapped[str | None] = mapped_column(String(50))
    timestamp: Mapped[datetime | None]


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


stations = cast(Table, StationRow.__table__)
connector_statuses = cast(Table, ConnectorStatusRow.__table__)
station_events = cast(Table, StationEventRow.__table__)
