"""Sites, their electrical tree and what hangs off it, demand-response events and charging plans.

A site is one grid connection. Its limit is in amperes per phase (or kW, converted with the site's voltage
over three phases); circuits (feeders, breakers) nest under it, each with its own limit per phase; stations,
or single EVSEs wired separately, hang off a circuit (or the connection itself) with their phase rotation
and maximum. Everything here is in A per phase unless a name says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from enum import StrEnum

from voltline.kernel.events import DomainEvent

__all__ = [
    "GRID",
    "ChargingPlan",
    "CircuitSpec",
    "DemandResponseEvent",
    "DrState",
    "DrTarget",
    "GridUnit",
    "PeakWindow",
    "PhaseRotation",
    "PriceCurve",
    "PricePeriod",
    "SessionNeed",
    "Site",
    "StationAssignment",
    "Strategy",
]


class Strategy(StrEnum):
    """How the capacity left after the minimums is shared."""

    EQUAL = "equal"  # max-min fair share (water filling)
    PRIORITY = "priority"  # strict classes: a higher priority is served fully before a lower one gets more
    NEED = "need"  # weighted water filling: each demand's rate grows in proportion to its weight


@dataclass(frozen=True, slots=True)
class PeakWindow:
    start: time  # local wall clock
    end: time  # local; at or before start: the window crosses midnight
    weekdays: frozenset[int] = field(default_factory=lambda: frozenset(range(7)))  # the day it starts on
    fraction: float | None = None  # of the connection limit
    limit_a: float | None = None  # or an absolute limit, A per phase


@dataclass(frozen=True, slots=True)
class PricePeriod:
    start: datetime
    end: datetime
    price_per_kwh: Decimal


@dataclass(frozen=True, slots=True)
class PriceCurve:
    currency: str
    periods: tuple[PricePeriod, ...]  # sorted, not overlapping; gaps are unknown prices

    def price_at(self, at: datetime) -> Decimal | None:
        for period in self.periods:
            if period.start <= at < period.end:
                return period.price_per_kwh
        return None


# The id of a site's grid connection in its tree: the root every circuit hangs under.
GRID = "grid"


class GridUnit(StrEnum):
    AMPERES = "A"  # per phase
    KILOWATTS = "kW"  # in total, over three phases at the site's voltage


class PhaseRotation(StrEnum):
    """How a station's L1, L2, L3 are wired to the grid's (OCPP 2.0.1 PhaseRotation's words; 1.6 has the
    same in ConnectorPhaseRotation). RST: L1 on L1 ...; STR: the station's L1 on the grid's L2, L2 on L3, L3 on L1."""

    RST = "RST"
    RTS = "RTS"
    SRT = "SRT"
    STR = "STR"
    TRS = "TRS"
    TSR = "TSR"

    def grid_phase(self, station_phase: int) -> int:
        """The grid phase index (0..2) that the station's phase index (0..2) is wired to."""
        return "RST".index(self.value[station_phase])


@dataclass(frozen=True, slots=True)
class CircuitSpec:
    circuit_id: str
    limit_a: float  # per phase
    parent_id: str = GRID  # GRID: directly under the grid connection
    name: str = ""


@dataclass(frozen=True, slots=True)
class StationAssignment:
    """Where a station (evse_id 0) or one of its EVSEs hangs. An EVSE's own assignment overrides its station's."""

    station_id: str
    site_id: str
    evse_id: int = 0
    circuit_id: str = GRID
    phase_rotation: PhaseRotation = PhaseRotation.RST
    max_current_a: float = 32.0  # per phase, per EVSE: the EVSE's rating or the cable's
    priority: int = 0  # the PRIORITY strategy: higher first; every strategy pauses lower ones first


@dataclass(slots=True)
class Site:
    site_id: str
    name: str
    grid_limit: float  # in grid_unit
    grid_unit: GridUnit = GridUnit.AMPERES
    voltage_v: float = 230.0  # line to neutral
    time_zone: str = "UTC"
    strategy: Strategy = Strategy.EQUAL
    controller_enabled: bool = True
    base_load_a: float = 0.0  # fixed load per phase the EVSEs cannot use (the building, lights)
    min_current_a: float = 6.0  # per EVSE: below it a car cannot charge (IEC 61851); it is paused at 0 instead
    circuits: tuple[CircuitSpec, ...] = ()
    peak_windows: tuple[PeakWindow, ...] = ()
    # Token group -> priority, for the PRIORITY strategy (a fleet's cards before visitors').
    group_priorities: dict[str, int] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def grid_limit_a(self) -> float:
        """The connection's limit in A per phase."""
        if self.grid_unit is GridUnit.AMPERES:
            return self.grid_limit
        return self.grid_limit * 1000.0 / (3 * self.voltage_v)


class DrState(StrEnum):
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class DrTarget(StrEnum):
    KILOWATTS = "kW"  # the site's EVSEs at most this much in total
    AMPERES = "A"  # ... at most this much per phase
    REDUCTION_PERCENT = "percent"  # the site's connection limit reduced by this much (50: half)


@dataclass(slots=True)
class ComplianceMinute:
    """One minute of an active event: the target and the highest load measured (A per phase) in it."""

    minute: datetime
    target_a: float
    measured_a: float

    @property
    def compliant(self) -> bool:
        return self.measured_a <= self.target_a + 0.5  # half an ampere: the meters' resolution


@dataclass(slots=True)
class DemandResponseEvent:
    event_id: int
    site_ids: tuple[str, ...]
    target: DrTarget
    value: float
    start: datetime
    end: datetime
    priority: int = 0
    state: DrState = DrState.SCHEDULED
    source: str = "api"  # who sent it: "api", a webhook adapter's name (e.g. "openadr")
    external_id: str | None = None  # the sender's id (e.g. an OpenADR event id), for changes from it
    created_by: str = ""
    created_at: datetime | None = None
    # Per site: the minutes while active, and when the measured load first reached the target.
    compliance: dict[str, list[ComplianceMinute]] = field(default_factory=dict)
    reached_at: dict[str, datetime] = field(default_factory=dict)
    # Per site: its load (A, the highest phase) when the event began: what a % reduction is taken from.
    baseline_a: dict[str, float] = field(default_factory=dict)

    def target_a(self, site_id: str, connection_a: float, voltage_v: float) -> float:
        """The event's limit on a site's load (EVSEs and base load), in A per phase. A reduction is taken
        from the site's load when the event began (its baseline), as grid operators measure it; before the
        baseline is known, from the connection limit."""
        if self.target is DrTarget.AMPERES:
            return self.value
        if self.target is DrTarget.KILOWATTS:
            return self.value * 1000.0 / (3 * voltage_v)
        baseline = self.baseline_a.get(site_id, connection_a)
        return baseline * max(0.0, 100.0 - self.value) / 100.0

    def active_at(self, at: datetime) -> bool:
        return self.state in (DrState.SCHEDULED, DrState.ACTIVE) and self.start <= at < self.end


@dataclass(slots=True)
class ChargingPlan:
    """A driver's (token's) or a fleet's (token group's) standing wishes."""

    plan_id: int
    id_token: str | None  # exactly one of id_token and token_group
    token_group: str | None
    departures: dict[int, time]  # weekday (Monday 0) -> local departure time, in the site's zone
    energy_wh: float | None = None  # energy wanted per session
    target_soc: float | None = None  # or a state of charge (%), with battery_wh
    battery_wh: float | None = None
    max_price_per_kwh: Decimal | None = None  # do not charge above this price (unless charge_now)
    charge_now: bool = False  # override: charge at once, as fast as allowed
    priority: int = 0
    updated_at: datetime | None = None


@dataclass(slots=True, frozen=True)
class SessionNeed:
    """What one session needs, from its plan, the EV (ISO 15118 charging needs) or an override."""

    energy_wh: float | None
    departure: datetime | None
    charge_now: bool = False
    max_price_per_kwh: Decimal | None = None
    priority: int = 0
    source: str = "plan"  # plan, ev (ISO 15118), override


@dataclass(slots=True, frozen=True)
class SiteLimitsChanged(DomainEvent):
    """The controller changed the limits of a site's EVSEs (live event `site_load`)."""

    site_id: str
    reason: str
    changed: int  # EVSEs whose limit changed
    paused: int
    overloaded: tuple[str, ...]


@dataclass(slots=True, frozen=True)
class SiteOverloaded(DomainEvent):
    """A site cannot give every charging EVSE its minimum, or its fixed loads exceed a limit (alert-worthy)."""

    site_id: str
    detail: str
    paused: tuple[str, ...]
    overloaded: tuple[str, ...]


@dataclass(slots=True, frozen=True)
class DemandResponseChanged(DomainEvent):
    event_id: int
    state: str
    site_ids: tuple[str, ...]
