"""Tables of the smart-charging area: the profiles Voltline keeps per station, what stations report
(the profiles they hold, the limits they are under) and reusable profile templates.

Schedules are stored as one JSON document per profile (Voltline's own shape, see sql.py): they are
read and written whole, never queried inside.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from voltline.storage.sql.base import Base


class ChargingProfileRow(Base):
    __tablename__ = "charging_profiles"
    __table_args__ = (Index("ix_charging_profiles_state", "state"),)

    station_id: Mapped[str] = mapped_column(String(48), ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True)
    profile_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evse_id: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(24))
    stack_level: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))
    recurrency: Mapped[str | None] = mapped_column(String(8))
    valid_from: Mapped[datetime | None]
    valid_to: Mapped[datetime | None]
    transaction_id: Mapped[str | None] = mapped_column(String(36))
    schedules: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(String(12))
    set_by: Mapped[str] = mapped_column(String(255))
    set_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(10))
    status_reason: Mapped[str | None] = mapped_column(Text)
    template_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class ReportedProfileRow(Base):
    """A profile a station reported holding (2.0.1 ReportChargingProfiles)."""

    __tablename__ = "reported_charging_profiles"

    station_id: Mapped[str] = mapped_column(String(48), ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True)
    limit_source: Mapped[str] = mapped_column(String(8), primary_key=True)
    evse_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile: Mapped[dict[str, Any]]
    request_id: Mapped[int] = mapped_column(Integer)
    reported_at: Mapped[datetime]


class ChargingLimitRow(Base):
    """A limit a station reported, or what an EV asked for (see model.ChargingLimit)."""

    __tablename__ = "charging_limits"

    station_id: Mapped[str] = mapped_column(String(48), ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    source: Mapped[str] = mapped_column(String(8), primary_key=True)
    evse_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_critical: Mapped[bool | None] = mapped_column(Boolean)
    detail: Mapped[dict[str, Any]]
    reported_at: Mapped[datetime]


class ProfileTemplateRow(Base):
    __tablename__ = "charging_profile_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    profile: Mapped[dict[str, Any]]
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


charging_profiles = cast(Table, ChargingProfileRow.__table__)
reported_charging_profiles = cast(Table, ReportedProfileRow.__table__)
charging_limits = cast(Table, ChargingLimitRow.__table__)
charging_profile_templates = cast(Table, ProfileTemplateRow.__table__)
