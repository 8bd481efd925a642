"""The cheapest feasible charging for a session with a known need (energy by a departure), on a price curve.

The time to departure is cut into slots (on the price periods' boundaries and every `slot_s`), so that each
slot has one price; the cheapest slots are filled first at the most the EVSE may take, until the energy is
met. Ties go to the earlier slot; slots without a price come after every priced one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from voltline.areas.load_management.model import PriceCurve

_CENTS = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class PlannedPeriod:
    start: datetime
    limit_a: float  # per phase


@dataclass(frozen=True, slots=True)
class ChargingPlan:
    periods: tuple[PlannedPeriod, ...]  # from now; the last lasts until departure
    energy_wh: float
    planned_cost: Decimal
    cost_at_once: Decimal
    feasible: bool
    unpriced_wh: float = 0.0

    def limit_at(self, at: datetime) -> float:
        limit = 0.0
        for period in self.periods:
            if period.start <= at:
                limit = period.limit_a
            else:
                break
        return limit


@dataclass(slots=True)
class _Slot:
    start: datetime
    end: datetime
    price: Decimal | None
    max_a: float
    limit_a: float = 0.0
    seconds_used: float = 0.0  # < the slot: the min_a remainder, then 0

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def _slots(now: datetime, departure: datetime, prices: PriceCurve, slot_s: int) -> list[tuple[datetime, datetime]]:
    cuts = {now, departure}
    epoch = int(now.timestamp()) // slot_s * slot_s + slot_s
    first = datetime.fromtimestamp(epoch, tz=now.tzinfo)
    at = first
    while at < departure:
        cuts.add(at)
        at += timedelta(seconds=slot_s)
    for period in prices.periods:
        for edge in (period.start, period.end):
            if now < edge < departure:
                cuts.add(edge)
    ordered = sorted(cuts)
    return list(itertools.pairwise(ordered))


def _wh(limit_a: float, seconds: float, phases: int, voltage_v: float) -> float:
    return limit_a * phases * voltage_v * seconds / 3600.0


def _cost(wh: float, price: Decimal | None) -> Decimal:
    if price is None:
        return Decimal(0)
    return Decimal(str(round(wh, 3))) / 1000 * price


def plan_cheapest(
    *,
    now: datetime,
    departure: datetime,
    energy_wh: float,
    max_a: float,
    min_a: float,
    phases: int,
    voltage_v: float,
    prices: PriceCurve,
    slot_s: int = 900,
    capacity_a: Callable[[datetime], float] | None = None,
) -> ChargingPlan:
    if now.tzinfo is None or departure.tzinfo is None:
        raise ValueError("now and departure: aware datetimes are required")
    slots = [
        _Slot(start, end, prices.price_at(start), min(max_a, capacity_a(start)) if capacity_a else max_a)
        for start, end in _slots(now, departure, prices, slot_s)
    ]
    if energy_wh <= 0 or not slots:
        return ChargingPlan((PlannedPeriod(now, 0.0),), 0.0, Decimal(0), Decimal(0), True)
    remaining = energy_wh
    order = sorted(range(len(slots)), key=lambda i: (slots[i].price is None, slots[i].price or 0, i))
    for index in order:
        if remaining <= 1e-9:
            break
        slot = slots[index]
        full = _wh(slot.max_a, slot.seconds, phases, voltage_v)
        if full <= 0:
            continue
        if full <= remaining:
            slot.limit_a, slot.seconds_used = slot.max_a, slot.seconds
            remaining -= full
            continue
        rate = remaining / (phases * voltage_v * slot.seconds / 3600.0)
        rate = int(rate * 10 + 1 - 1e-9) / 10.0  # rounded up to 0.1 A: the need is met
        if rate >= min_a:
            slot.limit_a, slot.seconds_used = min(rate, slot.max_a), slot.seconds
        else:  # less than the minimum for the whole slot: the minimum, for part of it
            slot.limit_a = min_a
            slot.seconds_used = remaining / (phases * voltage_v * min_a / 3600.0)
        remaining = 0.0
    periods: list[PlannedPeriod] = []
    cost = Decimal(0)
    delivered_wh = unpriced_wh = 0.0
    for slot in slots:
        steps = [(slot.start, slot.limit_a)]
        if 0 < slot.seconds_used < slot.seconds - 1e-6:
            steps.append((slot.start + timedelta(seconds=round(slot.seconds_used)), 0.0))
        for start, limit in steps:
            if not periods or periods[-1].limit_a != limit:
                periods.append(PlannedPeriod(start, limit))
        wh = _wh(slot.limit_a, slot.seconds_used, phases, voltage_v)
        delivered_wh += wh
        cost += _cost(wh, slot.price)
        if slot.price is None:
            unpriced_wh += wh
    # Charging at once: the slots in time order at their maximum until the need is met.
    at_once, left = Decimal(0), energy_wh
    for slot in slots:
        if left <= 1e-9:
            break
        wh = min(_wh(slot.max_a, slot.seconds, phases, voltage_v), left)
        at_once += _cost(wh, slot.price)
        left -= wh
    return ChargingPlan(
        periods=tuple(periods),
        energy_wh=round(delivered_wh, 1),
        planned_cost=cost.quantize(_CENTS, ROUND_HALF_UP),
        cost_at_once=at_once.quantize(_CENTS, ROUND_HALF_UP),
        feasible=remaining <= 1e-9,
        unpriced_wh=round(unpriced_wh, 1),
    )
