"""Request and response bodies of the load-management endpoints (A per phase unless a name says kW or W)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, WithJsonSchema

from voltline.api.params import STATION_ID_PATTERN
from voltline.api.schemas import MAX_INT32, NO_NUL, PRINTABLE, AnyCase, Strict, UtcDatetime
from voltline.areas.load_management.controller import EvseLoad, SiteLoad
from voltline.areas.load_management.model import (
    GRID,
    ChargingPlan,
    CircuitSpec,
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
from voltline.areas.load_management.planning import ChargingPlan as PlannedCharging
from voltline.areas.load_management.prices import MAX_PERIODS, PRICE_BOUND, PRICE_PLACES, price_curve

SITE_ID_PATTERN = r"^[A-Za-z0-9._~-]{1,48}$"
SiteIdText = Annotated[str, Field(pattern=SITE_ID_PATTERN, description="1 to 48 letters, digits, '.', '_', '~', '-'.")]
Amperes = Annotated[float, Field(ge=0, le=100_000)]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=PRINTABLE)]
# A price per kWh in the currency's unit: a JSON number, or its text ("0.2150") where a client keeps money out
# of binary floats. Documented by hand because pydantic documents a Decimal's text form as any string.
Price = Annotated[
    Decimal,
    Field(ge=-PRICE_BOUND, le=PRICE_BOUND, max_digits=12, decimal_places=PRICE_PLACES),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": -float(PRICE_BOUND), "maximum": float(PRICE_BOUND)},
                {"type": "string", "pattern": NO_NUL, "description": 'A decimal number as text, e.g. "0.2150".'},
            ]
        },
        mode="validation",
    ),
]
MAX_CIRCUITS = 200
MAX_WINDOWS = 50


class CircuitBody(Strict):
    id: SiteIdText = Field(description="The circuit's id within the site (not 'grid': that is the connection).")
    parent: SiteIdText = Field(default=GRID, description="The circuit it hangs under ('grid': the connection).")
    limit_a: Amperes = Field(description="Its limit, A per phase.", examples=[63])
    name: str = Field(default="", max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")

    def to_domain(self) -> CircuitSpec:
        return CircuitSpec(self.id, self.limit_a, self.parent, self.name)

    @classmethod
    def of(cls, circuit: CircuitSpec) -> CircuitBody:
        return cls.model_construct(
            id=circuit.circuit_id, parent=circuit.parent_id, limit_a=circuit.limit_a, name=circuit.name
        )


class PeakWindowBody(Strict):
    start: time = Field(description="Local wall-clock time in the site's zone, e.g. 17:00.", examples=["17:00"])
    end: time = Field(description="Local; at or before start: the window crosses midnight.", examples=["20:00"])
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: list(range(7)), max_length=7, description="Days it starts on, Monday 0 to Sunday 6."
    )
    fraction: float | None = Field(default=None, gt=0, le=1, description="Of the connection's limit (0.6: 60%).")
    limit_a: Amperes | None = Field(default=None, description="Or an absolute limit, A per phase.")

    def to_domain(self) -> PeakWindow:
        return PeakWindow(self.start, self.end, frozenset(self.weekdays), self.fraction, self.limit_a)

    @classmethod
    def of(cls, window: PeakWindow) -> PeakWindowBody:
        return cls.model_construct(
            start=window.start,
            end=window.end,
            weekdays=sorted(window.weekdays),
            fraction=window.fraction,
            limit_a=window.limit_a,
        )


class SiteFields(Strict):
    name: Name
    grid_limit: float = Field(
        gt=0, le=1_000_000, description="The grid connection's limit, in grid_unit.", examples=[100]
    )
    grid_unit: AnyCase[GridUnit] = Field(default=GridUnit.AMPERES, description="A (per phase) or kW (in total).")
    voltage_v: float = Field(default=230.0, ge=100, le=400, description="Line to neutral.")
    time_zone: str = Field(
        default="UTC", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+/-]+$", examples=["Europe/Berlin"]
    )
    strategy: AnyCase[Strategy] = Field(default=Strategy.EQUAL, description="equal, priority or need.")
    controller_enabled: bool = Field(default=True, description="false: stations keep their own limits.")
    base_load_a: Amperes = Field(default=0.0, description="A fixed load per phase the EVSEs cannot use.")
    min_current_a: float = Field(default=6.0, ge=0, le=80, description="Per EVSE: below it, paused at 0.")
    circuits: list[CircuitBody] = Field(default_factory=list, max_length=MAX_CIRCUITS)
    peak_windows: list[PeakWindowBody] = Field(default_factory=list, max_length=MAX_WINDOWS)
    group_priorities: dict[
        Annotated[str, Field(min_length=1, max_length=36, pattern=PRINTABLE)], Annotated[int, Field(ge=-1000, le=1000)]
    ] = Field(default_factory=dict, max_length=100, description="Token group -> priority (the priority strategy).")

    def to_domain(self, site_id: str) -> Site:
        return Site(
            site_id=site_id,
            name=self.name,
            grid_limit=self.grid_limit,
            grid_unit=GridUnit(self.grid_unit),
            voltage_v=self.voltage_v,
            time_zone=self.time_zone,
            strategy=Strategy(self.strategy),
            controller_enabled=self.controller_enabled,
            base_load_a=self.base_load_a,
            min_current_a=self.min_current_a,
            circuits=tuple(c.to_domain() for c in self.circuits),
            peak_windows=tuple(w.to_domain() for w in self.peak_windows),
            group_priorities=dict(self.group_priorities),
        )


class SiteRequest(SiteFields):
    id: SiteIdText = Field(description="The site's id.", examples=["depot-1"])


class SiteBody(BaseModel):
    id: str
    name: str
    grid_limit: float
    grid_unit: GridUnit
    grid_limit_a: float = Field(description="The connection's limit in A per phase.")
    voltage_v: float
    time_zone: str
    strategy: Strategy
    controller_enabled: bool
    base_load_a: float
    min_current_a: float
    circuits: list[CircuitBody]
    peak_windows: list[PeakWindowBody]
    group_priorities: dict[str, int]
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, site: Site) -> SiteBody:
        return cls.model_construct(
            id=site.site_id,
            name=site.name,
            grid_limit=site.grid_limit,
            grid_unit=site.grid_unit,
            grid_limit_a=round(site.grid_limit_a, 1),
            voltage_v=site.voltage_v,
            time_zone=site.time_zone,
            strategy=site.strategy,
            controller_enabled=site.controller_enabled,
            base_load_a=site.base_load_a,
            min_current_a=site.min_current_a,
            circuits=[CircuitBody.of(c) for c in site.circuits],
            peak_windows=[PeakWindowBody.of(w) for w in site.peak_windows],
            group_priorities=site.group_priorities,
            created_at=site.created_at,
            updated_at=site.updated_at,
        )


class AssignmentFields(Strict):
    evse_id: int = Field(default=0, ge=0, le=MAX_INT32, description="0: every EVSE of the station; n: EVSE n alone.")
    circuit_id: SiteIdText = Field(default=GRID, description="The circuit it hangs off ('grid': the connection).")
    phase_rotation: AnyCase[PhaseRotation] = Field(default=PhaseRotation.RST, description="How its L1-L3 are wired.")
    max_current_a: float = Field(default=32.0, gt=0, le=1000, description="Per EVSE, A per phase.")
    priority: int = Field(default=0, ge=-1000, le=1000)

    def to_domain(self, site_id: str, station_id: str) -> StationAssignment:
        return StationAssignment(
            station_id=station_id,
            site_id=site_id,
            evse_id=self.evse_id,
            circuit_id=self.circuit_id,
            phase_rotation=PhaseRotation(self.phase_rotation),
            max_current_a=self.max_current_a,
            priority=self.priority,
        )


class AssignmentRequest(AssignmentFields):
    station_id: str = Field(pattern=STATION_ID_PATTERN, examples=["CP-0001"])


class AssignmentsRequest(Strict):
    stations: list[AssignmentRequest] = Field(min_length=1, max_length=1000)


class AssignmentBody(BaseModel):
    station_id: str
    evse_id: int
    circuit_id: str
    phase_rotation: PhaseRotation
    max_current_a: float
    priority: int

    @classmethod
    def of(cls, a: StationAssignment) -> AssignmentBody:
        return cls.model_construct(
            station_id=a.station_id,
            evse_id=a.evse_id,
            circuit_id=a.circuit_id,
            phase_rotation=a.phase_rotation,
            max_current_a=a.max_current_a,
            priority=a.priority,
        )


class CircuitsRequest(Strict):
    circuits: list[CircuitBody] = Field(max_length=MAX_CIRCUITS)


class BaseLoadRequest(Strict):
    currents_a: list[Amperes] = Field(min_length=3, max_length=3, description="Measured, A on L1, L2, L3.")
    measured_at: UtcDatetime | None = Field(default=None, description="When it was measured (default: now).")


class EvseLoadBody(BaseModel):
    station_id: str
    evse_id: int
    circuit_id: str
    transaction_id: int | None
    phases: list[int] = Field(description="Grid phases the car loads (0: L1); all three until measured.")
    limit_a: float | None = Field(description="The limit the station confirmed.")
    sent_a: float | None = Field(description="The limit last sent (confirmed or not).")
    measured_a: list[float]
    offline: bool
    rejected: str | None
    reason: str = Field(description="Why its limit is what it is.")
    planned: list[tuple[datetime, float]] | None = Field(description="A planned session's steps (start, A).")

    @classmethod
    def of(cls, e: EvseLoad) -> EvseLoadBody:
        return cls.model_construct(
            station_id=e.station_id,
            evse_id=e.evse_id,
            circuit_id=e.circuit_id,
            transaction_id=e.transaction_id,
            phases=list(e.phases),
            limit_a=e.limit_a,
            sent_a=e.sent_a,
            measured_a=[round(x, 1) for x in e.measured_a],
            offline=e.offline,
            rejected=e.rejected,
            reason=e.reason,
            planned=e.planned,
        )


class CircuitLoadBody(BaseModel):
    limit_a: float
    allocated_a: list[float] = Field(description="Allocated per phase (L1, L2, L3), fixed loads included.")


class SiteLoadBody(BaseModel):
    site_id: str
    controller_enabled: bool
    limit_a: float = Field(description="The limit on the site's whole load now, A per phase.")
    limit_reasons: list[str] = Field(description="What sets it: connection, a peak window, a demand-response event.")
    base_load_a: list[float]
    measured_a: list[float] = Field(description="The site's load now per phase: EVSE meters and base load.")
    circuits: dict[str, CircuitLoadBody]
    evses: list[EvseLoadBody]
    paused: list[str]
    overloaded: list[str]
    allocated_at: datetime | None

    @classmethod
    def of(cls, load: SiteLoad) -> SiteLoadBody:
        return cls.model_construct(
            site_id=load.site_id,
            controller_enabled=load.controller_enabled,
            limit_a=round(load.connection_a, 1),
            limit_reasons=list(load.limit_reasons),
            base_load_a=[round(x, 1) for x in load.base_load_a],
            measured_a=[round(x, 1) for x in load.measured_a],
            circuits={
                c: CircuitLoadBody.model_construct(
                    limit_a=round(limit, 1), allocated_a=[round(x, 1) for x in allocated]
                )
                for c, (limit, allocated) in load.circuits.items()
            },
            evses=[EvseLoadBody.of(e) for e in load.evses],
            paused=list(load.paused),
            overloaded=list(load.overloaded),
            allocated_at=load.allocated_at,
        )


class AllocationBody(BaseModel):
    at: datetime
    reason: str
    decision: dict[str, Any]


class PricePeriodBody(Strict):
    start: UtcDatetime
    end: UtcDatetime
    price_per_kwh: Price


class PricesRequest(Strict):
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["EUR"], description="ISO 4217.")
    periods: list[PricePeriodBody] = Field(min_length=1, max_length=MAX_PERIODS)

    def to_domain(self) -> PriceCurve:
        return price_curve(
            self.currency,
            [
                (PricePeriod(p.start, p.end, p.price_per_kwh), f"periods[{index}]")
                for index, p in enumerate(self.periods)
            ],
        )


class PricesBody(BaseModel):
    currency: str
    periods: list[PricePeriodBody]

    @classmethod
    def of(cls, curve: PriceCurve) -> PricesBody:
        return cls.model_construct(
            currency=curve.currency,
            periods=[
                PricePeriodBody.model_construct(start=p.start, end=p.end, price_per_kwh=p.price_per_kwh)
                for p in curve.periods
            ],
        )


class DrEventRequest(Strict):
    site_ids: list[SiteIdText] = Field(min_length=1, max_length=500, description="The site, or a group of sites.")
    target: AnyCase[DrTarget] = Field(description="kW (absolute), A (per phase) or percent (a reduction).")
    value: float = Field(ge=0, le=1_000_000, examples=[50])
    start: UtcDatetime | None = Field(default=None, description="Default: now.")
    duration_s: int = Field(ge=1, le=2 * 86400, examples=[7200])
    priority: int = Field(default=0, ge=0, le=1000)
    external_id: str | None = Field(default=None, max_length=200, pattern=PRINTABLE)

    def to_domain(self, now: datetime, source: str = "api") -> DemandResponseEvent:
        start = self.start or now
        return DemandResponseEvent(
            event_id=0,
            site_ids=tuple(dict.fromkeys(self.site_ids)),
            target=DrTarget(self.target),
            value=self.value,
            start=start,
            end=start + timedelta(seconds=self.duration_s),
            priority=self.priority,
            source=source,
            external_id=self.external_id,
        )


class DrEventChange(Strict):
    target: AnyCase[DrTarget] | None = None
    value: float | None = Field(default=None, ge=0, le=1_000_000)
    duration_s: int | None = Field(default=None, ge=1, le=2 * 86400, description="From the event's start.")
    priority: int | None = Field(default=None, ge=0, le=1000)


class ComplianceBody(BaseModel):
    site_id: str
    baseline_a: float | None
    reached_at: datetime | None
    seconds_to_target: float | None = Field(
        description="From the event's start to the first reading at or below the target."
    )
    minutes: list[tuple[datetime, float, float]] = Field(
        description="(minute, target A, highest A measured in it once the target was first reached)."
    )
    compliant_minutes: int


class DrEventBody(BaseModel):
    id: int
    site_ids: list[str]
    target: DrTarget
    value: float
    start: datetime
    end: datetime
    priority: int
    state: DrState
    source: str
    external_id: str | None
    created_by: str
    created_at: datetime | None
    compliance: list[ComplianceBody]

    @classmethod
    def of(cls, event: DemandResponseEvent) -> DrEventBody:
        compliance = []
        for site_id in event.site_ids:
            minutes = event.compliance.get(site_id, [])
            reached = event.reached_at.get(site_id)
            compliance.append(
                ComplianceBody.model_construct(
                    site_id=site_id,
                    baseline_a=event.baseline_a.get(site_id),
                    reached_at=reached,
                    seconds_to_target=(reached - event.start).total_seconds() if reached is not None else None,
                    minutes=[(m.minute, m.target_a, m.measured_a) for m in minutes],
                    compliant_minutes=sum(1 for m in minutes if m.compliant),
                )
            )
        return cls.model_construct(
            id=event.event_id,
            site_ids=list(event.site_ids),
            target=event.target,
            value=event.value,
            start=event.start,
            end=event.end,
            priority=event.priority,
            state=event.state,
            source=event.source,
            external_id=event.external_id,
            created_by=event.created_by,
            created_at=event.created_at,
            compliance=compliance,
        )


class PlanRequest(Strict):
    id_token: str | None = Field(default=None, min_length=1, max_length=36, pattern=PRINTABLE)
    token_group: str | None = Field(default=None, min_length=1, max_length=36, pattern=PRINTABLE)
    departures: dict[Annotated[str, Field(pattern=r"^[0-6]$")], time] = Field(
        default_factory=dict, max_length=7, description="Weekday (0 Monday .. 6 Sunday) -> local departure time."
    )
    energy_wh: float | None = Field(default=None, gt=0, le=1_000_000)
    target_soc: float | None = Field(default=None, gt=0, le=100)
    battery_wh: float | None = Field(default=None, gt=0, le=1_000_000)
    max_price_per_kwh: Price | None = None
    charge_now: bool = False
    priority: int = Field(default=0, ge=-1000, le=1000)

    def to_domain(self, plan_id: int = 0) -> ChargingPlan:
        return ChargingPlan(
            plan_id=plan_id,
            id_token=self.id_token,
            token_group=self.token_group,
            departures={int(day): at.replace(tzinfo=None) for day, at in self.departures.items()},
            energy_wh=self.energy_wh,
            target_soc=self.target_soc,
            battery_wh=self.battery_wh,
            max_price_per_kwh=self.max_price_per_kwh,
            charge_now=self.charge_now,
            priority=self.priority,
        )


class PlanBody(BaseModel):
    id: int
    id_token: str | None
    token_group: str | None
    departures: dict[str, time]
    energy_wh: float | None
    target_soc: float | None
    battery_wh: float | None
    max_price_per_kwh: Decimal | None
    charge_now: bool
    priority: int
    updated_at: datetime | None

    @classmethod
    def of(cls, plan: ChargingPlan) -> PlanBody:
        return cls.model_construct(
            id=plan.plan_id,
            id_token=plan.id_token,
            token_group=plan.token_group,
            departures={str(day): at for day, at in sorted(plan.departures.items())},
            energy_wh=plan.energy_wh,
            target_soc=plan.target_soc,
            battery_wh=plan.battery_wh,
            max_price_per_kwh=plan.max_price_per_kwh,
            charge_now=plan.charge_now,
            priority=plan.priority,
            updated_at=plan.updated_at,
        )


class NeedRequest(Strict):
    energy_wh: float | None = Field(default=None, gt=0, le=1_000_000)
    departure: UtcDatetime | None = None
    charge_now: bool = False
    max_price_per_kwh: Price | None = None

    def to_domain(self) -> SessionNeed:
        return SessionNeed(self.energy_wh, self.departure, self.charge_now, self.max_price_per_kwh, source="override")


class SessionPlanBody(BaseModel):
    transaction_id: int
    site_id: str
    need_source: str | None
    energy_wh: float | None
    departure: datetime | None
    charge_now: bool
    periods: list[tuple[datetime, float]] | None = Field(description="The plan's steps (start, A per phase).")
    planned_energy_wh: float | None
    planned_cost: Decimal | None
    cost_at_once: Decimal | None
    feasible: bool | None

    @classmethod
    def of(
        cls, transaction_id: int, site_id: str, plan: PlannedCharging | None, need: SessionNeed | None
    ) -> SessionPlanBody:
        return cls.model_construct(
            transaction_id=transaction_id,
            site_id=site_id,
            need_source=need.source if need is not None else None,
            energy_wh=need.energy_wh if need is not None else None,
            departure=need.departure if need is not None else None,
            charge_now=need.charge_now if need is not None else False,
            periods=[(p.start, p.limit_a) for p in plan.periods] if plan is not None else None,
            planned_energy_wh=plan.energy_wh if plan is not None else None,
            planned_cost=plan.planned_cost if plan is not None else None,
            cost_at_once=plan.cost_at_once if plan is not None else None,
            feasible=plan.feasible if plan is not None else None,
        )
