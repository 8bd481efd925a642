"""Tables of load management: sites (their tree and windows as JSON: read and written whole), station
assignments, price curves, demand-response events, charging plans, session needs and the allocation history."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from voltline.storage.sql.base import Base


class SiteRow(Base):
    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    grid_limit: Mapped[float] = mapped_column(Float)
    grid_unit: Mapped[str] = mapped_column(String(4))
    voltage_v: Mapped[float] = mapped_column(Float)
    time_zone: Mapped[str] = mapped_column(String(64))
    strategy: Mapped[str] = mapped_column(String(12))
    controller_enabled: Mapped[bool] = mapped_column(Boolean)
    base_load_a: Mapped[float] = mapped_column(Float)
    min_current_a: Mapped[float] = mapped_column(Float)
    # {"circuits": [...], "peak_windows": [...], "group_priorities": {...}}
    layout: Mapped[dict[str, Any]]
    # The last measured base load (a station-less meter fed through the API): {"currents_a": [...], "at": ...}
    measured_base_load: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StationAssignmentRow(Base):
    __tablename__ = "site_assignments"
    __table_args__ = (Index("ix_site_assignments_site_id", "site_id"),)

    station_id: Mapped[str] = mapped_column(String(48), ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True)
    evse_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(String(48), ForeignKey("sites.id", ondelete="CASCADE"))
    circuit_id: Mapped[str] = mapped_column(String(48))
    phase_rotation: Mapped[str] = mapped_column(String(3))
    max_current_a: Mapped[float] = mapped_column(Float)
    priority: Mapped[int] = mapped_column(Integer)


class SitePriceRow(Base):
    __tablename__ = "site_prices"

    site_id: Mapped[str] = mapped_column(String(48), ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    # {"periods": [[start, end, "price"], ...]}: prices as text, so a Decimal comes back exactly
    periods: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class DemandResponseEventRow(Base):
    __tablename__ = "demand_response_events"
    __table_args__ = (Index("ix_demand_response_events_state", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_ids: Mapped[dict[str, Any]]  # {"sites": [...]}
    target: Mapped[str] = mapped_column(String(8))
    value: Mapped[float] = mapped_column(Float)
    start: Mapped[datetime]
    end: Mapped[datetime]
    priority: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(48))
    external_id: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    # {"minutes": {site: [[minute, target_a, measured_a], ...]}, "reached": {site: at}}
    compliance: Mapped[dict[str, Any]]


class ChargingPlanRow(Base):
    __tablename__ = "charging_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id_token: Mapped[str | None] = mapped_column(String(255), unique=True)
    token_group: Mapped[str | None] = mapped_column(String(255), unique=True)
    departures: Mapped[dict[str, Any]]  # {"0": "07:30", ...}
    energy_wh: Mapped[float | None] = mapped_column(Float)
    target_soc: Mapped[float | None] = mapped_column(Float)
    battery_wh: Mapped[float | None] = mapped_column(Float)
    max_price_per_kwh: Mapped[str | None] = mapped_column(String(32))
    charge_now: Mapped[bool] = mapped_column(Boolean)
    priority: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class SessionNeedRow(Base):
    """A session's own need (an override of its plan), by Voltline's transaction id."""

    __tablename__ = "session_needs"

    transaction_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("transactions.id", ondelete="CASCADE"), primary_key=True
    )
    energy_wh: Mapped[float | None] = mapped_column(Float)
    departure: Mapped[datetime | None]
    charge_now: Mapped[bool] = mapped_column(Boolean)
    max_price_per_kwh: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class AllocationRow(Base):
    """One reallocation of a site: what the controller decided and why."""

    __tablename__ = "site_allocations"
    __table_args__ = (Index("ix_site_allocations_site_id_at", "site_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(String(48), ForeignKey("sites.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    # {"limit_a": ..., "limits": {evse: A}, "paused": [...], "overloaded": [...], "load_a": {circuit: [..]}}
    decision: Mapped[dict[str, Any]]


sites = cast(Table, SiteRow.__table__)
site_assignments = cast(Table, StationAssignmentRow.__table__)
site_prices = cast(Table, SitePriceRow.__table__)
demand_response_events = cast(Table, DemandResponseEventRow.__table__)
charging_plans = cast(Table, ChargingPlanRow.__table__)
session_needs = cast(Table, SessionNeedRow.__table__)
site_allocations = cast(Table, AllocationRow.__table__)
