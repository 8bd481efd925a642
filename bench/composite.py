"""What computing composite schedules costs: 10,000 EVSEs with 3 profiles each, a 24 h window, one core.

The case this is for: a station max profile (or a grid limit) changes and every EVSE's composite schedule
is recomputed. Each EVSE has a station max profile (absolute, three periods), a TxDefaultProfile (daily
recurring, four periods, crossing midnight within the window) and a TxProfile of its running transaction
(relative to the transaction's start, three periods, in watts so that conversion is part of the work).
Figures vary by EVSE so that no two calls compute the same thing. The profiles are built beforehand: only
`composite_schedule` is timed, the best of a few rounds (the run least disturbed by other processes).

    .venv/bin/python -m bench.composite [--evses 10000] [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from voltline.areas.smart_charging.model import (
    ChargingProfile,
    ChargingProfilePurpose,
    ChargingSchedule,
    ProfileKind,
    RateUnit,
    RecurrencyKind,
    SchedulePeriod,
)
from voltline.areas.smart_charging.stack import ActiveTransaction, Electrical, composite_schedule

WINDOW_START = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
WINDOW = 24 * 3600
EVSES_PER_STATION = 4


@dataclass(slots=True, frozen=True)
class Evse:
    evse_id: int
    profiles: tuple[ChargingProfile, ...]
    transaction: ActiveTransaction


def build(evses: int) -> list[Evse]:
    """`evses` EVSEs, EVSES_PER_STATION to a station (the station max profile is shared by a station's EVSEs)."""
    out: list[Evse] = []
    station_max: ChargingProfile | None = None
    for n in range(evses):
        evse_id = n % EVSES_PER_STATION + 1
        if evse_id == 1:
            station_max = ChargingProfile(
                profile_id=1,
                purpose=ChargingProfilePurpose.STATION_MAX,
                stack_level=0,
                kind=ProfileKind.ABSOLUTE,
                schedules=(
                    ChargingSchedule(
                        unit=RateUnit.AMPERES,
                        start=WINDOW_START - timedelta(hours=1),
                        periods=(
                            SchedulePeriod(0, 63.0),
                            SchedulePeriod(3 * 3600, 40.0 + n % 20),
                            SchedulePeriod(12 * 3600, 63.0),
                        ),
                    ),
                ),
            )
        assert station_max is not None
        tx_default = ChargingProfile(
            profile_id=2,
            purpose=ChargingProfilePurpose.TX_DEFAULT,
            stack_level=0,
            kind=ProfileKind.RECURRING,
            recurrency=RecurrencyKind.DAILY,
            evse_id=evse_id if n % 2 else 0,
            schedules=(
                ChargingSchedule(
                    unit=RateUnit.AMPERES,
                    start=datetime(2026, 1, 1, tzinfo=UTC),
                    periods=(
                        SchedulePeriod(0, 32.0),
                        SchedulePeriod(7 * 3600, 16.0 + n % 8),
                        SchedulePeriod(17 * 3600, 10.0),
                        SchedulePeriod(21 * 3600, 32.0),
                    ),
                ),
            ),
        )
        started = WINDOW_START - timedelta(minutes=n % 90)
        tx = ChargingProfile(
            profile_id=3,
            purpose=ChargingProfilePurpose.TX,
            stack_level=1,
            kind=ProfileKind.RELATIVE,
            evse_id=evse_id,
            transaction_id=f"tx-{n}",
            schedules=(
                ChargingSchedule(
                    unit=RateUnit.WATTS,
                    duration=8 * 3600,
                    periods=(
                        SchedulePeriod(0, 11_000.0),
                        SchedulePeriod(3600 + n % 600, 7_400.0, number_phases=1),
                        SchedulePeriod(4 * 3600, 22_000.0),
                    ),
                ),
            ),
        )
        out.append(Evse(evse_id, (station_max, tx_default, tx), ActiveTransaction(f"tx-{n}", started)))
    return out


def run_once(fleet: list[Evse]) -> tuple[float, int]:
    """Seconds for one composite per EVSE, and the periods computed (so the work cannot be skipped)."""
    electrical = Electrical(phases=3, voltage_v=230.0, max_current_a=32.0)
    periods = 0
    began = time.perf_counter()
    for evse in fleet:
        schedule = composite_schedule(
            evse.profiles,
            evse_id=evse.evse_id,
            start=WINDOW_START,
            duration=WINDOW,
            unit=RateUnit.AMPERES,
            electrical=electrical,
            transaction=evse.transaction,
        )
        periods += len(schedule.periods)
    return time.perf_counter() - began, periods


def measure(evses: int = 10_000, rounds: int = 5) -> dict[str, Any]:
    fleet = build(evses)
    run_once(fleet[: max(1, evses // 10)])  # warm-up
    best = float("inf")
    periods = 0
    for _ in range(rounds):
        seconds, periods = run_once(fleet)
        best = min(best, seconds)
    return {
        "evses": evses,
        "profiles_per_evse": 3,
        "window_s": WINDOW,
        "rounds": rounds,
        "seconds": best,
        "us_per_evse": best / evses * 1e6,
        "periods_per_evse": periods / evses,
    }


def summary(result: dict[str, Any]) -> str:
    return (
        f"composite schedule for {result['evses']:,} EVSEs with 3 profiles each (24 h window): "
        f"{result['seconds']:.3f} s total, {result['us_per_evse']:.1f} µs per EVSE "
        f"({result['periods_per_evse']:.1f} periods each, best of {result['rounds']})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--evses", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="the figures as JSON on stdout")
    args = parser.parse_args(argv)
    result = measure(args.evses, args.rounds)
    if args.json:
        print(json.dumps(result))
        return
    print(summary(result))


if __name__ == "__main__":
    main()
