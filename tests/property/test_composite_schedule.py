"""Property test of the composite schedule (voltline.areas.smart_charging.stack) against a brute force.

For random profile stacks (every purpose, stack levels, kinds, units, phases, validity, EVSEs and
transactions), the composite must be a well-formed schedule over its whole window, never exceed the
station max profile or the EVSE's rating, and agree at sampled instants with `brute_force` below: an
evaluation of one instant straight from the rules of OCPP 1.6 §3.13 / 2.0.1 K, written with datetime
arithmetic and without any of the sweep's machinery.

Instants are whole seconds from the window start (the composite's resolution); schedule starts and
validity bounds are sometimes a fraction of a second off, to check breakpoints land on the next second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

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
    CompositeSchedule,
    Electrical,
    composite_schedule,
)

T = TypeVar("T")
T0 = datetime(2026, 3, 2, tzinfo=UTC)
DAY = 86_400
STATION_MAX = ChargingProfilePurpose.STATION_MAX
EXTERNAL = ChargingProfilePurpose.EXTERNAL_CONSTRAINTS
TX_DEFAULT, TX = ChargingProfilePurpose.TX_DEFAULT, ChargingProfilePurpose.TX
# the composite rounds to one decimal; the brute force converts in its own order of float operations
ROUNDING = 0.05 + 1e-6


@dataclass(frozen=True)
class Stack:
    profiles: list[ChargingProfile]
    evse_id: int
    start: datetime
    duration: int
    unit: RateUnit
    electrical: Electrical
    transaction: ActiveTransaction | None


def moments(start: datetime, before: int, after: int) -> st.SearchStrategy[datetime]:
    """Instants near `start`, mostly whole seconds, now and then a fraction of a second off."""
    return st.builds(
        lambda seconds, micro: start + timedelta(seconds=seconds, microseconds=micro),
        st.integers(-before, after),
        st.sampled_from([0, 0, 0, 250_000, 999_999]),
    )


@st.composite
def periods(draw: st.DrawFn, unit: RateUnit) -> tuple[SchedulePeriod, ...]:
    count = draw(st.integers(1, 4))
    offset = draw(st.sampled_from([0, 0, 0, 600]))
    out = []
    for _ in range(count):
        # mostly below the rating, so that the profiles rather than the rating shape the composite
        if unit is RateUnit.AMPERES:
            limit = draw(st.integers(0, 400) | st.sampled_from([60, 100, 160, 200, 320])) / 10
        else:
            limit = float(draw(st.integers(0, 250) | st.sampled_from([37, 74, 110, 220])) * 100)
        phases = draw(st.sampled_from([None, None, 1, 2, 3]))
        out.append(SchedulePeriod(offset, limit, phases))
        offset += draw(st.sampled_from([1800, 3 * 3600, 7 * 3600]) | st.integers(1, 12 * 3600))
    return tuple(out)


def mostly(usual: st.SearchStrategy[T], rare: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """`usual` three times in four (and in hypothesis' simplest examples), `rare` otherwise."""
    return st.integers(0, 3).flatmap(lambda n: rare if n == 3 else usual)


@st.composite
def profiles(draw: st.DrawFn, start: datetime, profile_id: int) -> ChargingProfile:
    kind = draw(st.sampled_from(list(ProfileKind)))
    unit = draw(st.sampled_from(list(RateUnit)))
    # weighted towards the transaction layer, where most of the ranking happens
    purpose = draw(st.sampled_from([TX_DEFAULT, TX, STATION_MAX, EXTERNAL, TX_DEFAULT, TX]))
    # a station max profile now and then on an EVSE, where it does not count
    evse = draw(st.sampled_from([0, 0, 0, 1] if purpose is STATION_MAX else [0, 0, 1, 1, 1, 2]))
    # mostly around the window, else absent or well before it
    schedule_start = draw(mostly(moments(start, DAY, DAY), st.none() | moments(start, 15 * DAY, DAY)))
    schedule = ChargingSchedule(
        unit=unit,
        periods=draw(periods(unit)),
        start=schedule_start,
        duration=draw(mostly(st.none() | st.sampled_from([8 * 3600, 30 * 3600]), st.integers(1, 2 * DAY))),
    )
    return ChargingProfile(
        profile_id=profile_id,
        purpose=purpose,
        stack_level=draw(mostly(st.integers(0, 1), st.integers(0, 3))),  # ties are common
        kind=kind,
        schedules=(schedule,),
        evse_id=evse,
        recurrency=draw(st.sampled_from(list(RecurrencyKind))) if kind is ProfileKind.RECURRING else None,
        valid_from=draw(mostly(st.none(), moments(start, DAY, 2 * DAY))),
        valid_to=draw(mostly(st.none(), moments(start, 0, 3 * DAY))),
        transaction_id=draw(st.sampled_from([None, None, "tx-1", "tx-2"])),
    )


@st.composite
def stacks(draw: st.DrawFn) -> Stack:
    start = T0 + timedelta(seconds=draw(st.integers(0, 14 * DAY)))
    count = draw(mostly(st.integers(2, 6), st.integers(0, 1)))
    transaction = draw(mostly(st.builds(lambda at: ActiveTransaction("tx-1", at), moments(start, DAY, DAY)), st.none()))
    return Stack(
        profiles=[draw(profiles(start, n + 1)) for n in range(count)],
        evse_id=draw(st.sampled_from([0, 1, 1, 1])),
        start=start,
        duration=draw(mostly(st.sampled_from([DAY, 2 * DAY, 6 * 3600]), st.integers(1, 2 * DAY))),
        unit=draw(st.sampled_from(list(RateUnit))),
        electrical=Electrical(
            phases=draw(st.sampled_from([1, 3])),
            voltage_v=draw(st.sampled_from([230.0, 120.0])),
            max_current_a=draw(st.sampled_from([32.0, 63.0, 16.0])),
        ),
        transaction=transaction,
    )


# -- the brute force -------------------------------------------------------------------------------------------------


def convert(limit: float, source: RateUnit, target: RateUnit, phases: int, voltage: float) -> float:
    if source == target:
        return limit
    if target == RateUnit.WATTS:
        return limit * voltage * phases
    return limit / voltage / phases


def in_force(profile: ChargingProfile, at: datetime, stack: Stack) -> float | None:
    """The limit of `profile` at `at`, in the stack's unit, or None where it does not apply."""
    if profile.valid_from is not None and at < profile.valid_from:
        return None
    if profile.valid_to is not None and at >= profile.valid_to:
        return None
    schedule = profile.schedules[0]
    if profile.kind == ProfileKind.RELATIVE:
        anchor = stack.transaction.started_at if stack.transaction is not None else stack.start
    else:
        anchor = schedule.start if schedule.start is not None else stack.start
    if profile.kind == ProfileKind.RECURRING:
        cycle = timedelta(weeks=1) if profile.recurrency == RecurrencyKind.WEEKLY else timedelta(days=1)
        offset = (at - anchor) % cycle
    else:
        offset = at - anchor
        if offset < timedelta(0):
            return None
    if schedule.duration is not None and offset >= timedelta(seconds=schedule.duration):
        return None
    started = [p for p in schedule.periods if timedelta(seconds=p.start_offset) <= offset]
    if not started:
        return None
    period = started[-1]
    phases = period.number_phases or stack.electrical.phases
    return convert(period.limit, schedule.unit, stack.unit, phases, stack.electrical.voltage_v)


def counts(profile: ChargingProfile, stack: Stack) -> bool:
    """Whether `profile` takes part in the stack's EVSE's composite at all."""
    purpose, evse = profile.purpose, profile.evse_id
    if purpose == ChargingProfilePurpose.STATION_MAX:
        return evse == 0
    if purpose == ChargingProfilePurpose.EXTERNAL_CONSTRAINTS:
        return evse in (0, stack.evse_id)
    if stack.evse_id == 0:
        return False
    if purpose == ChargingProfilePurpose.TX_DEFAULT:
        return evse in (0, stack.evse_id)
    return (
        stack.transaction is not None
        and evse == stack.evse_id
        and profile.transaction_id in (None, stack.transaction.transaction_id)
    )


def winner(stack: Stack, purpose: ChargingProfilePurpose, at: datetime) -> float | None:
    """The limit of the purpose's best profile at `at`: highest level, then EVSE-specific, then lowest."""
    best: tuple[int, int, float] | None = None
    for profile in stack.profiles:
        if profile.purpose != purpose or not counts(profile, stack):
            continue
        limit = in_force(profile, at, stack)
        if limit is None:
            continue
        key = (profile.stack_level, 1 if profile.evse_id else 0, -limit)
        if best is None or key > best:
            best = key
    return None if best is None else -best[2]


def ceiling(stack: Stack) -> float:
    e = stack.electrical
    return convert(e.max_current_a, RateUnit.AMPERES, stack.unit, e.phases, e.voltage_v)


def brute_force(stack: Stack, at: datetime) -> float:
    tx = winner(stack, ChargingProfilePurpose.TX, at)
    if tx is None:
        tx = winner(stack, ChargingProfilePurpose.TX_DEFAULT, at)
    caps = [
        tx,
        winner(stack, ChargingProfilePurpose.STATION_MAX, at),
        winner(stack, ChargingProfilePurpose.EXTERNAL_CONSTRAINTS, at),
    ]
    return min([ceiling(stack), *(c for c in caps if c is not None)])


def compute(stack: Stack) -> CompositeSchedule:
    return composite_schedule(
        stack.profiles,
        evse_id=stack.evse_id,
        start=stack.start,
        duration=stack.duration,
        unit=stack.unit,
        electrical=stack.electrical,
        transaction=stack.transaction,
    )


# -- the properties --------------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None, derandomize=True)
@given(stacks(), st.lists(st.floats(0, 1, exclude_max=True), max_size=12))
def test_composite_schedule_is_well_formed_capped_and_agrees_with_brute_force(
    stack: Stack, fractions: list[float]
) -> None:
    schedule = compute(stack)
    offsets = [p.start_offset for p in schedule.periods]
    # defined for every instant of the window
    assert offsets[0] == 0
    assert all(a < b for a, b in pairwise(offsets))
    assert offsets[-1] < stack.duration
    keys = [(p.limit, p.number_phases) for p in schedule.periods]
    assert all(a != b for a, b in pairwise(keys)), "adjacent equal periods not merged"
    # never above the rating, nor the station max profile in force at a period's start
    for period in schedule.periods:
        assert period.limit <= ceiling(stack) + ROUNDING
        at = stack.start + timedelta(seconds=period.start_offset)
        station_max = winner(stack, ChargingProfilePurpose.STATION_MAX, at)
        if station_max is not None:
            assert period.limit <= station_max + ROUNDING
    # the same as the brute force at each period's first and last second, and at random instants
    sampled = {int(f * stack.duration) for f in fractions} | {stack.duration - 1}
    for offset in offsets:
        sampled |= {offset, max(offset - 1, 0)}
    for offset in sorted(sampled):
        at = stack.start + timedelta(seconds=offset)
        expected = brute_force(stack, at)
        assert abs(schedule.limit_at(at) - expected) <= ROUNDING, f"at offset {offset}: expected {expected}"
