"""The cheapest plan: the need met by departure, in the cheapest slots, costing no more than charging at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from voltline.areas.load_management.model import PriceCurve, PricePeriod
from voltline.areas.load_management.planning import plan_cheapest

NOW = datetime(2026, 12, 6, 18, tzinfo=UTC)


def hourly(*prices: str) -> PriceCurve:
    return PriceCurve(
        "EUR",
        tuple(
            PricePeriod(NOW + timedelta(hours=h), NOW + timedelta(hours=h + 1), Decimal(p))
            for h, p in enumerate(prices)
        ),
    )


def energy_of(plan_periods: tuple, departure: datetime, phases: int = 3, voltage_v: float = 230) -> float:
    wh = 0.0
    for period, following in zip(plan_periods, [*plan_periods[1:], None], strict=True):
        end = following.start if following else departure
        wh += period.limit_a * phases * voltage_v * (end - period.start).total_seconds() / 3600
    return wh


def test_twenty_kwh_in_six_hours_go_in_the_cheapest_hours() -> None:
    prices = hourly("0.40", "0.35", "0.10", "0.12", "0.30", "0.45")  # 18:00 .. 24:00
    departure = NOW + timedelta(hours=6)
    plan = plan_cheapest(
        now=NOW, departure=departure, energy_wh=20_000, max_a=16, min_a=6, phases=3, voltage_v=230, prices=prices
    )
    assert plan.feasible
    assert abs(energy_of(plan.periods, departure) - 20_000) < 3 * 230 * 0.1  # met, rounded up to 0.1 A
    # 16 A on three phases is 11.04 kWh an hour: the two cheapest hours (20:00, 21:00) carry it.
    assert plan.limit_at(NOW + timedelta(hours=2, minutes=30)) == 16
    assert plan.limit_at(NOW + timedelta(hours=3, minutes=30)) > 0
    assert plan.limit_at(NOW + timedelta(minutes=30)) == 0
    assert plan.limit_at(NOW + timedelta(hours=5, minutes=30)) == 0
    assert plan.planned_cost < plan.cost_at_once


def test_a_need_that_cannot_be_met_is_flagged_and_gets_everything() -> None:
    departure = NOW + timedelta(hours=1)
    plan = plan_cheapest(
        now=NOW, departure=departure, energy_wh=50_000, max_a=16, min_a=6, phases=3, voltage_v=230, prices=hourly("0.2")
    )
    assert not plan.feasible
    assert plan.limit_at(NOW) == 16


def test_no_need_plans_nothing() -> None:
    plan = plan_cheapest(
        now=NOW,
        departure=NOW + timedelta(hours=4),
        energy_wh=0,
        max_a=16,
        min_a=6,
        phases=1,
        voltage_v=230,
        prices=hourly("0.2"),
    )
    assert plan.limit_at(NOW + timedelta(hours=1)) == 0 and plan.planned_cost == 0
