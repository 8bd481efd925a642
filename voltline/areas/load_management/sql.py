"""Load management in SQL: sites, assignments, prices, allocation history, DR events, plans, session needs."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from voltline.areas.load_management.model import (
    ChargingPlan,
    CircuitSpec,
    ComplianceMinute,
    DemandResponseEvent,
    DrState,
    DrTarget,
    GridUnit,
    PeakWindow,
    PhaseRotation,
    PriceCurve,
    PricePeriod,
    SessionNeed,
    Site,
    StationAssignment,
    Strategy,
)
from voltline.areas.load_management.ports import PROGRAMS, SITES
from voltline.areas.load_management.tables import (
    charging_plans,
    demand_response_events,
    session_needs,
    site_allocations,
    site_assignments,
    site_prices,
    sites,
)
from voltline.storage.sql.dialect import dialect_insert, utcnow
from voltline.storage.sql.unit_of_work import RepositoryFactories

# -- documents: the JSON shapes of a site's layout


def window_document(window: PeakWindow) -> dict[str, Any]:
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "weekdays": sorted(window.weekdays),
        "fraction": window.fraction,
        "limit_a": window.limit_a,
    }


def window_of(document: dict[str, Any]) -> PeakWindow:
    return PeakWindow(
        start=time.fromisoformat(document["start"]),
        end=time.fromisoformat(document["end"]),
        weekdays=frozenset(document["weekdays"]),
        fraction=document.get("fraction"),
        limit_a=document.get("limit_a"),
    )


def _layout(site: Site) -> dict[str, Any]:
    return {
        "circuits": [[c.circuit_id, c.parent_id, c.limit_a, c.name] for c in site.circuits],
        "peak_windows": [window_document(w) for w in site.peak_windows],
        "group_priorities": dict(site.group_priorities),
    }


def _site(row: Row[Any]) -> Site:
    m = row._mapping
    layout = m["layout"]
    return Site(
        site_id=m["id"],
        name=m["name"],
        grid_limit=m["grid_limit"],
        grid_unit=GridUnit(m["grid_unit"]),
        voltage_v=m["voltage_v"],
        time_zone=m["time_zone"],
        strategy=Strategy(m["strategy"]),
        controller_enabled=m["controller_enabled"],
        base_load_a=m["base_load_a"],
        min_current_a=m["min_current_a"],
        circuits=tuple(CircuitSpec(c, float(limit), parent, name) for c, parent, limit, name in layout["circuits"]),
        peak_windows=tuple(window_of(w) for w in layout["peak_windows"]),
        group_priorities={str(k): int(v) for k, v in layout["group_priorities"].items()},
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _assignment(row: Row[Any]) -> StationAssignment:
    m = row._mapping
    return StationAssignment(
        station_id=m["station_id"],
        site_id=m["site_id"],
        evse_id=m["evse_id"],
        circuit_id=m["circuit_id"],
        phase_rotation=PhaseRotation(m["phase_rotation"]),
        max_current_a=m["max_current_a"],
        priority=m["priority"],
    )


class SqlSiteRepository:
    def __init__(self, session: AsyncSession, dialect_name: str) -> None:
        self._session = session
        self._dialect = dialect_name

    async def get(self, site_id: str) -> Site | None:
        row = (await self._session.execute(select(sites).where(sites.c.id == site_id))).first()
        return _site(row) if row is not None else None

    async def list(self) -> builtins.list[Site]:
        return [_site(row) for row in await self._session.execute(select(sites).order_by(sites.c.id))]

    async def save(self, site: Site) -> None:
        now = utcnow()
        values = {
            "name": site.name,
            "grid_limit": site.grid_limit,
            "grid_unit": site.grid_unit.value,
            "voltage_v": site.voltage_v,
            "time_zone": site.time_zone,
            "strategy": site.strategy.value,
            "controller_enabled": site.controller_enabled,
            "base_load_a": site.base_load_a,
            "min_current_a": site.min_current_a,
            "layout": _layout(site),
            "updated_at": now,
        }
        stmt = dialect_insert(self._dialect, sites).values(
            id=site.site_id, created_at=site.created_at or now, measured_base_load=None, **values
        )
        await self._session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))
        site.created_at, site.updated_at = site.created_at or now, now

    async def delete(self, site_id: str) -> bool:
        # Its assignments, prices and history go with it (ON DELETE CASCADE).
        result = await self._session.execute(delete(sites).where(sites.c.id == site_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def set_measured_base_load(self, site_id: str, currents_a: Sequence[float], at: datetime) -> None:
        await self._session.execute(
            update(sites)
            .where(sites.c.id == site_id)
            .values(measured_base_load={"currents_a": list(currents_a), "at": at.isoformat()})
        )

    async def measured_base_loads(self) -> dict[str, tuple[tuple[float, float, float], datetime]]:
        rows = await self._session.execute(
            select(sites.c.id, sites.c.measured_base_load).where(sites.c.measured_base_load.is_not(None))
        )
        loads: dict[str, tuple[tuple[float, float, float], datetime]] = {}
        for site_id, document in rows:
            if document:
                l1, l2, l3 = (float(v) for v in document["currents_a"])
                loads[site_id] = ((l1, l2, l3), datetime.fromisoformat(document["at"]))
        return loads

    async def assignments(self, site_id: str | None = None) -> builtins.list[StationAssignment]:
        query = select(site_assignments).order_by(site_assignments.c.station_id, site_assignments.c.evse_id)
        if site_id is not None:
            query = query.where(site_assignments.c.site_id == site_id)
        return [_assignment(row) for row in await self._session.execute(query)]

    async def assignment_of(self, station_id: str) -> builtins.list[StationAssignment]:
        query = (
            select(site_assignments)
            .where(site_assignments.c.station_id == station_id)
            .order_by(site_assignments.c.evse_id)
        )
        return [_assignment(row) for row in await self._session.execute(query)]

    async def put_assignment(self, assignment: StationAssignment) -> None:
        values = {
            "site_id": assignment.site_id,
            "circuit_id": assignment.circuit_id,
            "phase_rotation": assignment.phase_rotation.value,
            "max_current_a": assignment.max_current_a,
            "priority": assignment.priority,
        }
        stmt = dialect_insert(self._dialect, site_assignments).values(
            station_id=assignment.station_id, evse_id=assignment.evse_id, **values
        )
        await self._session.execute(stmt.on_conflict_do_update(index_elements=["station_id", "evse_id"], set_=values))

    async def delete_assignment(self, station_id: str, evse_id: int | None) -> int:
        condition = site_assignments.c.station_id == station_id
        if evse_id is not None:
            condition = condition & (site_assignments.c.evse_id == evse_id)
        result = await self._session.execute(delete(site_assignments).where(condition))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def prices(self, site_id: str) -> PriceCurve | None:
        row = (await self._session.execute(select(site_prices).where(site_prices.c.site_id == site_id))).first()
        if row is None:
            return None
        m = row._mapping
        periods = tuple(
            PricePeriod(datetime.fromisoformat(s), datetime.fromisoformat(e), Decimal(p))
            for s, e, p in m["periods"]["periods"]
        )
        return PriceCurve(m["currency"], periods)

    async def put_prices(self, site_id: str, curve: PriceCurve) -> None:
        values = {
            "currency": curve.currency,
            "periods": {
                "periods": [[p.start.isoformat(), p.end.isoformat(), str(p.price_per_kwh)] for p in curve.periods]
            },
            "updated_at": utcnow(),
        }
        stmt = dialect_insert(self._dialect, site_prices).values(site_id=site_id, **values)
        await self._session.execute(stmt.on_conflict_do_update(index_elements=["site_id"], set_=values))

    async def add_allocations(self, rows: Sequence[tuple[str, datetime, str, dict[str, Any]]]) -> None:
        if rows:
            await self._session.execute(
                insert(site_allocations),
                [{"site_id": s, "at": at, "reason": reason, "decision": d} for s, at, reason, d in rows],
            )

    async def allocations(
        self, site_id: str, *, limit: int, before: datetime | None = None
    ) -> builtins.list[tuple[datetime, str, dict[str, Any]]]:
        query = select(site_allocations.c.at, site_allocations.c.reason, site_allocations.c.decision).where(
            site_allocations.c.site_id == site_id
        )
        if before is not None:
            query = query.where(site_allocations.c.at < before)
        query = query.order_by(site_allocations.c.at.desc(), site_allocations.c.id.desc()).limit(limit)
        return [(at, reason, decision) for at, reason, decision in await self._session.execute(query)]

    async def prune_allocations(self, before: datetime) -> int:
        result = await self._session.execute(delete(site_allocations).where(site_allocations.c.at < before))
        return int(result.rowcount)  # type: ignore[attr-defined]


# -- programs: demand response, plans, needs


def _compliance_document(event: DemandResponseEvent) -> dict[str, Any]:
    return {
        "minutes": {
            site: [[m.minute.isoformat(), m.target_a, m.measured_a] for m in minutes]
            for site, minutes in event.compliance.items()
        },
        "reached": {site: at.isoformat() for site, at in event.reached_at.items()},
        "baseline_a": dict(event.baseline_a),
    }


def _event(row: Row[Any]) -> DemandResponseEvent:
    m = row._mapping
    compliance = m["compliance"]
    return DemandResponseEvent(
        event_id=m["id"],
        site_ids=tuple(m["site_ids"]["sites"]),
        target=DrTarget(m["target"]),
        value=m["value"],
        start=m["start"],
        end=m["end"],
        priority=m["priority"],
        state=DrState(m["state"]),
        source=m["source"],
        external_id=m["external_id"],
        created_by=m["created_by"],
        created_at=m["created_at"],
        compliance={
            site: [
                ComplianceMinute(datetime.fromisoformat(t), float(target), float(measured))
                for t, target, measured in rows
            ]
            for site, rows in compliance.get("minutes", {}).items()
        },
        reached_at={site: datetime.fromisoformat(at) for site, at in compliance.get("reached", {}).items()},
        baseline_a={site: float(a) for site, a in compliance.get("baseline_a", {}).items()},
    )


def _event_values(event: DemandResponseEvent) -> dict[str, Any]:
    return {
        "site_ids": {"sites": list(event.site_ids)},
        "target": event.target.value,
        "value": event.value,
        "start": event.start,
        "end": event.end,
        "priority": event.priority,
        "state": event.state.value,
        "source": event.source,
        "external_id": event.external_id,
        "created_by": event.created_by,
        "created_at": event.created_at or utcnow(),
        "compliance": _compliance_document(event),
    }


def _decimal(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def _plan(row: Row[Any]) -> ChargingPlan:
    m = row._mapping
    return ChargingPlan(
        plan_id=m["id"],
        id_token=m["id_token"],
        token_group=m["token_group"],
        departures={int(day): time.fromisoformat(at) for day, at in m["departures"].items()},
        energy_wh=m["energy_wh"],
        target_soc=m["target_soc"],
        battery_wh=m["battery_wh"],
        max_price_per_kwh=_decimal(m["max_price_per_kwh"]),
        charge_now=m["charge_now"],
        priority=m["priority"],
        updated_at=m["updated_at"],
    )


def _plan_values(plan: ChargingPlan) -> dict[str, Any]:
    return {
        "id_token": plan.id_token,
        "token_group": plan.token_group,
        "departures": {str(day): at.isoformat(timespec="minutes") for day, at in sorted(plan.departures.items())},
        "energy_wh": plan.energy_wh,
        "target_soc": plan.target_soc,
        "battery_wh": plan.battery_wh,
        "max_price_per_kwh": str(plan.max_price_per_kwh) if plan.max_price_per_kwh is not None else None,
        "charge_now": plan.charge_now,
        "priority": plan.priority,
        "updated_at": utcnow(),
    }


class SqlProgramRepository:
    def __init__(self, session: AsyncSession, dialect_name: str) -> None:
        self._session = session
        self._dialect = dialect_name

    async def add_event(self, event: DemandResponseEvent) -> int:
        stmt = insert(demand_response_events).values(**_event_values(event)).returning(demand_response_events.c.id)
        return int((await self._session.execute(stmt)).scalar_one())

    async def save_event(self, event: DemandResponseEvent) -> None:
        await self._session.execute(
            update(demand_response_events)
            .where(demand_response_events.c.id == event.event_id)
            .values(**_event_values(event))
        )

    async def event(self, event_id: int) -> DemandResponseEvent | None:
        query = select(demand_response_events).where(demand_response_events.c.id == event_id)
        row = (await self._session.execute(query)).first()
        return _event(row) if row is not None else None

    async def events(self, *, open_only: bool = False, limit: int = 100) -> builtins.list[DemandResponseEvent]:
        query = select(demand_response_events)
        if open_only:
            query = query.where(demand_response_events.c.state.in_([DrState.SCHEDULED.value, DrState.ACTIVE.value]))
        query = query.order_by(demand_response_events.c.start.desc(), demand_response_events.c.id.desc()).limit(limit)
        return [_event(row) for row in await self._session.execute(query)]

    async def event_by_external_id(self, source: str, external_id: str) -> DemandResponseEvent | None:
        query = select(demand_response_events).where(
            demand_response_events.c.source == source, demand_response_events.c.external_id == external_id
        )
        row = (await self._session.execute(query.order_by(demand_response_events.c.id.desc()))).first()
        return _event(row) if row is not None else None

    async def add_plan(self, plan: ChargingPlan) -> int:
        stmt = insert(charging_plans).values(**_plan_values(plan)).returning(charging_plans.c.id)
        return int((await self._session.execute(stmt)).scalar_one())

    async def save_plan(self, plan: ChargingPlan) -> None:
        await self._session.execute(
            update(charging_plans).where(charging_plans.c.id == plan.plan_id).values(**_plan_values(plan))
        )

    async def delete_plan(self, plan_id: int) -> bool:
        result = await self._session.execute(delete(charging_plans).where(charging_plans.c.id == plan_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def plan(self, plan_id: int) -> ChargingPlan | None:
        row = (await self._session.execute(select(charging_plans).where(charging_plans.c.id == plan_id))).first()
        return _plan(row) if row is not None else None

    async def plans(self) -> builtins.list[ChargingPlan]:
        return [_plan(row) for row in await self._session.execute(select(charging_plans).order_by(charging_plans.c.id))]

    async def session_need(self, transaction_id: int) -> SessionNeed | None:
        query = select(session_needs).where(session_needs.c.transaction_id == transaction_id)
        row = (await self._session.execute(query)).first()
        if row is None:
            return None
        m = row._mapping
        return SessionNeed(
            energy_wh=m["energy_wh"],
            departure=m["departure"],
            charge_now=m["charge_now"],
            max_price_per_kwh=_decimal(m["max_price_per_kwh"]),
            source="override",
        )

    async def put_session_need(self, transaction_id: int, need: SessionNeed) -> None:
        values = {
            "energy_wh": need.energy_wh,
            "departure": need.departure,
            "charge_now": need.charge_now,
            "max_price_per_kwh": str(need.max_price_per_kwh) if need.max_price_per_kwh is not None else None,
            "updated_at": utcnow(),
        }
        stmt = dialect_insert(self._dialect, session_needs).values(transaction_id=transaction_id, **values)
        await self._session.execute(stmt.on_conflict_do_update(index_elements=["transaction_id"], set_=values))

    async def delete_session_need(self, transaction_id: int) -> bool:
        result = await self._session.execute(
            delete(session_needs).where(session_needs.c.transaction_id == transaction_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


REPOSITORIES: RepositoryFactories = {SITES: SqlSiteRepository, PROGRAMS: SqlProgramRepository}
