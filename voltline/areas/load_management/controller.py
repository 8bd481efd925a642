"""The load controller: one per site, deciding a limit for every EVSE with a transaction and pushing it.

It follows the site's stations through the activity feed (kernel/activity.py) in memory, and reallocates
a site (allocation.py, pure) when something there changes: a transaction starts or ends, a status changes,
a station connects or disconnects, its meters show an EV using less than it was given or ramping up again,
a peak window, demand-response event or plan step begins or ends, or the site itself is edited. Events
close together are handled by one reallocation (a short debounce), and a site reallocates at most once per
minimum interval, so that a burst of events (cars arriving together) costs one reallocation and one limit
per EVSE instead of one per event; a site reallocates one at a time.

Pushing keeps the limits safe at every instant: the limits that go down are sent first and their answers
awaited; only then do the others go up. A station that does not confirm (offline, timeout) is counted at
the higher of its old and new limit; one that refuses is counted at its maximum and flagged; after such a
surprise the allocation is made again before anything is raised. Every assigned station holds the
controller's TxDefaultProfile at 0 A, so that a transaction starts paused and draws nothing until the
controller has given it a share (within the debounce and a round trip).

The state that matters survives a restart in storage: the limits in force are the profiles the profile
store keeps (and re-sends after a boot); sites, assignments, events and plans are rows. What is in memory
(measured currents, caps) is rebuilt from the next samples.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from voltline.areas.load_management.allocation import Allocation, Demand, Phases, allocate
from voltline.areas.load_management.model import (
    GRID,
    ComplianceMinute,
    DemandResponseChanged,
    DemandResponseEvent,
    DrState,
    PriceCurve,
    SessionNeed,
    Site,
    SiteLimitsChanged,
    SiteOverloaded,
    StationAssignment,
)
from voltline.areas.load_management.planning import ChargingPlan as PlannedCharging
from voltline.areas.load_management.planning import plan_cheapest
from voltline.areas.load_management.ports import PROGRAMS, SITES
from voltline.areas.load_management.settings import LoadManagementSettings
from voltline.areas.load_management.state import (
    EvseState,
    SiteState,
    demand_of,
    evse_key,
    follow_meter,
    reading_of,
    tree_of,
    usable_max_a,
)
from voltline.areas.load_management.windows import limit_at as window_limit_at
from voltline.areas.smart_charging.model import (
    ChargingProfile,
    ChargingProfilePurpose,
    ChargingSchedule,
    DeliveryState,
    ProfileKind,
    ProfileSource,
    RateUnit,
    SchedulePeriod,
)
from voltline.areas.smart_charging.service import SmartChargingService
from voltline.areas.transactions.ports import TransactionFilter
from voltline.areas.transactions.service import TransactionService
from voltline.kernel.activity import ActivityFeed, ActivityKind, EvseActivity
from voltline.kernel.actors import current_actor
from voltline.kernel.commands import CommandService
from voltline.kernel.errors import DomainError
from voltline.kernel.events import EventBus
from voltline.kernel.storage import Storage, UnitOfWork

log = logging.getLogger("voltline.load_management")

# The controller's profile ids on a station: the TxDefaultProfile, and the TxProfile of EVSE n at BASE + n.
# High, so an operator's own ids (1 upwards) do not meet them.
PROFILE_ID_BASE = 900_000
CONTROLLER_ACTOR = "controller:load:"
# A limit that rises by at least this goes out once settled (load_management_raise_settle_s); one that rises by
# less, but at least MIN_RAISE_A, after the longer small-raise settle; a smaller rise is not sent (it would only
# churn the stations). One that falls is always sent, at once.
RAISE_HYSTERESIS_A = 2.0
MIN_RAISE_A = 0.5
STEP_A = 0.1
HISTORY_FLUSH_S = 1.0
# Up to this many newly followed stations, their transactions are read station by station.
FEW_STATIONS = 100
# Connected stations given the default together (each a profile delivery awaiting its answer).
DEFAULTS_BATCH = 64


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True, frozen=True)
class EvseLoad:
    """One EVSE in the `/load` view."""

    station_id: str
    evse_id: int
    circuit_id: str
    transaction_id: int | None
    phases: tuple[int, ...]
    limit_a: float | None  # the limit the station confirmed
    sent_a: float | None
    measured_a: Phases
    offline: bool
    rejected: str | None
    reason: str
    planned: list[tuple[datetime, float]] | None


@dataclass(slots=True, frozen=True)
class SiteLoad:
    site_id: str
    controller_enabled: bool
    connection_a: float
    limit_reasons: tuple[str, ...]
    base_load_a: Phases
    measured_a: Phases
    circuits: dict[str, tuple[float, Phases]]  # circuit -> (limit per phase, allocated load per phase)
    evses: list[EvseLoad]
    paused: tuple[str, ...]
    overloaded: tuple[str, ...]
    allocated_at: datetime | None


class LoadController:
    def __init__(
        self,
        storage: Storage,
        events: EventBus,
        activity: ActivityFeed,
        smart_charging: SmartChargingService,
        transactions: TransactionService,
        commands: CommandService,
        settings: LoadManagementSettings | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings or LoadManagementSettings()
        self._storage = storage
        self._events = events
        self._activity = activity
        self._smart_charging = smart_charging
        self._transactions = transactions
        self._commands = commands
        self._clock = clock
        self._sites: dict[str, SiteState] = {}
        self._site_of: dict[str, str] = {}  # station id -> site id
        self._assignments: dict[str, dict[int, StationAssignment]] = {}  # station -> evse (0: all) -> assignment
        self._dr_events: dict[int, DemandResponseEvent] = {}  # scheduled and active
        self._prices: dict[str, PriceCurve] = {}
        self._needs: dict[int, SessionNeed] = {}  # by transaction id: overrides and plan-derived needs
        # Where each followed transaction runs (site, EVSE key), so that a session's plan or need is found
        # without walking every site. Checked on use: an entry whose EVSE moved on is dropped then.
        self._evse_of_transaction: dict[int, tuple[str, str]] = {}
        self._plan_of: Callable[[str | None, ZoneInfo], SessionNeed | None] = lambda _token, _zone: None
        self._stack_levels: dict[str, int] = {}
        # Stations known to hold the controller's 0 A default; the others are given it when they connect.
        self._defaults_held: set[str] = set()
        self._defaults_due: dict[str, None] = {}  # connected, to be given the default (ordered set)
        self._defaults_task: asyncio.Task[None] | None = None
        self._locks: dict[str, asyncio.Lock] = {}
        self._scheduled: dict[str, asyncio.TimerHandle] = {}
        self._meter_due: dict[str, float] = {}  # site -> loop time before which meter caps wait
        self._last_run: dict[str, float] = {}  # site -> loop time its last reallocation began
        self._tasks: set[asyncio.Task[Any]] = set()
        # Decided allocations not yet written: their rows are built when written (a batch a second), from the
        # allocation itself (immutable, kept for the site anyway) and what was fixed then.
        self._history: list[_Decided] = []
        self._history_task: asyncio.Task[None] | None = None
        # Events whose state or compliance changed since they were last written (ended ones included).
        self._dirty_events: dict[int, DemandResponseEvent] = {}
        self._running = False
        activity.listen(self.on_activity)

    # ------------------------------------------------------------------------------------ set-up

    async def start(self) -> None:
        async def op(uow: UnitOfWork) -> tuple[list[Site], list[StationAssignment], dict[str, Any], list[Any]]:
            repo = uow[SITES]
            sites = await repo.list()
            prices = {s.site_id: await repo.prices(s.site_id) for s in sites}
            return (
                sites,
                await repo.assignments(),
                {"prices": prices, "base": await repo.measured_base_loads()},
                (await uow[PROGRAMS].events(open_only=True, limit=10_000)),
            )

        sites, assignments, extra, events = await self._storage.read(op)
        for site in sites:
            self._sites[site.site_id] = SiteState(site)
            if (curve := extra["prices"].get(site.site_id)) is not None:
                self._prices[site.site_id] = curve
        for site_id, (currents, at) in extra["base"].items():
            if (state := self._sites.get(site_id)) is not None:
                state.base_load_measured, state.base_load_at = currents, at
        for event in events:
            self._dr_events[event.event_id] = event
        self._running = True
        self._set_assignments(assignments)
        await self._load_transactions(list(self._site_of))
        for site_id in self._sites:
            self.request(site_id, "controller started")

    async def stop(self) -> None:
        self._running = False
        for handle in self._scheduled.values():
            handle.cancel()
        self._scheduled.clear()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with suppress(asyncio.CancelledError, Exception):
                await task
        await self.flush_history()
        await self.save_events()

    def use_plans(self, plan_of: Callable[[str | None, ZoneInfo], SessionNeed | None]) -> None:
        """Where a token's standing plan comes from (the service's plans, kept in memory)."""
        self._plan_of = plan_of

    def _set_assignments(self, assignments: Iterable[StationAssignment]) -> None:
        """Follow every stored assignment (at start, when nothing is followed yet)."""
        by_station: dict[str, dict[int, StationAssignment]] = {}
        for a in assignments:
            by_station.setdefault(a.station_id, {})[a.evse_id] = a
        for station_id, by_evse in by_station.items():
            self._follow(station_id, by_evse)

    def _follow(self, station_id: str, by_evse: dict[int, StationAssignment]) -> set[str]:
        """The station's assignments are now `by_evse` (empty: none): move it between sites, keep its EVSEs'
        state where it stays; the sites concerned (old and new). Costs the size of those sites, not of all."""
        old_site = self._site_of.get(station_id)
        new_site = next(iter(by_evse.values())).site_id if by_evse else None
        if by_evse:
            self._assignments[station_id] = by_evse
            self._site_of[station_id] = by_evse[next(iter(by_evse))].site_id
            self._activity.watch((station_id,))
        else:
            self._assignments.pop(station_id, None)
            self._site_of.pop(station_id, None)
            self._activity.unwatch((station_id,))
        if old_site is not None and (state := self._sites.get(old_site)) is not None:
            state.offline.discard(station_id)
            for key, evse in [(k, e) for k, e in state.evses.items() if e.station_id == station_id]:
                assignment = self._assignment(station_id, evse.evse_id)
                if assignment is None or assignment.site_id != old_site:
                    del state.evses[key]
                else:
                    evse.assignment = assignment
        new_state = self._sites.get(new_site) if new_site is not None else None
        if new_state is not None and not self._commands.is_online(station_id):
            new_state.offline.add(station_id)
        return {s for s in (old_site, new_site) if s is not None}

    def forget_station(self, station_id: str) -> None:
        """The station was removed (its assignments went with it in storage)."""
        self._assignments.pop(station_id, None)
        self._defaults_held.discard(station_id)
        site_id = self._site_of.pop(station_id, None)
        self._activity.unwatch([station_id])
        state = self._sites.get(site_id) if site_id is not None else None
        if state is not None:
            for key in [k for k, e in state.evses.items() if e.station_id == station_id]:
                del state.evses[key]
            state.offline.discard(station_id)
            self.request(state.site.site_id, f"station {station_id} removed")

    def _assignment(self, station_id: str, evse_id: int) -> StationAssignment | None:
        by_evse = self._assignments.get(station_id)
        if not by_evse:
            return None
        return by_evse.get(evse_id) or by_evse.get(0)

    async def _load_transactions(self, station_ids: Sequence[str]) -> None:
        """The running transactions of newly followed stations (at start, on assignment)."""
        wanted = set(station_ids)
        if not wanted:
            return
        if len(wanted) <= FEW_STATIONS:  # an assignment: its stations' transactions, not the network's
            running = [
                tx
                for station_id in sorted(wanted)
                for tx in await self._transactions.list(TransactionFilter(station_id=station_id, active=True))
            ]
        else:
            running = [
                tx
                for tx in await self._transactions.list(TransactionFilter(active=True, limit=1_000_000))
                if tx.station_id in wanted
            ]

        async def op(uow: UnitOfWork) -> dict[int, SessionNeed]:
            needs = {}
            for tx in running:
                if (need := await uow[PROGRAMS].session_need(tx.id)) is not None:
                    needs[tx.id] = need
            return needs

        self._needs.update(await self._storage.read(op))
        for tx in running:
            if tx.station_id in wanted:
                self._started(
                    tx.station_id, tx.evse_id, tx.id, tx.station_tx_id, tx.id_token, tx.started_at, tx.charging_state
                )
        for station_id in wanted:
            self._take_over_limits(station_id)

    def _take_over_limits(self, station_id: str) -> None:
        """The limits the profile store holds for the station from an earlier run: in force until changed."""
        site = self._state_of(station_id)
        if site is None:
            return
        for record in self._smart_charging.cached_active(station_id):
            profile = record.profile
            if record.source is not ProfileSource.CONTROLLER or profile.purpose is not ChargingProfilePurpose.TX:
                continue
            evse = site.evses.get(evse_key(station_id, profile.evse_id))
            if evse is not None and profile.schedules and profile.schedules[0].periods:
                limit = profile.schedules[0].periods[0].limit
                evse.sent_a = limit
                if record.state is DeliveryState.ACCEPTED:
                    evse.limit_a = limit

    # ------------------------------------------------------------------------------------ config changes

    async def sites_changed(
        self,
        sites: Sequence[Site] = (),
        *,
        deleted: Sequence[str] = (),
        stations: Mapping[str, Sequence[StationAssignment]] | None = None,
    ) -> None:
        """The service stored `sites`, deleted the `deleted` ones, or changed the assignments of `stations`
        (each with its whole new set, empty when it left its site): follow exactly that. The cost is the
        change's, not the network's: creating the 500th site must not read the other 499."""
        reenabled: set[str] = set()
        changed: set[str] = set()  # the sites to reallocate: new, redefined, or their stations moved
        for site in sites:
            state = self._sites.get(site.site_id)
            if state is None:
                self._sites[site.site_id] = SiteState(site)
                changed.add(site.site_id)
            else:
                was_enabled = state.site.controller_enabled
                if state.site != site:
                    changed.add(site.site_id)
                state.site = site
                if was_enabled and not site.controller_enabled:
                    self._spawn(self._release(state))
                elif site.controller_enabled and not was_enabled:
                    reenabled.add(site.site_id)
        for site_id in deleted:
            self._sites.pop(site_id, None)
            self._last_run.pop(site_id, None)
            self._meter_due.pop(site_id, None)
        added: list[str] = []  # new to the controller
        moved: list[str] = []  # on another site than before (added ones too): its transactions go along
        for station_id, assignments in (stations or {}).items():
            new = {a.evse_id: a for a in assignments}
            if self._assignments.get(station_id, {}) == new:
                continue
            was = self._site_of.get(station_id)
            if new and was is None:
                added.append(station_id)
            changed.update(self._follow(station_id, new))
            if new and self._site_of.get(station_id) != was:
                moved.append(station_id)
        await self._load_transactions(moved)
        # Only the stations this change concerns (new here, or on a site turned back on): the rest hold the
        # default already or are given it when they connect. Checking all would cost a read per station.
        concerned = {s for s, site_id in self._site_of.items() if site_id in reenabled} if reenabled else set()
        self._defaults_held.difference_update(concerned)
        concerned.update(added)
        await asyncio.gather(*(self._hold_default(station_id) for station_id in concerned))
        for site_id in changed & set(self._sites):
            self.request(site_id, "site changed")

    def prices_changed(self, site_id: str, curve: PriceCurve) -> None:
        self._prices[site_id] = curve
        if (state := self._sites.get(site_id)) is not None:
            for evse in state.evses.values():
                evse.plan = None
            self.request(site_id, "prices changed")

    def base_load_measured(self, site_id: str, currents: Phases, at: datetime) -> None:
        if (state := self._sites.get(site_id)) is not None:
            state.base_load_measured, state.base_load_at = currents, at
            self.request(site_id, "base load measured", meter=True)

    def need_changed(self, transaction_id: int, need: SessionNeed | None) -> None:
        if need is None:
            self._needs.pop(transaction_id, None)
        else:
            self._needs[transaction_id] = need
        found = self._evse_of(transaction_id)
        if found is not None:
            state, evse = found
            evse.need, evse.plan = need, None
            self.request(state.site.site_id, f"session {transaction_id}: need changed")

    def _evse_of(self, transaction_id: int) -> tuple[SiteState, EvseState] | None:
        """The site and EVSE of a followed transaction."""
        where = self._evse_of_transaction.get(transaction_id)
        if where is None:
            return None
        state = self._sites.get(where[0])
        evse = state.evses.get(where[1]) if state is not None else None
        if state is None or evse is None or evse.transaction_id != transaction_id:
            del self._evse_of_transaction[transaction_id]  # the EVSE left the site or runs another one now
            return None
        return state, evse

    def events_changed(self, events: Iterable[DemandResponseEvent]) -> None:
        for event in events:
            if event.state in (DrState.SCHEDULED, DrState.ACTIVE):
                self._dr_events[event.event_id] = event
            else:
                self._dr_events.pop(event.event_id, None)
            for site_id in event.site_ids:
                self.request(site_id, f"demand response {event.event_id}: {event.state.value}")

    def dr_event(self, event_id: int) -> DemandResponseEvent | None:
        return self._dr_events.get(event_id)

    # ------------------------------------------------------------------------------------ the feed

    def _state_of(self, station_id: str) -> SiteState | None:
        site_id = self._site_of.get(station_id)
        return self._sites.get(site_id) if site_id is not None else None

    def on_activity(self, activity: EvseActivity) -> None:
        """What a watched station did (called on the station path: note it, schedule work)."""
        state = self._state_of(activity.station_id)
        if state is None:
            return
        site_id, kind = state.site.site_id, activity.kind
        if kind is ActivityKind.STARTED:
            at = activity.at or self._clock()
            self._started(
                activity.station_id,
                activity.evse_id,
                activity.transaction_id,
                activity.station_tx_id,
                activity.id_token,
                at,
                activity.charging_state,
            )
            self.request(site_id, f"transaction started at {activity.station_id}/{activity.evse_id}")
        elif kind is ActivityKind.ENDED:
            ended = state.evses.pop(evse_key(activity.station_id, activity.evse_id), None)
            if ended is not None:
                if ended.transaction_id is not None:
                    self._evse_of_transaction.pop(ended.transaction_id, None)
                self.request(site_id, f"transaction ended at {activity.station_id}/{activity.evse_id}")
        elif kind is ActivityKind.METER:
            evse = state.evses.get(evse_key(activity.station_id, activity.evse_id))
            if evse is not None:
                reading = reading_of(activity.samples)
                before = evse.grid_phases()
                capped = follow_meter(evse, reading, state.site.voltage_v, state.site.min_current_a)
                if capped or evse.grid_phases() != before:
                    self.request(site_id, f"meter at {evse.key}", meter=True)
                self._follow_compliance(state)
        elif kind in (ActivityKind.STATUS, ActivityKind.UPDATED):
            evse = state.evses.get(evse_key(activity.station_id, activity.evse_id))
            if evse is not None:
                # Only what the allocation looks at calls for one (a first "Charging" after the start does not).
                before = (evse.drawing, evse.suspended)
                if activity.status is not None:
                    evse.status = activity.status
                if activity.charging_state is not None:
                    evse.charging_state = activity.charging_state
                if (evse.drawing, evse.suspended) != before:
                    self.request(site_id, f"{evse.key} {activity.status or activity.charging_state}")
        elif kind is ActivityKind.CONNECTED:
            state.offline.discard(activity.station_id)
            if activity.station_id not in self._defaults_held:  # assigned before it ever connected
                self._hold_default_soon(activity.station_id)
            self.request(site_id, f"{activity.station_id} connected")
        elif kind is ActivityKind.DISCONNECTED:
            state.offline.add(activity.station_id)
            self.request(site_id, f"{activity.station_id} disconnected")

    def _started(
        self,
        station_id: str,
        evse_id: int,
        transaction_id: int | None,
        station_tx_id: str | None,
        id_token: str | None,
        at: datetime,
        charging_state: str | None,
    ) -> None:
        state = self._state_of(station_id)
        assignment = self._assignment(station_id, evse_id)
        if state is None or assignment is None:
            return
        need = self._needs.get(transaction_id) if transaction_id is not None else None
        if need is None:
            need = self._plan_of(id_token, _zone(state.site.time_zone))
        key = evse_key(station_id, evse_id)
        if transaction_id is not None:
            self._evse_of_transaction[transaction_id] = (state.site.site_id, key)
        state.evses[key] = EvseState(
            station_id=station_id,
            evse_id=evse_id,
            assignment=assignment,
            transaction_id=transaction_id,
            station_tx_id=station_tx_id,
            id_token=id_token,
            arrival=at.timestamp(),
            charging_state=charging_state,
            need=need,
        )

    # ------------------------------------------------------------------------------------ scheduling

    def request(self, site_id: str, reason: str, *, meter: bool = False, after: float = 0.0) -> None:
        """Reallocate the site soon (not before `after` seconds). Meter-driven requests wait for the site's
        meter interval."""
        state = self._sites.get(site_id)
        if state is None or not self._running:
            return
        if len(state.reasons) < 20:
            state.reasons.append(reason)
        loop = asyncio.get_running_loop()
        delay = max(
            self.settings.load_management_debounce_s,
            self._last_run.get(site_id, -math.inf) + self.settings.load_management_min_interval_s - loop.time(),
            after,
        )
        if meter:
            due = self._meter_due.get(site_id, 0.0)
            delay = max(delay, due - loop.time())
        handle = self._scheduled.get(site_id)
        if handle is not None:
            if handle.when() <= loop.time() + delay:
                return
            handle.cancel()
        self._scheduled[site_id] = loop.call_later(delay, self._fire, site_id)

    def _fire(self, site_id: str) -> None:
        self._scheduled.pop(site_id, None)
        self._spawn(self._run(site_id))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("load controller: %s", error, exc_info=error)

    async def _run(self, site_id: str) -> None:
        lock = self._locks.get(site_id)
        if lock is None:
            lock = self._locks[site_id] = asyncio.Lock()
        async with lock:
            state = self._sites.get(site_id)
            if state is None or not state.site.controller_enabled:
                return
            reasons, state.reasons = state.reasons, []
            current_actor.set(CONTROLLER_ACTOR + site_id)
            began = asyncio.get_running_loop().time()
            self._last_run[site_id] = began
            self._meter_due[site_id] = began + self.settings.load_management_meter_interval_s
            await self.reallocate(state, "; ".join(reasons) or "requested")

    async def reallocate_now(self, site_id: str, reason: str = "requested") -> None:
        """Reallocate the site at once (tests, the API's 'reallocate')."""
        handle = self._scheduled.pop(site_id, None)
        if handle is not None:
            handle.cancel()
        state = self._sites.get(site_id)
        if state is not None:
            state.reasons.append(reason)
        await self._run(site_id)

    # ------------------------------------------------------------------------------------ deciding

    def connection_limit(self, state: SiteState, now: datetime) -> tuple[float, tuple[str, ...]]:
        """The limit on the site's whole load now (A per phase) and what sets it."""
        site = state.site
        limit, reasons = site.grid_limit_a, ["connection"]
        if site.peak_windows:
            windowed, window = window_limit_at(site.grid_limit_a, site.peak_windows, _zone(site.time_zone), now)
            if window is not None and windowed < limit:
                limit, reasons = (
                    windowed,
                    [f"peak window {window.start.isoformat('minutes')}-{window.end.isoformat('minutes')}"],
                )
        for event in self._dr_events.values():
            if site.site_id in event.site_ids and event.state is DrState.ACTIVE and event.start <= now < event.end:
                target = event.target_a(site.site_id, site.grid_limit_a, site.voltage_v)
                if target < limit:
                    limit, reasons = target, [f"demand response {event.event_id}"]
        return limit, tuple(reasons)

    def _base_load(self, state: SiteState, now: datetime) -> Phases:
        measured, at = state.base_load_measured, state.base_load_at
        max_age = self.settings.load_management_base_load_max_age_s
        if measured is not None and at is not None and (now - at).total_seconds() <= max_age:
            return measured
        fixed = state.site.base_load_a
        return (fixed, fixed, fixed)

    def _plan(self, state: SiteState, evse: EvseState, now: datetime) -> PlannedCharging | None:
        need, curve = evse.need, self._prices.get(state.site.site_id)
        if need is None or curve is None or need.charge_now or not need.energy_wh or need.departure is None:
            return None
        if need.departure <= now:
            return None
        if evse.plan is None:
            delivered = 0.0  # the energy so far is not subtracted: a plan is made at the session's start
            evse.plan = plan_cheapest(
                now=now,
                departure=need.departure,
                energy_wh=max(need.energy_wh - delivered, 0.0),
                max_a=evse.assignment.max_current_a,
                min_a=state.site.min_current_a,
                phases=len(evse.grid_phases()),
                voltage_v=state.site.voltage_v,
                prices=curve,
            )
        return evse.plan

    def _planned_max(self, plan: PlannedCharging, now: datetime) -> float:
        """What a planned session may draw from now to shortly ahead: its next step is counted before it
        begins, so that others are lowered first."""
        horizon = now + timedelta(seconds=self.settings.load_management_plan_lead_s)
        rate = plan.limit_at(now)
        for period in plan.periods:
            if now < period.start <= horizon:
                rate = max(rate, period.limit_a)
        return rate

    def decide(self, state: SiteState, now: datetime) -> tuple[Allocation, dict[str, float], float, tuple[str, ...]]:
        """The allocation for the site now: (allocation, usable maximum by EVSE, connection limit, why)."""
        site = state.site
        connection_a, reasons = self.connection_limit(state, now)
        base = self._base_load(state, now)
        root: Phases = (
            max(connection_a - base[0], 0.0),
            max(connection_a - base[1], 0.0),
            max(connection_a - base[2], 0.0),
        )
        demands: list[Demand] = []
        usable: dict[str, float] = {}
        now_s = now.timestamp()
        for evse in state.evses.values():
            if not evse.drawing:
                continue
            max_a = usable_max_a(evse, site)
            plan = self._plan(state, evse, now)
            if plan is not None:
                max_a = min(max_a, self._planned_max(plan, now))
            usable[evse.key] = max_a
            demands.append(demand_of(state, evse, now_s=now_s, voltage_v=site.voltage_v, max_a=max_a))
        tree = tree_of(site, root)
        inputs = (tuple(tree), tuple(demands), site.strategy)
        allocation = state.allocation
        if allocation is None or state.allocation_inputs != inputs:
            allocation = allocate(tree, demands, site.strategy, step_a=STEP_A)
            state.allocation_inputs, state.allocation = inputs, allocation
        return allocation, usable, connection_a, reasons

    # ------------------------------------------------------------------------------------ pushing

    async def reallocate(self, state: SiteState, reason: str) -> None:
        now = self._clock()
        changed = 0
        allocation: Allocation | None = None
        for _attempt in range(3):
            allocation, usable, connection_a, why = self.decide(state, now)
            lowers, raises = self._changes(state, allocation, asyncio.get_running_loop().time())
            if not lowers and not raises:
                break
            surprises = await self._push_all(state, lowers, now)
            changed += len(lowers)
            if surprises:
                continue  # someone did not take its lower limit: decide again before raising anyone
            surprises = await self._push_all(state, raises, now)
            changed += len(raises)
            if not surprises:
                break
            # Someone did not take its higher limit: it now counts at its maximum (refused) or at the higher
            # of its limits (unconfirmed), which may not fit beside the others': decide again.
        if allocation is None:
            return
        state.usable = usable
        newly_paused = allocation.paused - state.paused
        state.connection_a, state.limit_reasons = connection_a, why
        state.paused, state.overloaded, state.load_a = allocation.paused, allocation.overloaded, allocation.load_a
        state.allocated_at = now
        fixed = tuple(e.key for e in state.evses.values() if e.station_id in state.offline or e.rejected)
        self._history.append(_Decided(state.site.site_id, now, reason, allocation, connection_a, why, fixed))
        self._flush_history_soon()
        site_id = state.site.site_id
        if changed:
            self._events.announce(
                SiteLimitsChanged(site_id, reason, changed, len(allocation.paused), allocation.overloaded)
            )
        if newly_paused or (allocation.overloaded and reason != "requested"):
            detail = (
                f"site {site_id}: {len(allocation.paused)} EVSE(s) paused, their minimum does not fit"
                if allocation.paused
                else f"site {site_id}: fixed loads exceed {', '.join(allocation.overloaded)}"
            )
            if allocation.overloaded:
                detail += f"; overloaded: {', '.join(allocation.overloaded)}"
            log.warning("load controller: %s", detail)
            self._events.announce(
                SiteOverloaded(site_id, detail, tuple(sorted(allocation.paused)), allocation.overloaded)
            )

    def _changes(
        self, state: SiteState, allocation: Allocation, loop_now: float
    ) -> tuple[list[tuple[EvseState, float]], list[tuple[EvseState, float]]]:
        lowers: list[tuple[EvseState, float]] = []
        raises: list[tuple[EvseState, float]] = []
        quick_settle = self.settings.load_management_raise_settle_s
        small_settle = max(self.settings.load_management_small_raise_settle_s, quick_settle)
        settling: list[str] = []  # EVSEs whose higher limit waits to settle
        settled_in = math.inf  # seconds until the first of them is due
        for key, limit in allocation.limits.items():
            evse = state.evses.get(key)
            if evse is None or evse.station_id in state.offline or evse.rejected is not None:
                continue
            # None: nothing sent yet, so the controller's TxDefaultProfile (0 A) holds it.
            current = evse.sent_a if evse.sent_a is not None else 0.0
            wanted = evse.raise_wanted_at
            evse.raise_wanted_at = None
            if limit < current - 1e-9:
                lowers.append((evse, limit))
            elif current == 0.0 and limit > 0.0:
                raises.append((evse, limit))  # a car given nothing yet gets its share at once
            elif limit >= current + MIN_RAISE_A:
                settle = quick_settle if limit >= current + RAISE_HYSTERESIS_A else small_settle
                if wanted is None and settle > 0:  # wanted from now on: sent if still wanted once settled
                    evse.raise_wanted_at = loop_now
                    settling.append(key)
                    settled_in = min(settled_in, settle)
                elif wanted is not None and loop_now - wanted < settle - 1e-3:
                    evse.raise_wanted_at = wanted  # still settling (another reallocation ran meanwhile)
                    settling.append(key)
                    settled_in = min(settled_in, wanted + settle - loop_now)
                else:
                    raises.append((evse, limit))
            elif evse.plan is not None and evse.plan is not evse.sent_plan and evse.station_tx_id:
                # No more now, but a new schedule ahead: the station gets it at once, so that it charges in the
                # planned hours on its own (a later reallocation still lowers it where the site needs that).
                lowers.append((evse, min(limit, current)))
        if settling:  # one request for all of them: the site reallocates when the first is due
            one = len(settling) == 1
            what = f"higher limit for {settling[0]}" if one else f"higher limits for {len(settling)} EVSEs"
            self.request(state.site.site_id, f"{what} settled", after=settled_in)
        for evse in state.evses.values():  # EVSEs not allocated (idle statuses) are given nothing
            idle = evse.key not in allocation.limits and not evse.drawing and (evse.sent_a or 0.0) > 0.0
            if idle and evse.station_id not in state.offline and evse.rejected is None:
                lowers.append((evse, 0.0))
        return lowers, raises

    async def _push_all(self, state: SiteState, changes: list[tuple[EvseState, float]], now: datetime) -> bool:
        """Send the limits; True when a station did not take its limit (refused, offline, no answer)."""
        if not changes:
            return False
        # One read for the limits of every station here, not one per station (each push checks them).
        await self._smart_charging.prefetch_limits(evse.station_id for evse, _limit in changes)
        results = await asyncio.gather(*(self._push(state, evse, limit, now) for evse, limit in changes))
        return not all(results)

    async def _push(self, state: SiteState, evse: EvseState, limit: float, now: datetime) -> bool:
        profile = self._profile(state, evse, limit, now, await self._stack_level(evse.station_id))
        previous = evse.sent_a
        evse.sent_a = limit
        try:
            delivery = await self._smart_charging.set_profile(
                evse.station_id, profile, transaction_bound=True, answer_batched=True
            )
        except DomainError as exc:
            log.info("load controller: limit for %s not set: %s", evse.key, exc)
            evse.sent_a = max(limit, previous) if previous is not None else limit
            evse.rejected = str(exc)
            return False
        record = delivery.record
        if record.state is DeliveryState.ACCEPTED:
            evse.limit_a, evse.rejected = limit, None
            evse.sent_plan = evse.plan if profile.purpose is ChargingProfilePurpose.TX else None
            return True
        if record.state is DeliveryState.REJECTED:
            evse.rejected = record.status_reason or "rejected"
            log.warning("load controller: %s refused its limit (%s): counted at its maximum", evse.key, evse.rejected)
            return False
        # Not delivered (offline, no answer): it may be drawing either limit.
        evse.sent_a = max(limit, previous) if previous is not None else evse.assignment.max_current_a
        return False

    def _profile(
        self, state: SiteState, evse: EvseState, limit: float, now: datetime, stack_level: int
    ) -> ChargingProfile:
        plan = evse.plan
        purpose = ChargingProfilePurpose.TX if evse.station_tx_id else ChargingProfilePurpose.TX_DEFAULT
        if plan is not None and purpose is ChargingProfilePurpose.TX:
            periods = [SchedulePeriod(0, _down(min(limit, plan.limit_at(now))))]
            start_s = now.timestamp()
            for period in plan.periods:
                offset = int(period.start.timestamp() - start_s)
                if offset > 0:
                    periods.append(SchedulePeriod(offset, _down(min(period.limit_a, evse.assignment.max_current_a))))
            schedule = ChargingSchedule(RateUnit.AMPERES, tuple(_merged(periods)), start=now.replace(microsecond=0))
            kind = ProfileKind.ABSOLUTE
        else:
            schedule = ChargingSchedule(RateUnit.AMPERES, (SchedulePeriod(0, _down(limit)),))
            kind = ProfileKind.RELATIVE
        return ChargingProfile(
            profile_id=PROFILE_ID_BASE + evse.evse_id,
            purpose=purpose,
            stack_level=stack_level,
            kind=kind,
            schedules=(schedule,),
            evse_id=evse.evse_id,
            transaction_id=evse.station_tx_id if purpose is ChargingProfilePurpose.TX else None,
        )

    async def _stack_level(self, station_id: str) -> int:
        level = self._stack_levels.get(station_id)
        if level is None:
            level = self.settings.load_management_stack_level
            version = self._commands.version_of(station_id)
            if version is not None:
                with suppress(DomainError):
                    limits = await self._smart_charging.station_limits(station_id, version)
                    if limits.max_stack_level is not None:
                        level = min(level, limits.max_stack_level)
                self._stack_levels[station_id] = level
        return level

    def _hold_default_soon(self, station_id: str) -> None:
        """Queue a connected station for its default. A reconnect storm of thousands must not make as many
        deliveries compete with the handshakes and boots: they go after a short delay, a batch at a time."""
        self._defaults_due[station_id] = None
        if self._defaults_task is None or self._defaults_task.done():
            self._defaults_task = asyncio.get_running_loop().create_task(self._hold_defaults())
            self._tasks.add(self._defaults_task)
            self._defaults_task.add_done_callback(self._done)

    async def _hold_defaults(self) -> None:
        await asyncio.sleep(self.settings.load_management_default_delay_s)
        while self._defaults_due and self._running:
            batch = list(itertools.islice(self._defaults_due, DEFAULTS_BATCH))
            for station_id in batch:
                del self._defaults_due[station_id]
            await self._smart_charging.prefetch_limits(batch)
            await asyncio.gather(*(self._hold_default(s) for s in batch if s not in self._defaults_held))

    async def _hold_default(self, station_id: str) -> None:
        """Give the station the controller's TxDefaultProfile at 0 A (kept and re-sent by the profile store).
        A station that never connected has no known version yet: it is given the default when it connects."""
        state = self._state_of(station_id)
        if state is None or not state.site.controller_enabled:
            return
        current_actor.set(CONTROLLER_ACTOR + state.site.site_id)
        try:
            held = self._smart_charging.known_active(station_id)
            if held is None:
                held = await self._smart_charging.profiles(station_id, active_only=True)
            for record in held:
                if record.profile.profile_id == PROFILE_ID_BASE and record.source is ProfileSource.CONTROLLER:
                    self._defaults_held.add(station_id)
                    return
            profile = ChargingProfile(
                profile_id=PROFILE_ID_BASE,
                purpose=ChargingProfilePurpose.TX_DEFAULT,
                stack_level=await self._stack_level(station_id),
                kind=ProfileKind.RELATIVE,
                schedules=(ChargingSchedule(RateUnit.AMPERES, (SchedulePeriod(0, 0.0),)),),
                evse_id=0,
            )
            await self._smart_charging.set_profile(station_id, profile, answer_batched=True)
        except DomainError as exc:
            log.info("load controller: default limit for %r not set yet: %s", station_id, exc)
            return
        self._defaults_held.add(station_id)

    async def _release(self, state: SiteState) -> None:
        """The site's controller was turned off: clear its profiles, so stations keep their own limits."""
        stations = [s for s, site in self._site_of.items() if site == state.site.site_id]
        self._defaults_held.difference_update(stations)
        current_actor.set(CONTROLLER_ACTOR + state.site.site_id)
        for station_id in stations:
            for record in await self._smart_charging.profiles(station_id, active_only=True):
                if record.source is ProfileSource.CONTROLLER and record.profile.profile_id >= PROFILE_ID_BASE:
                    with suppress(DomainError):
                        await self._smart_charging.delete_profile(station_id, record.profile.profile_id)
        for evse in state.evses.values():
            evse.limit_a = evse.sent_a = None

    def _reason(self, state: SiteState, evse: EvseState) -> str:
        """Why the EVSE's limit is what it is, from the site's last allocation (worked out when the load is
        read, not at every reallocation); "" for one the controller has not allocated yet."""
        allocation = state.allocation
        if allocation is None or state.allocated_at is None:
            return ""
        key = evse.key
        if evse.station_id in state.offline:
            return "station offline: counted at its last limit until it is back"
        if evse.rejected is not None:
            return f"refused the controller's profile ({evse.rejected}): counted at its maximum"
        if not evse.drawing:
            return f"{evse.status}: given nothing"
        if key in allocation.paused:
            return "paused: its minimum does not fit"
        if evse.plan is not None:
            return "planned: charging in the cheapest hours before departure"
        limit = allocation.limits.get(key)
        if limit is None:
            return ""
        if limit >= state.usable.get(key, 0.0) - STEP_A:
            return "at what it can use" if evse.cap_a is not None else "at its maximum"
        circuit = evse.assignment.circuit_id
        known = circuit != GRID and any(c.circuit_id == circuit for c in state.site.circuits)
        return f"share of {circuit if known else 'the grid connection'} ({state.site.strategy.value})"

    # ------------------------------------------------------------------------------------ observing

    def load(self, site_id: str) -> SiteLoad | None:
        state = self._sites.get(site_id)
        if state is None:
            return None
        now = self._clock()
        connection_a, reasons = self.connection_limit(state, now)
        base = self._base_load(state, now)
        circuits: dict[str, tuple[float, Phases]] = {GRID: (connection_a, state.load_a.get(GRID, (0.0, 0.0, 0.0)))}
        for circuit in state.site.circuits:
            circuits[circuit.circuit_id] = (circuit.limit_a, state.load_a.get(circuit.circuit_id, (0.0, 0.0, 0.0)))
        evses = [
            EvseLoad(
                station_id=e.station_id,
                evse_id=e.evse_id,
                circuit_id=e.assignment.circuit_id,
                transaction_id=e.transaction_id,
                phases=e.grid_phases(),
                limit_a=e.limit_a,
                sent_a=e.sent_a,
                measured_a=e.measured_a,
                offline=e.station_id in state.offline,
                rejected=e.rejected,
                reason=self._reason(state, e),
                planned=[(p.start, p.limit_a) for p in e.plan.periods] if e.plan is not None else None,
            )
            for e in sorted(state.evses.values(), key=lambda e: e.key)
        ]
        l1, l2, l3 = base
        for e in state.evses.values():
            l1, l2, l3 = l1 + e.measured_a[0], l2 + e.measured_a[1], l3 + e.measured_a[2]
        return SiteLoad(
            site_id=site_id,
            controller_enabled=state.site.controller_enabled,
            connection_a=connection_a,
            limit_reasons=reasons,
            base_load_a=base,
            measured_a=(l1, l2, l3),
            circuits=circuits,
            evses=evses,
            paused=tuple(sorted(state.paused)),
            overloaded=state.overloaded,
            allocated_at=state.allocated_at,
        )

    def plan_of(self, transaction_id: int) -> tuple[str, PlannedCharging | None, SessionNeed | None] | None:
        found = self._evse_of(transaction_id)
        if found is None:
            return None
        state, evse = found
        return state.site.site_id, evse.plan, evse.need

    # ------------------------------------------------------------------------------------ periodic

    async def tick(self) -> None:
        """Demand-response events begin and end, peak windows and plan steps come: reallocate those sites."""
        now = self._clock()
        for event in list(self._dr_events.values()):
            if event.state is DrState.SCHEDULED and event.start <= now < event.end:
                event.state = DrState.ACTIVE
                for site_id in event.site_ids:
                    if (state := self._sites.get(site_id)) is not None:
                        event.baseline_a[site_id] = round(max(state.measured_load_a()), 1)
                self._dirty_events[event.event_id] = event
                self.events_changed([event])
                self._events.announce(DemandResponseChanged(event.event_id, event.state.value, event.site_ids))
            elif event.state in (DrState.SCHEDULED, DrState.ACTIVE) and now >= event.end:
                event.state = DrState.COMPLETED
                self._dirty_events[event.event_id] = event
                self.events_changed([event])
                self._events.announce(DemandResponseChanged(event.event_id, event.state.value, event.site_ids))
        for site_id, state in self._sites.items():
            if not state.site.controller_enabled:
                continue
            connection_a, _ = self.connection_limit(state, now)
            if state.allocated_at is not None and abs(connection_a - state.connection_a) > 1e-6:
                self.request(site_id, "limit in force changed")
            lead = timedelta(seconds=self.settings.load_management_plan_lead_s)
            for evse in state.evses.values():
                if evse.plan is not None and any(
                    now < p.start <= now + lead + timedelta(seconds=self.settings.load_management_tick_s)
                    for p in evse.plan.periods
                ):
                    self.request(site_id, f"plan step of {evse.key}")
                    break
        if self._dirty_events:
            await self.save_events()

    def _follow_compliance(self, state: SiteState) -> None:
        """While a demand-response event is active on the site: its load against the target, per minute."""
        site_id = state.site.site_id
        now: datetime | None = None
        for event in self._dr_events.values():
            if event.state is not DrState.ACTIVE or site_id not in event.site_ids:
                continue
            now = now or self._clock()
            measured = max(state.measured_load_a())
            target = event.target_a(site_id, state.site.grid_limit_a, state.site.voltage_v)
            minute = now.replace(second=0, microsecond=0)
            minutes = event.compliance.setdefault(site_id, [])
            reaching = site_id not in event.reached_at and measured <= target + 0.5
            if reaching:
                event.reached_at[site_id] = now
            if minutes and minutes[-1].minute == minute:
                # The readings before the target was reached are the response (its time is seconds_to_target),
                # not a breach: the minute the target is reached counts from that reading on.
                highest = minutes[-1].measured_a if not reaching else 0.0
                minutes[-1].measured_a = max(highest, round(measured, 1))
                minutes[-1].target_a = round(target, 1)
            else:
                minutes.append(ComplianceMinute(minute, round(target, 1), round(measured, 1)))
            self._dirty_events[event.event_id] = event

    async def save_events(self) -> None:
        events = list(self._dirty_events.values())
        self._dirty_events.clear()
        if not events:
            return

        async def op(uow: UnitOfWork) -> None:
            for event in events:
                await uow[PROGRAMS].save_event(event)

        try:
            await self._storage.write(op)
        except Exception:
            log.exception("load controller: demand-response state not written (tried again on the next tick)")
            for event in events:
                self._dirty_events.setdefault(event.event_id, event)

    def _flush_history_soon(self) -> None:
        if self._history_task is None or self._history_task.done():
            self._history_task = asyncio.ensure_future(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(HISTORY_FLUSH_S)
        await self.flush_history()

    async def flush_history(self) -> None:
        """Write the allocations decided since the last flush (one transaction for all)."""
        rows, self._history = self._history, []
        if not rows:
            return
        known = set(self._sites)

        written = [(d.site_id, d.at, d.reason, _decision(d)) for d in rows if d.site_id in known]

        async def op(uow: UnitOfWork) -> None:
            await uow[SITES].add_allocations(written)

        try:
            await self._storage.write(op)
        except Exception:
            log.exception("load controller: %d allocations not written to the history", len(rows))


@dataclass(slots=True, frozen=True)
class _Decided:
    """One reallocation, for the history."""

    site_id: str
    at: datetime
    reason: str
    allocation: Allocation
    connection_a: float
    why: tuple[str, ...]
    fixed: tuple[str, ...]  # the EVSEs counted at a fixed load (offline or refusing)


def _decision(decided: _Decided) -> dict[str, Any]:
    allocation = decided.allocation
    return {
        "connection_a": round(decided.connection_a, 1),
        "limit_reasons": list(decided.why),
        "limits": dict(sorted(allocation.limits.items())),
        "fixed": sorted(decided.fixed),
        "paused": sorted(allocation.paused),
        "overloaded": list(allocation.overloaded),
        "load_a": {c: [round(x, 1) for x in load] for c, load in sorted(allocation.load_a.items())},
    }


def _down(value: float) -> float:
    return max(int(value * 10 + 1e-9) / 10.0, 0.0)


def _merged(periods: list[SchedulePeriod]) -> list[SchedulePeriod]:
    merged: list[SchedulePeriod] = []
    for period in periods:
        if merged and merged[-1].limit == period.limit:
            continue
        if merged and merged[-1].start_offset == period.start_offset:
            merged[-1] = period
            continue
        merged.append(period)
    return merged


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


__all__ = ["PROFILE_ID_BASE", "EvseLoad", "LoadController", "SiteLoad"]
