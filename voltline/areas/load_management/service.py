"""Load management's operations: sites and their tree, station assignments, prices, base loads,
demand-response events, charging plans and session needs. Each change is checked whole before anything is
stored (a 422 naming the problem, nothing half-applied), stored, and handed to the controller."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from voltline.areas.authorization.service import AuthorizationService
from voltline.areas.load_management.allocation import Circuit, validate_tree
from voltline.areas.load_management.controller import LoadController, SiteLoad
from voltline.areas.load_management.model import (
    GRID,
    ChargingPlan,
    DemandResponseChanged,
    DemandResponseEvent,
    DrState,
    DrTarget,
    PriceCurve,
    SessionNeed,
    Site,
    StationAssignment,
)
from voltline.areas.load_management.planning import ChargingPlan as PlannedCharging
from voltline.areas.load_management.ports import PROGRAMS, SITES
from voltline.areas.load_management.prices import PriceFileError
from voltline.areas.load_management.windows import window_problems
from voltline.areas.stations.ports import STATIONS
from voltline.areas.transactions.service import TransactionService
from voltline.kernel.actors import current_actor
from voltline.kernel.errors import Conflict, InvalidRequest, NotFound
from voltline.kernel.events import EventBus
from voltline.kernel.storage import Storage, UnitOfWork

log = logging.getLogger("voltline.load_management")

# A demand-response event lasts at most this long (grid programmes run hours, not weeks).
MAX_EVENT_DURATION = timedelta(days=2)


def utcnow() -> datetime:
    return datetime.now(UTC)


def site_problems(site: Site) -> list[str]:
    """Everything wrong with a site's definition, each naming the part."""
    problems: list[str] = []
    if site.grid_limit <= 0:
        problems.append("grid_limit: must be above 0")
    try:
        ZoneInfo(site.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"time_zone: {site.time_zone!r} is not a known time zone (e.g. Europe/Berlin)")
    if site.base_load_a < 0:
        problems.append("base_load_a: must not be negative")
    if site.base_load_a >= site.grid_limit_a:
        problems.append(f"base_load_a: {site.base_load_a} A leaves nothing of the {site.grid_limit_a:.1f} A connection")
    if any(c.circuit_id == GRID for c in site.circuits):
        problems.append(f"circuits: {GRID!r} is the grid connection's id; name the circuit otherwise")
    else:
        limit = site.grid_limit_a
        tree = [Circuit(GRID, None, (limit, limit, limit))]
        tree += [Circuit(c.circuit_id, c.parent_id, (c.limit_a, c.limit_a, c.limit_a)) for c in site.circuits]
        problems += [f"circuits: {p}" for p in validate_tree(tree)]
    problems += [f"peak_windows: {p}" for p in window_problems(site.peak_windows)]
    return problems


def _departure(plan: ChargingPlan, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The plan's next departure after `now` (within a week), in UTC."""
    local = now.astimezone(zone)
    for days in range(8):
        day = (local + timedelta(days=days)).date()
        at = plan.departures.get(day.weekday())
        if at is None:
            continue
        candidate = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
        if candidate > now:
            return candidate
    return None


def need_of(plan: ChargingPlan, zone: ZoneInfo, now: datetime) -> SessionNeed:
    energy = plan.energy_wh
    if energy is None and plan.target_soc is not None and plan.battery_wh is not None:
        # The state of charge at plug-in is not known yet: plan for the whole target (an upper bound).
        energy = plan.battery_wh * plan.target_soc / 100.0
    return SessionNeed(
        energy_wh=energy,
        departure=_departure(plan, zone, now),
        charge_now=plan.charge_now,
        max_price_per_kwh=plan.max_price_per_kwh,
        priority=plan.priority,
        source="plan",
    )


class LoadManagementService:
    def __init__(
        self,
        storage: Storage,
        events: EventBus,
        controller: LoadController,
        *,
        authorization: AuthorizationService,
        transactions: TransactionService,
    ) -> None:
        self._storage = storage
        self._events = events
        self.controller = controller
        self._authorization = authorization
        self._transactions = transactions
        self._plans_by_token: dict[str, ChargingPlan] = {}
        self._plans_by_group: dict[str, ChargingPlan] = {}
        self._group_of: dict[str, str | None] = {}
        controller.use_plans(self.standing_need)

    async def start(self) -> None:
        async def op(uow: UnitOfWork) -> list[ChargingPlan]:
            return await uow[PROGRAMS].plans()

        self._index_plans(await self._storage.read(op))
        await self.remember_groups()
        await self.controller.start()

    # ---------------------------------------------------------------- sites

    async def sites(self) -> list[Site]:
        async def op(uow: UnitOfWork) -> list[Site]:
            return await uow[SITES].list()

        return await self._storage.read(op)

    async def site(self, site_id: str) -> Site:
        async def op(uow: UnitOfWork) -> Site | None:
            return await uow[SITES].get(site_id)

        site = await self._storage.read(op)
        if site is None:
            raise NotFound(f"site {site_id!r} not found")
        return site

    async def put_site(self, site: Site, *, create_only: bool = False) -> tuple[Site, bool]:
        """Store the site (create or replace); (the site, whether it was created). Circuits that still have
        stations cannot go."""
        problems = site_problems(site)
        if problems:
            raise InvalidRequest("; ".join(problems))

        async def op(uow: UnitOfWork) -> bool:
            repo = uow[SITES]
            existing = await repo.get(site.site_id)
            if existing is not None and create_only:
                raise Conflict(f"site {site.site_id!r} exists: PUT /api/v1/sites/{site.site_id} replaces it")
            assignments = await repo.assignments(site.site_id)
            circuits = {GRID} | {c.circuit_id for c in site.circuits}
            orphans = sorted({f"{a.station_id} on {a.circuit_id}" for a in assignments if a.circuit_id not in circuits})
            if orphans:
                raise InvalidRequest(
                    f"circuits: stations hang off circuits this site no longer has: {', '.join(orphans)}"
                )
            if existing is not None:
                site.created_at = existing.created_at
            await repo.save(site)
            return existing is None

        created = await self._storage.write(op)
        await self.controller.sites_changed([site])
        return site, created

    async def delete_site(self, site_id: str) -> None:
        async def op(uow: UnitOfWork) -> tuple[bool, list[StationAssignment]]:
            gone = await uow[SITES].assignments(site_id)  # they go with the site
            return await uow[SITES].delete(site_id), gone

        site = await self.site(site_id)
        if site.controller_enabled:  # clear the controller's profiles first: the stations keep their own
            await self.put_site(replace(site, controller_enabled=False))
        deleted, gone = await self._storage.write(op)
        if not deleted:
            raise NotFound(f"site {site_id!r} not found")
        await self.controller.sites_changed(deleted=[site_id], stations={a.station_id: [] for a in gone})

    async def assignments(self, site_id: str) -> list[StationAssignment]:
        await self.site(site_id)

        async def op(uow: UnitOfWork) -> list[StationAssignment]:
            return await uow[SITES].assignments(site_id)

        return await self._storage.read(op)

    async def assign(self, assignments: Sequence[StationAssignment]) -> list[StationAssignment]:
        """Hang stations (or EVSEs) off a site's circuits, all or none. A station assigned to another site
        moves here whole."""
        if not assignments:
            raise InvalidRequest("stations: name at least one station")
        site_ids = {a.site_id for a in assignments}

        async def op(uow: UnitOfWork) -> list[StationAssignment]:
            repo = uow[SITES]
            problems: list[str] = []
            sites = {s: await repo.get(s) for s in site_ids}
            for index, a in enumerate(assignments):
                site = sites[a.site_id]
                if site is None:
                    raise NotFound(f"site {a.site_id!r} not found")
                if await uow[STATIONS].get(a.station_id) is None:
                    problems.append(f"stations[{index}]: unknown station {a.station_id!r}")
                if a.circuit_id != GRID and a.circuit_id not in {c.circuit_id for c in site.circuits}:
                    problems.append(f"stations[{index}]: site {a.site_id!r} has no circuit {a.circuit_id!r}")
                if a.max_current_a < site.min_current_a:
                    problems.append(
                        f"stations[{index}]: max_current_a {a.max_current_a} A is below the site's minimum "
                        f"{site.min_current_a} A"
                    )
            if problems:
                raise InvalidRequest("; ".join(problems))
            for a in assignments:
                for other in await repo.assignment_of(a.station_id):
                    if other.site_id != a.site_id:
                        await repo.delete_assignment(a.station_id, other.evse_id)
                await repo.put_assignment(a)
            return [a for site_id in sorted(site_ids) for a in await repo.assignments(site_id)]

        stored = await self._storage.write(op)
        # A station assigned here is on this site only (it moved whole), so the sites' rows are all it has.
        by_station: dict[str, list[StationAssignment]] = {a.station_id: [] for a in assignments}
        for a in stored:
            if a.station_id in by_station:
                by_station[a.station_id].append(a)
        await self.controller.sites_changed(stations=by_station)
        return stored

    async def unassign(self, site_id: str, station_id: str, evse_id: int | None = None) -> None:
        async def op(uow: UnitOfWork) -> tuple[int, list[StationAssignment]]:
            mine = [a for a in await uow[SITES].assignment_of(station_id) if a.site_id == site_id]
            count = 0
            for a in mine:
                if evse_id is None or a.evse_id == evse_id:
                    count += await uow[SITES].delete_assignment(station_id, a.evse_id)
            return count, await uow[SITES].assignment_of(station_id)

        await self.site(site_id)
        count, left = await self._storage.write(op)
        if not count:
            raise NotFound(f"station {station_id!r} is not assigned to site {site_id!r}")
        await self.controller.sites_changed(stations={station_id: left})

    def load(self, site_id: str) -> SiteLoad:
        view = self.controller.load(site_id)
        if view is None:
            raise NotFound(f"site {site_id!r} not found")
        return view

    async def history(
        self, site_id: str, *, limit: int, before: datetime | None
    ) -> list[tuple[datetime, str, dict[str, Any]]]:
        await self.site(site_id)
        await self.controller.flush_history()

        async def op(uow: UnitOfWork) -> list[tuple[datetime, str, dict[str, Any]]]:
            return await uow[SITES].allocations(site_id, limit=limit, before=before)

        return await self._storage.read(op)

    async def prune_history(self, days: int) -> int:
        async def op(uow: UnitOfWork) -> int:
            return await uow[SITES].prune_allocations(utcnow() - timedelta(days=days))

        return await self._storage.write(op)

    # ---------------------------------------------------------------- prices and base load

    async def put_prices(self, site_id: str, read_curve: Callable[[], PriceCurve]) -> PriceCurve:
        """`read_curve` parses and checks the curve (JSON or CSV), raising PriceFileError naming the entry."""
        await self.site(site_id)
        try:
            curve = read_curve()
        except PriceFileError as exc:
            raise InvalidRequest(f"prices: {exc}") from None

        async def op(uow: UnitOfWork) -> None:
            await uow[SITES].put_prices(site_id, curve)

        await self._storage.write(op)
        self.controller.prices_changed(site_id, curve)
        return curve

    async def prices(self, site_id: str) -> PriceCurve | None:
        await self.site(site_id)

        async def op(uow: UnitOfWork) -> PriceCurve | None:
            return await uow[SITES].prices(site_id)

        return await self._storage.read(op)

    async def measure_base_load(
        self, site_id: str, currents_a: tuple[float, float, float], at: datetime | None
    ) -> None:
        await self.site(site_id)
        at = at or utcnow()

        async def op(uow: UnitOfWork) -> None:
            await uow[SITES].set_measured_base_load(site_id, currents_a, at)

        await self._storage.write(op)
        self.controller.base_load_measured(site_id, currents_a, at)

    # ---------------------------------------------------------------- demand response

    async def dr_events(self, *, open_only: bool = False, limit: int = 100) -> list[DemandResponseEvent]:
        async def op(uow: UnitOfWork) -> list[DemandResponseEvent]:
            return await uow[PROGRAMS].events(open_only=open_only, limit=limit)

        await self.controller.save_events()
        return await self._storage.read(op)

    async def dr_event(self, event_id: int) -> DemandResponseEvent:
        live = self.controller.dr_event(event_id)
        if live is not None:
            return live

        async def op(uow: UnitOfWork) -> DemandResponseEvent | None:
            return await uow[PROGRAMS].event(event_id)

        event = await self._storage.read(op)
        if event is None:
            raise NotFound(f"demand-response event {event_id} not found")
        return event

    def _event_problems(self, event: DemandResponseEvent, others: Sequence[DemandResponseEvent]) -> list[str]:
        problems: list[str] = []
        if event.end <= event.start:
            problems.append("duration: the event must end after it starts")
        elif event.end - event.start > MAX_EVENT_DURATION:
            problems.append(f"duration: at most {int(MAX_EVENT_DURATION.total_seconds())} s")
        if event.target is DrTarget.REDUCTION_PERCENT and not 0 < event.value <= 100:
            problems.append("value: a reduction is a percentage above 0 and at most 100")
        elif event.value < 0:
            problems.append("value: must not be negative")
        for other in others:
            if other.event_id == event.event_id or other.state not in (DrState.SCHEDULED, DrState.ACTIVE):
                continue
            shared = sorted(set(other.site_ids) & set(event.site_ids))
            if shared and other.start < event.end and event.start < other.end:
                problems.append(
                    f"start: overlaps demand-response event {other.event_id} on site {shared[0]} "
                    f"({other.start.isoformat()} to {other.end.isoformat()}): change or cancel that one"
                )
        return problems

    async def add_dr_event(self, event: DemandResponseEvent) -> DemandResponseEvent:
        event.created_by = current_actor.get()
        event.created_at = utcnow()
        if event.end <= event.created_at:
            raise InvalidRequest("start: the event would be over already")

        async def op(uow: UnitOfWork) -> DemandResponseEvent:
            missing = [s for s in event.site_ids if await uow[SITES].get(s) is None]
            if missing:
                raise InvalidRequest(f"site_ids: unknown site(s) {', '.join(missing)}")
            problems = self._event_problems(event, await uow[PROGRAMS].events(open_only=True, limit=10_000))
            if problems:
                raise InvalidRequest("; ".join(problems))
            event.event_id = await uow[PROGRAMS].add_event(event)
            return event

        stored = await self._storage.write(op)
        self.controller.events_changed([stored])
        self._events.announce(DemandResponseChanged(stored.event_id, stored.state.value, stored.site_ids))
        await self.controller.tick()  # one that starts now is active at once
        return stored

    async def change_dr_event(self, event_id: int, changes: dict[str, Any]) -> DemandResponseEvent:
        """Change the target, value, end or priority of a scheduled or active event; cancel it."""
        current = await self.dr_event(event_id)
        if current.state not in (DrState.SCHEDULED, DrState.ACTIVE):
            raise Conflict(f"demand-response event {event_id} is {current.state.value}: it can no longer change")
        changed = replace(current, compliance=current.compliance, reached_at=current.reached_at)
        for name, value in changes.items():
            setattr(changed, name, value)
        if changes.get("state") is DrState.CANCELLED and current.state is DrState.ACTIVE:
            changed.end = max(current.start, utcnow())

        async def op(uow: UnitOfWork) -> DemandResponseEvent:
            if changed.state is not DrState.CANCELLED:
                problems = self._event_problems(changed, await uow[PROGRAMS].events(open_only=True, limit=10_000))
                if problems:
                    raise InvalidRequest("; ".join(problems))
            await uow[PROGRAMS].save_event(changed)
            return changed

        stored = await self._storage.write(op)
        for name in changes:  # the controller's live copy takes the change (it keeps the compliance)
            setattr(current, name, getattr(stored, name))
        current.end = stored.end
        self.controller.events_changed([current])
        self._events.announce(DemandResponseChanged(current.event_id, current.state.value, current.site_ids))
        await self.controller.tick()
        return current

    async def dr_event_by_external_id(self, source: str, external_id: str) -> DemandResponseEvent | None:
        async def op(uow: UnitOfWork) -> DemandResponseEvent | None:
            return await uow[PROGRAMS].event_by_external_id(source, external_id)

        return await self._storage.read(op)

    # ---------------------------------------------------------------- plans and needs

    def _index_plans(self, plans: Sequence[ChargingPlan]) -> None:
        self._plans_by_token = {p.id_token: p for p in plans if p.id_token}
        self._plans_by_group = {p.token_group: p for p in plans if p.token_group}

    async def _reindex(self) -> None:
        async def op(uow: UnitOfWork) -> list[ChargingPlan]:
            return await uow[PROGRAMS].plans()

        self._index_plans(await self._storage.read(op))

    def standing_need(self, id_token: str | None, zone: ZoneInfo) -> SessionNeed | None:
        """A token's plan as a need now, departures read in `zone` (the site's): the token's own plan, else
        its group's."""
        if id_token is None:
            return None
        plan = self._plans_by_token.get(id_token)
        if plan is None and (group := self._group_of.get(id_token)) is not None:
            plan = self._plans_by_group.get(group)
        if plan is None:
            return None
        return need_of(plan, zone, utcnow())

    async def remember_groups(self) -> None:
        """Learn the groups of tokens that have plans' groups (read once, on plan changes)."""
        if not self._plans_by_group:
            return
        for token in await self._authorization.list(limit=10_000):
            self._group_of[token.id_token] = token.group_id

    async def plans(self) -> list[ChargingPlan]:
        async def op(uow: UnitOfWork) -> list[ChargingPlan]:
            return await uow[PROGRAMS].plans()

        return await self._storage.read(op)

    async def plan(self, plan_id: int) -> ChargingPlan:
        async def op(uow: UnitOfWork) -> ChargingPlan | None:
            return await uow[PROGRAMS].plan(plan_id)

        plan = await self._storage.read(op)
        if plan is None:
            raise NotFound(f"charging plan {plan_id} not found")
        return plan

    def _plan_problems(self, plan: ChargingPlan, others: Sequence[ChargingPlan]) -> list[str]:
        problems: list[str] = []
        if (plan.id_token is None) == (plan.token_group is None):
            problems.append("id_token: name exactly one of id_token and token_group")
        if plan.energy_wh is None and plan.target_soc is None and not plan.charge_now:
            problems.append("energy_wh: say how much energy (energy_wh, or target_soc with battery_wh), or charge_now")
        if plan.target_soc is not None and plan.battery_wh is None:
            problems.append("battery_wh: a target state of charge needs the battery's size")
        for other in others:
            if other.plan_id == plan.plan_id:
                continue
            if plan.id_token is not None and other.id_token == plan.id_token:
                problems.append(f"id_token: plan {other.plan_id} is already the plan of {plan.id_token!r}")
            if plan.token_group is not None and other.token_group == plan.token_group:
                problems.append(f"token_group: plan {other.plan_id} is already the plan of {plan.token_group!r}")
        return problems

    async def put_plan(self, plan: ChargingPlan) -> ChargingPlan:
        async def op(uow: UnitOfWork) -> ChargingPlan:
            problems = self._plan_problems(plan, await uow[PROGRAMS].plans())
            if problems:
                raise InvalidRequest("; ".join(problems))
            if plan.plan_id <= 0:
                plan.plan_id = await uow[PROGRAMS].add_plan(plan)
            elif await uow[PROGRAMS].plan(plan.plan_id) is None:
                raise NotFound(f"charging plan {plan.plan_id} not found")
            else:
                await uow[PROGRAMS].save_plan(plan)
            return plan

        stored = await self._storage.write(op)
        await self._reindex()
        await self.remember_groups()
        return stored

    async def delete_plan(self, plan_id: int) -> None:
        async def op(uow: UnitOfWork) -> bool:
            return await uow[PROGRAMS].delete_plan(plan_id)

        if not await self._storage.write(op):
            raise NotFound(f"charging plan {plan_id} not found")
        await self._reindex()

    async def set_session_need(self, transaction_id: int, need: SessionNeed | None) -> None:
        tx = await self._transactions.get(transaction_id, with_meter_values=False)
        if not tx.active:
            raise Conflict(f"transaction {transaction_id} has ended")
        if need is not None and need.departure is not None and need.departure <= utcnow():
            raise InvalidRequest("departure: must be in the future")

        async def op(uow: UnitOfWork) -> None:
            if need is None:
                await uow[PROGRAMS].delete_session_need(transaction_id)
            else:
                await uow[PROGRAMS].put_session_need(transaction_id, need)

        await self._storage.write(op)
        self.controller.need_changed(transaction_id, need)

    def session_plan(self, transaction_id: int) -> tuple[str, PlannedCharging | None, SessionNeed | None]:
        found = self.controller.plan_of(transaction_id)
        if found is None:
            raise NotFound(f"transaction {transaction_id} is not charging at a managed site")
        return found
