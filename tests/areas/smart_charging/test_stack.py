"""The composite schedule, case by case, in the manner of the examples of OCPP 1.6 §3.13 and 2.0.1 part K.

Times are UTC; T0 is a Monday midnight. Unless a case says otherwise the EVSE is 1, the supply 3 x 230 V
rated 32 A, and the window 24 h from T0 in amperes. Each case lists the exact periods expected as
(start offset, limit, number_phases).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from voltline.areas.smart_charging.model import (
    ChargingProfile,
    ChargingProfilePurpose,
    ChargingSchedule,
    ProfileKind,
    RateUnit,
    RecurrencyKind,
    SchedulePeriod,
)
from voltline.areas.smart_charging.stack import (
    ActiveTransaction,
    CompositePeriod,
    CompositeSchedule,
    Electrical,
    ScheduleDifference,
    composite_schedule,
    differences,
    to_unit,
)

T0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
H = 3600
DAY = 24 * H
A, W = RateUnit.AMPERES, RateUnit.WATTS
STATION_MAX = ChargingProfilePurpose.STATION_MAX
TX_DEFAULT = ChargingProfilePurpose.TX_DEFAULT
TX = ChargingProfilePurpose.TX
EXTERNAL = ChargingProfilePurpose.EXTERNAL_CONSTRAINTS
TRANSACTION = ActiveTransaction("tx-1", T0)

Period = tuple[int, float, int | None]


def profile(
    purpose: ChargingProfilePurpose,
    periods: list[tuple[int, float] | tuple[int, float, int]],
    *,
    level: int = 0,
    evse: int = 0,
    kind: ProfileKind = ProfileKind.ABSOLUTE,
    unit: RateUnit = A,
    start: datetime | None = T0,
    duration: int | None = None,
    recurrency: RecurrencyKind | None = None,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    transaction_id: str | None = None,
    profile_id: int = 1,
) -> ChargingProfile:
    schedule = ChargingSchedule(
        unit=unit,
        periods=tuple(SchedulePeriod(p[0], p[1], p[2] if len(p) > 2 else None) for p in periods),
        start=start,
        duration=duration,
    )
    return ChargingProfile(
        profile_id=profile_id,
        purpose=purpose,
        stack_level=level,
        kind=kind,
        schedules=(schedule,),
        evse_id=evse,
        recurrency=recurrency,
        valid_from=valid_from,
        valid_to=valid_to,
        transaction_id=transaction_id,
    )


@dataclass(frozen=True)
class Case:
    id: str
    profiles: list[ChargingProfile]
    expected: list[Period]
    evse: int = 1
    start: datetime = T0
    duration: int = DAY
    unit: RateUnit = A
    electrical: Electrical = field(default_factory=Electrical)
    transaction: ActiveTransaction | None = None


CASES = [
    Case("empty stack: the EVSE's rating", [], [(0, 32.0, None)]),
    Case("empty stack in watts: 32 A x 230 V x 3", [], [(0, 22080.0, None)], unit=W),
    Case(
        "empty stack on one phase in watts",
        [],
        [(0, 7360.0, None)],
        unit=W,
        electrical=Electrical(phases=1),
    ),
    Case(
        "higher stack level wins, and falls back when its duration ends",
        [
            profile(TX_DEFAULT, [(0, 16.0)], level=0),
            profile(TX_DEFAULT, [(0, 10.0)], level=1, duration=2 * H, profile_id=2),
        ],
        [(0, 10.0, None), (2 * H, 16.0, None)],
    ),
    Case(
        "higher stack level wins even with a higher limit",
        [
            profile(TX_DEFAULT, [(0, 10.0)], level=0),
            profile(TX_DEFAULT, [(0, 20.0), (H, 6.0)], level=3, start=T0 + timedelta(hours=4), duration=3 * H),
        ],
        [(0, 10.0, None), (4 * H, 20.0, None), (5 * H, 6.0, None), (7 * H, 10.0, None)],
    ),
    Case(
        "a higher level profile that starts later: the lower one until then",
        [
            profile(TX_DEFAULT, [(0, 16.0)], level=0),
            profile(TX_DEFAULT, [(0, 8.0)], level=1, start=T0 + timedelta(hours=20)),
        ],
        [(0, 16.0, None), (20 * H, 8.0, None)],
    ),
    Case(
        "TxProfile over TxDefaultProfile, whatever their stack levels",
        [
            profile(TX_DEFAULT, [(0, 16.0)], level=5),
            profile(TX, [(0, 8.0)], level=0, evse=1, kind=ProfileKind.RELATIVE, start=None, duration=H),
        ],
        [(0, 8.0, None), (H, 16.0, None)],
        transaction=TRANSACTION,
        duration=4 * H,
    ),
    Case(
        "TxProfile over TxDefaultProfile: relative to a transaction started at 00:30",
        [
            profile(TX_DEFAULT, [(0, 16.0)], level=5),
            profile(TX, [(0, 8.0)], level=0, evse=1, kind=ProfileKind.RELATIVE, start=None, duration=H),
        ],
        [(0, 16.0, None), (1800, 8.0, None), (5400, 16.0, None)],
        transaction=ActiveTransaction("tx-1", T0 + timedelta(minutes=30)),
    ),
    Case(
        "TxProfile of another transaction is ignored",
        [
            profile(TX_DEFAULT, [(0, 16.0)]),
            profile(TX, [(0, 6.0)], level=1, evse=1, transaction_id="tx-other"),
        ],
        [(0, 16.0, None)],
        transaction=TRANSACTION,
    ),
    Case(
        "TxProfile of this transaction applies",
        [
            profile(TX_DEFAULT, [(0, 16.0)]),
            profile(TX, [(0, 6.0)], level=1, evse=1, transaction_id="tx-1"),
        ],
        [(0, 6.0, None)],
        transaction=TRANSACTION,
    ),
    Case(
        "TxProfile without a transaction is ignored",
        [profile(TX_DEFAULT, [(0, 16.0)]), profile(TX, [(0, 6.0)], level=1, evse=1)],
        [(0, 16.0, None)],
    ),
    Case(
        "TxProfile on evse 0 is ignored (a TxProfile is about one EVSE's transaction)",
        [profile(TX_DEFAULT, [(0, 16.0)]), profile(TX, [(0, 6.0)], level=1, evse=0)],
        [(0, 16.0, None)],
        transaction=TRANSACTION,
    ),
    Case(
        "TxDefaultProfile of another EVSE is ignored",
        [profile(TX_DEFAULT, [(0, 16.0)], evse=2)],
        [(0, 32.0, None)],
    ),
    Case(
        "station max caps the TxDefaultProfile",
        [
            profile(STATION_MAX, [(0, 32.0), (8 * H, 20.0), (18 * H, 32.0)]),
            profile(TX_DEFAULT, [(0, 25.0)]),
        ],
        [(0, 25.0, None), (8 * H, 20.0, None), (18 * H, 25.0, None)],
    ),
    Case(
        "station max caps the TxProfile",
        [
            profile(STATION_MAX, [(0, 10.0)]),
            profile(TX, [(0, 16.0)], evse=1, kind=ProfileKind.RELATIVE, start=None),
        ],
        [(0, 10.0, None)],
        transaction=TRANSACTION,
    ),
    Case(
        "station max set on an EVSE is ignored (the specs allow it on evse 0 only)",
        [profile(STATION_MAX, [(0, 10.0)], evse=1)],
        [(0, 32.0, None)],
    ),
    Case(
        "station max above the rating: the rating",
        [profile(STATION_MAX, [(0, 63.0)])],
        [(0, 32.0, None)],
    ),
    Case(
        "station max, higher stack level wins",
        [
            profile(STATION_MAX, [(0, 20.0)], level=0),
            profile(STATION_MAX, [(0, 25.0)], level=1, duration=6 * H, profile_id=2),
        ],
        [(0, 25.0, None), (6 * H, 20.0, None)],
    ),
    Case(
        "external constraints cap as the station max does",
        [
            profile(EXTERNAL, [(0, 12.0)], evse=1, duration=2 * H),
            profile(STATION_MAX, [(0, 20.0)]),
            profile(TX_DEFAULT, [(0, 16.0)]),
        ],
        [(0, 12.0, None), (2 * H, 16.0, None)],
    ),
    Case(
        "external constraints: EVSE-specific beats evse 0 at equal stack level",
        [
            profile(EXTERNAL, [(0, 10.0)], level=1, evse=0),
            profile(EXTERNAL, [(0, 20.0)], level=1, evse=1, profile_id=2),
        ],
        [(0, 20.0, None)],
    ),
    Case(
        "external constraints of another EVSE are ignored",
        [profile(EXTERNAL, [(0, 10.0)], evse=2)],
        [(0, 32.0, None)],
    ),
    Case(
        "evse 0: only the station max and the external constraints count",
        [
            profile(STATION_MAX, [(0, 30.0), (H, 28.0)]),
            profile(EXTERNAL, [(0, 29.0)], duration=3 * H),
            profile(TX_DEFAULT, [(0, 6.0)]),
            profile(TX, [(0, 6.0)], evse=1),
        ],
        [(0, 29.0, None), (H, 28.0, None)],
        evse=0,
        transaction=TRANSACTION,
    ),
    Case(
        "recurring daily across midnight",
        [
            profile(
                TX_DEFAULT,
                [(0, 10.0), (6 * H, 16.0), (22 * H, 8.0)],
                kind=ProfileKind.RECURRING,
                recurrency=RecurrencyKind.DAILY,
                start=datetime(2025, 1, 1, tzinfo=UTC),
            )
        ],
        [(0, 16.0, None), (2 * H, 8.0, None), (4 * H, 10.0, None), (10 * H, 16.0, None)],
        start=T0 + timedelta(hours=20),
        duration=12 * H,
    ),
    Case(
        "recurring daily with a duration: off for the rest of each day",
        [
            profile(STATION_MAX, [(0, 16.0)]),
            profile(
                TX_DEFAULT,
                [(0, 6.0)],
                kind=ProfileKind.RECURRING,
                recurrency=RecurrencyKind.DAILY,
                start=T0 - timedelta(days=3, hours=6),  # 18:00
                duration=8 * H,
            ),
        ],
        [(0, 6.0, None), (2 * H, 16.0, None), (18 * H, 6.0, None)],
    ),
    Case(
        "recurring daily with a duration over a day: each day starts afresh",
        [
            profile(
                TX_DEFAULT,
                [(0, 6.0), (20 * H, 16.0)],
                kind=ProfileKind.RECURRING,
                recurrency=RecurrencyKind.DAILY,
                duration=2 * DAY,
            )
        ],
        [(0, 6.0, None), (20 * H, 16.0, None), (DAY, 6.0, None), (DAY + 20 * H, 16.0, None)],
        duration=2 * DAY,
    ),
    Case(
        "recurring daily anchored after the window: it recurs backwards too",
        [
            profile(
                TX_DEFAULT,
                [(0, 6.0), (H, 12.0)],
                kind=ProfileKind.RECURRING,
                recurrency=RecurrencyKind.DAILY,
                start=T0 + timedelta(days=10, hours=12),
            )
        ],
        [(0, 12.0, None), (12 * H, 6.0, None), (13 * H, 12.0, None)],
    ),
    Case(
        "recurring weekly: the weekend limit from Saturday 00:00",
        [
            profile(
                TX_DEFAULT,
                [(0, 32.0), (5 * DAY, 16.0)],
                kind=ProfileKind.RECURRING,
                recurrency=RecurrencyKind.WEEKLY,
                start=T0 - timedelta(weeks=6),
            )
        ],
        [(0, 32.0, None), (12 * H, 16.0, None)],
        start=T0 + timedelta(days=4, hours=12),  # Friday noon
    ),
    Case(
        "recurring weekly: back to the weekday limit on Monday 00:00",
        [
            profile(
                TX_DEFAULT,
                [(0, 32.0), (5 * DAY, 16.0)],
                kind=ProfileKind.RECURRING,
                recurrency=RecurrencyKind.WEEKLY,
                start=T0,
            )
        ],
        [(0, 16.0, None), (12 * H, 32.0, None)],
        start=T0 + timedelta(days=6, hours=12),  # Sunday noon
    ),
    Case(
        "relative to a transaction started before the window",
        [
            profile(
                TX,
                [(0, 6.0), (600, 16.0)],
                evse=1,
                kind=ProfileKind.RELATIVE,
                start=None,
                duration=H,
            )
        ],
        [(0, 6.0, None), (300, 16.0, None), (3300, 32.0, None)],
        transaction=ActiveTransaction("tx-1", T0 - timedelta(minutes=5)),
    ),
    Case(
        "relative TxDefaultProfile without a transaction: from the window start",
        [profile(TX_DEFAULT, [(0, 6.0), (900, 10.0)], kind=ProfileKind.RELATIVE, start=None, duration=H)],
        [(0, 6.0, None), (900, 10.0, None), (H, 32.0, None)],
        start=T0 + timedelta(hours=7),
    ),
    Case(
        "absolute without a start schedule: from the window start",
        [profile(TX_DEFAULT, [(0, 6.0), (900, 10.0)], start=None)],
        [(0, 6.0, None), (900, 10.0, None)],
        start=T0 + timedelta(hours=7),
    ),
    Case(
        "watts into amperes on 3 phases: 11,040 W is 16 A",
        [profile(TX_DEFAULT, [(0, 11040.0)], unit=W)],
        [(0, 16.0, None)],
    ),
    Case(
        "watts into amperes on 1 phase: 3,680 W is 16 A",
        [profile(TX_DEFAULT, [(0, 3680.0, 1)], unit=W)],
        [(0, 16.0, 1)],
    ),
    Case(
        "amperes into watts on 3 phases: 16 A is 11,040 W",
        [profile(TX_DEFAULT, [(0, 16.0, 3)])],
        [(0, 11040.0, 3)],
        unit=W,
    ),
    Case(
        "amperes into watts on 1 phase: 16 A is 3,680 W",
        [profile(TX_DEFAULT, [(0, 16.0, 1)])],
        [(0, 3680.0, 1)],
        unit=W,
    ),
    Case(
        "number_phases absent: the EVSE's phases (a single-phase EVSE)",
        [profile(TX_DEFAULT, [(0, 3680.0)], unit=W)],
        [(0, 16.0, None)],
        electrical=Electrical(phases=1),
    ),
    Case(
        "in watts, one phase at 20 A is less than three at 10 A: the single phase sets the limit",
        [
            profile(STATION_MAX, [(0, 10.0, 3)]),
            profile(TX_DEFAULT, [(0, 20.0, 1)]),
        ],
        [(0, 4600.0, 1)],
        unit=W,
    ),
    Case(
        "equal limits: the one on fewer phases is reported",
        [profile(STATION_MAX, [(0, 16.0, 3)]), profile(TX_DEFAULT, [(0, 16.0, 1)])],
        [(0, 16.0, 1)],
    ),
    Case(
        "equal limits: the one on fewer phases is reported, whichever layer it comes from",
        [profile(STATION_MAX, [(0, 16.0, 1)]), profile(TX_DEFAULT, [(0, 16.0, 3)])],
        [(0, 16.0, 1)],
    ),
    Case(
        "equal to the rating: the profile's phases are reported",
        [profile(TX_DEFAULT, [(0, 32.0, 3)])],
        [(0, 32.0, 3)],
    ),
    Case(
        "rounded to one decimal: 10,000 W on 3 phases",
        [profile(TX_DEFAULT, [(0, 10000.0)], unit=W)],
        [(0, 14.5, None)],
    ),
    Case(
        "validity ending mid-window: the lower level from then on",
        [
            profile(TX_DEFAULT, [(0, 16.0)], level=0),
            profile(TX_DEFAULT, [(0, 10.0)], level=1, valid_to=T0 + timedelta(hours=2), profile_id=2),
        ],
        [(0, 10.0, None), (2 * H, 16.0, None)],
    ),
    Case(
        "validity starting mid-window",
        [profile(TX_DEFAULT, [(0, 10.0)], valid_from=T0 + timedelta(hours=5))],
        [(0, 32.0, None), (5 * H, 10.0, None)],
    ),
    Case(
        "validity over before the window",
        [profile(TX_DEFAULT, [(0, 10.0)], valid_to=T0)],
        [(0, 32.0, None)],
    ),
    Case(
        "EVSE-specific beats evse 0 at equal stack level, even when higher",
        [
            profile(TX_DEFAULT, [(0, 16.0)], level=2, evse=0),
            profile(TX_DEFAULT, [(0, 20.0)], level=2, evse=1, profile_id=2),
        ],
        [(0, 20.0, None)],
    ),
    Case(
        "equal purpose, level and EVSE (the specs do not allow it): the lower limit",
        [
            profile(TX_DEFAULT, [(0, 16.0)], level=1),
            profile(TX_DEFAULT, [(0, 20.0), (H, 12.0)], level=1, profile_id=2),
        ],
        [(0, 16.0, None), (H, 12.0, None)],
    ),
    Case(
        "evse 0 at a higher stack level beats the EVSE-specific one",
        [
            profile(TX_DEFAULT, [(0, 16.0)], level=3, evse=0),
            profile(TX_DEFAULT, [(0, 20.0)], level=2, evse=1, profile_id=2),
        ],
        [(0, 16.0, None)],
    ),
    Case(
        "adjacent equal periods are merged",
        [profile(TX_DEFAULT, [(0, 16.0), (H, 16.0), (2 * H, 10.0)]), profile(STATION_MAX, [(0, 20.0), (H, 18.0)])],
        [(0, 16.0, None), (2 * H, 10.0, None)],
    ),
    Case(
        "a schedule starting within a second: its breakpoint at the next whole second",
        [profile(TX_DEFAULT, [(0, 16.0)], start=T0 + timedelta(microseconds=500_000))],
        [(0, 32.0, None), (1, 16.0, None)],
    ),
    Case(
        "a first period not at offset 0: nothing before it",
        [profile(TX_DEFAULT, [(600, 16.0)])],
        [(0, 32.0, None), (600, 16.0, None)],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_composite_schedule(case: Case) -> None:
    schedule = composite_schedule(
        case.profiles,
        evse_id=case.evse,
        start=case.start,
        duration=case.duration,
        unit=case.unit,
        electrical=case.electrical,
        transaction=case.transaction,
    )
    assert [(p.start_offset, p.limit, p.number_phases) for p in schedule.periods] == case.expected
    assert (schedule.evse_id, schedule.start, schedule.duration, schedule.unit) == (
        case.evse,
        case.start,
        case.duration,
        case.unit,
    )


def test_profiles_may_come_in_any_order_and_any_iterable() -> None:
    stack = [
        profile(STATION_MAX, [(0, 20.0)]),
        profile(TX_DEFAULT, [(0, 16.0)], level=0),
        profile(TX_DEFAULT, [(0, 10.0)], level=1, duration=2 * H, profile_id=2),
    ]
    forward = composite_schedule(stack, evse_id=1, start=T0, duration=DAY, unit=A)
    backward = composite_schedule(iter(reversed(stack)), evse_id=1, start=T0, duration=DAY, unit=A)
    assert forward == backward


def test_limit_at() -> None:
    schedule = composite_schedule(
        [profile(TX_DEFAULT, [(0, 10.0)], duration=2 * H)], evse_id=1, start=T0, duration=DAY, unit=A
    )
    assert schedule.limit_at(T0) == 10.0
    assert schedule.limit_at(T0 + timedelta(seconds=2 * H - 1)) == 10.0
    assert schedule.limit_at(T0 + timedelta(hours=2)) == 32.0
    assert schedule.limit_at(T0 + timedelta(seconds=DAY - 1)) == 32.0
    for outside in (T0 - timedelta(seconds=1), T0 + timedelta(days=1)):
        with pytest.raises(ValueError):
            schedule.limit_at(outside)


def test_a_naive_start_or_an_empty_window_is_refused() -> None:
    with pytest.raises(ValueError):
        composite_schedule([], evse_id=1, start=datetime(2026, 3, 2), duration=DAY, unit=A)
    with pytest.raises(ValueError):
        composite_schedule([], evse_id=1, start=T0, duration=0, unit=A)


@pytest.mark.parametrize(
    ("limit", "source", "target", "phases", "expected"),
    [
        (16.0, A, W, 3, 11040.0),
        (16.0, A, W, 1, 3680.0),
        (16.0, A, W, None, 11040.0),
        (11040.0, W, A, 3, 16.0),
        (3680.0, W, A, 1, 16.0),
        (11040.0, W, A, None, 16.0),
        (7.5, A, A, 1, 7.5),
        (7400.0, W, W, 1, 7400.0),
    ],
    ids=["A->W 3ph", "A->W 1ph", "A->W default 3ph", "W->A 3ph", "W->A 1ph", "W->A default 3ph", "A->A", "W->W"],
)
def test_to_unit(limit: float, source: RateUnit, target: RateUnit, phases: int | None, expected: float) -> None:
    assert to_unit(limit, source, target, phases, 230.0) == pytest.approx(expected)


def schedule(
    periods: list[Period], *, unit: RateUnit = A, start: datetime = T0, duration: int = DAY
) -> CompositeSchedule:
    return CompositeSchedule(1, start, duration, unit, tuple(CompositePeriod(*p) for p in periods))


DIFFERENCE_CASES = [
    pytest.param(
        schedule([(0, 16.0, None), (H, 10.0, None)]),
        schedule([(0, 16.0, None), (H, 10.0, None)]),
        0.1,
        [],
        id="the same schedule",
    ),
    pytest.param(
        schedule([(0, 16.0, None), (H, 10.0, None)]),
        schedule([(0, 16.0, None), (2 * H, 10.0, None)]),
        0.1,
        [(H, 2 * H, 10.0, 16.0)],
        id="their step an hour late",
    ),
    pytest.param(
        schedule([(0, 16.0, None)]),
        schedule([(0, 11040.0, None)], unit=W),
        0.1,
        [],
        id="theirs in watts, the same limit",
    ),
    pytest.param(
        schedule([(0, 16.0, None)]),
        schedule([(0, 3680.0, 1), (H, 3680.0, None)], unit=W),
        0.1,
        [(H, DAY, 16.0, 5.333333333333333)],
        id="theirs in watts: one phase, then (by the default of three phases) a third",
    ),
    pytest.param(
        schedule([(0, 16.0, None)]),
        schedule([(0, 16.1, None), (H, 16.2, None)]),
        0.1,
        [(H, DAY, 16.0, 16.2)],
        id="a difference of exactly the tolerance is none",
    ),
    pytest.param(
        schedule([(0, 16.0, None)]),
        schedule([(0, 16.2, None)]),
        0.5,
        [],
        id="a wider tolerance",
    ),
    pytest.param(
        schedule([(0, 16.0, None), (H, 10.0, None), (2 * H, 16.0, None)]),
        schedule([(0, 6.0, None), (30, 6.0, 1), (1800, 8.0, None)]),
        0.1,
        [(0, 1800, 16.0, 6.0), (1800, H, 16.0, 8.0), (H, 2 * H, 10.0, 8.0), (2 * H, DAY, 16.0, 8.0)],
        id="merged where both values stay, split where one changes",
    ),
    pytest.param(
        schedule([(0, 16.0, None), (H, 10.0, None)]),
        schedule([(0, 10.0, None)], start=T0 + timedelta(seconds=2), duration=H),
        0.1,
        [(2, H, 16.0, 10.0)],
        id="theirs starts 2 s later and is shorter: only the common time is compared",
    ),
    pytest.param(
        schedule([(0, 16.0, None)]),
        schedule([(0, 10.0, None)], start=T0 + timedelta(days=2)),
        0.1,
        [],
        id="no common time",
    ),
]


@pytest.mark.parametrize(("ours", "theirs", "tolerance", "expected"), DIFFERENCE_CASES)
def test_differences(
    ours: CompositeSchedule,
    theirs: CompositeSchedule,
    tolerance: float,
    expected: list[tuple[int, int, float, float]],
) -> None:
    assert differences(ours, theirs, tolerance) == tuple(ScheduleDifference(*d) for d in expected)


def test_differences_convert_with_the_given_supply() -> None:
    ours = schedule([(0, 16.0, None)])
    theirs = schedule([(0, 3680.0, None)], unit=W)
    assert differences(ours, theirs, electrical=Electrical(phases=1)) == ()
    assert differences(ours, theirs) == (ScheduleDifference(0, DAY, 16.0, 3680.0 / 690.0),)


def test_differences_of_a_composite_against_the_stations_answer_in_watts() -> None:
    stack = [profile(STATION_MAX, [(0, 20.0)]), profile(TX_DEFAULT, [(0, 16.0), (6 * H, 25.0)])]
    ours = composite_schedule(stack, evse_id=1, start=T0, duration=12 * H, unit=A)
    theirs = composite_schedule(stack, evse_id=1, start=T0, duration=12 * H, unit=W)
    assert differences(ours, theirs) == ()
    wrong = schedule([(0, 11040.0, None)], unit=W, duration=12 * H)
    assert differences(ours, wrong) == (ScheduleDifference(6 * H, 12 * H, 20.0, 16.0),)
