"""What the controller knows about a site's EVSEs, in memory, and how that becomes allocation demands.

Everything here is fed by the activity feed (transaction starts and ends, statuses, meter samples,
(dis)connections) and by the answers to the limits the controller pushed; nothing here does I/O.
Currents are A per phase; `Phases` are the grid's L1, L2, L3.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from voltline.areas.load_management.allocation import Allocation, Circuit, Demand, Phases
from voltline.areas.load_management.model import GRID, SessionNeed, Site, StationAssignment
from voltline.areas.load_management.planning import ChargingPlan as PlannedCharging

ZERO: Phases = (0.0, 0.0, 0.0)
ALL_PHASES = (0, 1, 2)
# A phase carrying less than this is not loaded by the car (meters read a little on idle phases).
LOADED_PHASE_A = 1.0
# The EV uses less than its limit by more than this: the difference goes to the others ...
RECLAIM_MARGIN_A = 2.0
# ... keeping this much above what it draws, so that it can ramp up and be seen doing so.
RECLAIM_HEADROOM_A = 1.0
# Statuses in which an EVSE draws nothing and is given nothing (its transaction may still run).
IDLE_STATUSES = frozenset({"Faulted", "Unavailable", "Finishing"})
SUSPENDED_EV = "SuspendedEV"


def evse_key(station_id: str, evse_id: int) -> str:
    return f"{station_id}/{evse_id}"


@dataclass(slots=True)
class EvseState:
    """One EVSE of a site with a running transaction."""

    station_id: str
    evse_id: int
    assignment: StationAssignment
    transaction_id: int | None
    station_tx_id: str | None
    id_token: str | None
    arrival: float  # epoch seconds of the transaction's start
    status: str | None = None
    charging_state: str | None = None
    measured_a: Phases = ZERO  # the latest sample, on the grid's phases
    station_phases: tuple[int, ...] | None = None  # the station phases the car loads, once measured
    limit_a: float | None = None  # the limit the station confirmed (None: none yet)
    sent_a: float | None = None  # the limit last pushed, confirmed or not
    raise_wanted_at: float | None = None  # loop time a higher limit was first decided and not yet sent
    rejected: str | None = None  # why the station refused the controller's profile
    cap_a: float | None = None  # what the EV can use, as measured (None: no cap)
    need: SessionNeed | None = None
    plan: PlannedCharging | None = None  # the cheapest plan for its need, when the site has prices
    sent_plan: PlannedCharging | None = None  # the plan whose schedule the station last confirmed
    # grid_phases() of the station phases it was last worked out for (asked on every sample and reallocation).
    _grid_of: tuple[tuple[int, ...], tuple[int, ...]] | None = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> str:
        return evse_key(self.station_id, self.evse_id)

    def grid_phases(self) -> tuple[int, ...]:
        """The grid phases the car loads: through the wiring's rotation once measured, else all three (a
        car not yet measured is counted on every phase: safe, and corrected at its first sample)."""
        station_phases = self.station_phases
        if station_phases is None:
            return ALL_PHASES
        known = self._grid_of
        if known is None or known[0] != station_phases:
            rotation = self.assignment.phase_rotation
            known = self._grid_of = (station_phases, tuple(sorted({rotation.grid_phase(p) for p in station_phases})))
        return known[1]

    @property
    def drawing(self) -> bool:
        return self.status not in IDLE_STATUSES

    @property
    def suspended(self) -> bool:
        """The EV paused itself: kept at the site's minimum, ready to resume."""
        return self.charging_state == SUSPENDED_EV or self.status == SUSPENDED_EV


@dataclass(slots=True)
class SiteState:
    site: Site
    evses: dict[str, EvseState] = field(default_factory=dict)  # by evse_key: those with a transaction
    offline: set[str] = field(default_factory=set)  # its stations not connected now
    base_load_measured: Phases | None = None
    base_load_at: datetime | None = None
    reasons: list[str] = field(default_factory=list)  # what asked for a reallocation since the last one
    connection_a: float = 0.0  # the limit on the site's load in force at the last allocation
    limit_reasons: tuple[str, ...] = ()
    paused: frozenset[str] = frozenset()
    overloaded: tuple[str, ...] = ()
    load_a: dict[str, Phases] = field(default_factory=dict)
    allocated_at: datetime | None = None
    # The last allocation and what it was made of (tree, demands, strategy): a reallocation whose inputs did
    # not change (a settled raise, an event that changed nothing the allocation reads) reuses it.
    allocation_inputs: tuple[object, ...] | None = None
    allocation: Allocation | None = None
    usable: dict[str, float] = field(default_factory=dict)  # by EVSE key: what each could use then

    def measured_load_a(self) -> Phases:
        """The site's load now, per grid phase: what the EVSEs' meters read and the base load."""
        l1, l2, l3 = self.base_load()
        for evse in self.evses.values():
            m1, m2, m3 = evse.measured_a
            l1, l2, l3 = l1 + m1, l2 + m2, l3 + m3
        return (l1, l2, l3)

    def base_load(self) -> Phases:
        if self.base_load_measured is not None:
            return self.base_load_measured
        fixed = self.site.base_load_a
        return (fixed, fixed, fixed)


@dataclass(frozen=True, slots=True)
class Reading:
    """What one message's sampled values say about an EVSE's draw."""

    currents_a: dict[int, float]  # per station phase (0..2), Current.Import
    power_w: float | None  # total Power.Active.Import
    offered_a: float | None  # Current.Offered: the limit the EVSE offered the car when it was measured


def reading_of(samples: Iterable[object]) -> Reading:
    """Current per station phase, total active power (W) and the current offered, from one message."""
    currents: dict[int, float] = {}
    power_w: float | None = None
    offered_a: float | None = None
    for sample in samples:
        measurand = getattr(sample, "measurand", None)
        if measurand == "Current.Import":
            phase = (getattr(sample, "phase", None) or "")[:2]
            index = {"L1": 0, "L2": 1, "L3": 2}.get(phase)
            if index is not None:
                currents[index] = float(getattr(sample, "value", 0.0)) * _to_amperes(getattr(sample, "unit", None))
        elif measurand == "Current.Offered":
            offered_a = float(getattr(sample, "value", 0.0)) * _to_amperes(getattr(sample, "unit", None))
        elif measurand == "Power.Active.Import" and not getattr(sample, "phase", None):
            power_w = float(getattr(sample, "value", 0.0)) * (1000.0 if getattr(sample, "unit", None) == "kW" else 1.0)
    return Reading(currents, power_w, offered_a)


def _to_amperes(unit: str | None) -> float:
    return 0.001 if unit == "mA" else 1.0


def tree_of(site: Site, root_limit: Phases) -> list[Circuit]:
    """The allocation's circuits: the grid connection (at `root_limit`) and the site's circuits."""
    circuits = [Circuit(GRID, None, root_limit)]
    circuits += [Circuit(c.circuit_id, c.parent_id, (c.limit_a, c.limit_a, c.limit_a)) for c in site.circuits]
    return circuits


def demand_of(state: SiteState, evse: EvseState, *, now_s: float, voltage_v: float, max_a: float) -> Demand:
    """The EVSE as the allocation sees it. An offline station's EVSE keeps what it was last given (or its
    maximum, if it never confirmed a limit): it may be drawing that now and cannot be told otherwise. One
    that refused the controller's profile is counted at its maximum."""
    assignment = evse.assignment
    fixed: float | None = None
    if evse.station_id in state.offline:
        fixed = max(evse.limit_a, evse.sent_a or 0.0) if evse.limit_a is not None else assignment.max_current_a
    elif evse.rejected is not None:
        fixed = assignment.max_current_a
    priority = assignment.priority
    if evse.need is not None:
        priority = max(priority, evse.need.priority)
    weight = 1.0
    need = evse.need
    if need is not None and need.energy_wh and need.departure is not None:
        hours = max((need.departure.timestamp() - now_s) / 3600.0, 0.25)
        phases = len(evse.grid_phases())
        weight = max(need.energy_wh / hours / (phases * voltage_v), 0.1)  # the rate it needs, in A
    return Demand(
        key=evse.key,
        circuit_id=assignment.circuit_id,
        phases=evse.grid_phases(),
        min_a=min(state.site.min_current_a, max_a),
        max_a=max_a,
        priority=priority,
        arrival=evse.arrival,
        weight=weight,
        fixed_a=fixed,
    )


def usable_max_a(evse: EvseState, site: Site) -> float:
    """What an EVSE could use now: its maximum, the EV's own draw (a suspended or full EV, one that takes
    less), and its plan (nothing while cheaper hours are ahead)."""
    limit = evse.assignment.max_current_a
    if evse.suspended:
        limit = min(limit, site.min_current_a)  # kept at its minimum, ready to resume
    if evse.cap_a is not None:
        limit = min(limit, evse.cap_a)
    return max(limit, 0.0)


def follow_meter(evse: EvseState, reading: Reading, voltage_v: float, min_current_a: float) -> bool:
    """Take a sample in: measured currents on the grid's phases, the car's phases and whether it uses
    less than it was given (a cap) or ramps up again (no cap). True when the cap changed.

    The draw is compared with what the EVSE offered when it was measured, where the sample says (a sample
    taken before a new limit took effect shows the old one), and a cap is never below the site's minimum: a
    car capped under the 6 A it needs could never be seen asking for more."""
    currents, power_w = reading.currents_a, reading.power_w
    if currents:
        loaded = tuple(p for p, a in sorted(currents.items()) if a >= LOADED_PHASE_A)
        if loaded:
            evse.station_phases = loaded
        per_grid = [0.0, 0.0, 0.0]
        for phase, amperes in currents.items():
            per_grid[evse.assignment.phase_rotation.grid_phase(phase)] += max(amperes, 0.0)
        evse.measured_a = (per_grid[0], per_grid[1], per_grid[2])
        drawn = max(currents.values())
    elif power_w is not None:
        phases = evse.grid_phases()
        drawn = max(power_w, 0.0) / (voltage_v * len(phases))
        per = [drawn if p in phases else 0.0 for p in ALL_PHASES]
        evse.measured_a = (per[0], per[1], per[2])
    else:
        return False
    before = evse.cap_a
    given = evse.limit_a if evse.limit_a is not None else evse.sent_a
    if reading.offered_a is not None and given is not None:
        given = min(given, reading.offered_a)
    if given is None or given <= 0:
        evse.cap_a = None
    elif given < min_current_a:
        pass  # offered less than a car can charge with: its draw says nothing about what it wants
    elif drawn < given - RECLAIM_MARGIN_A:
        cap = max(round(drawn + RECLAIM_HEADROOM_A, 1), min_current_a)
        # Lower the cap at once; raise it only when the EV clearly asks for more (at its cap already).
        if before is None or cap < before - 0.5:
            evse.cap_a = cap
    elif before is not None and drawn >= before - 0.5:
        evse.cap_a = None  # ramping up: give it back what it may have
    return evse.cap_a != before
