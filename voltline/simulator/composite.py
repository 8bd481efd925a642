"""The simulated station's own composite schedule: what one EVSE may draw at each second, from the charging
profiles installed on the station (OCPP 1.6 §3.13 "Smart Charging", OCPP 2.0.1 part K).

Deliberately written apart from the CSMS's computation (voltline.areas is off limits to the simulator): a
test compares the two, which only means something if each follows the specifications on its own.

Rules:
- Three layers. The transaction layer: a TxProfile in force replaces every TxDefaultProfile; within a
  purpose the profile of the highest stack level that is in force wins, and at equal level one set for the
  EVSE beats one set for the whole station (EVSE 0). The station layer: the station max profile (EVSE 0
  only) of the highest stack level in force. The EVSE's rating. The lowest of the three is the limit.
- A profile is in force at an instant when it is valid then (validFrom <= t < validTo), its schedule has
  started and has not run out (duration), and a period has begun. Absolute schedules start at
  startSchedule (a 1.6 profile without one at the moment it was received), Recurring ones repeat from
  startSchedule every day or week, Relative ones start with the EVSE's transaction (none: now).
- Limits are compared in the unit asked for: A per phase, W in total, W = A * 230 V * phases, phases being
  the period's numberPhases or 3.

Time is kept in integer microseconds since the epoch, so that breakpoints are exact; the result is exact
at every whole second of the window (a boundary with a fraction of a second takes effect at the next
whole second, the first one at which it holds).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

VOLTAGE_V = 230.0
DAY_S = 86_400
WEEK_S = 7 * DAY_S
_US = 1_000_000  # microseconds per second
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

AMPERES = "A"
WATTS = "W"


class Purpose(StrEnum):
    """A profile's purpose, in words both versions share (1.6 ChargePointMaxProfile is STATION_MAX)."""

    STATION_MAX = "StationMax"
    TX_DEFAULT = "TxDefault"
    TX = "Tx"


@dataclass(frozen=True, slots=True)
class Period:
    start: int  # seconds from the start of the schedule
    limit: float  # in the schedule's unit
    phases: int | None = None  # numberPhases as given (None: 3)


@dataclass(frozen=True, slots=True)
class Schedule:
    unit: str  # "A" or "W"
    periods: tuple[Period, ...]
    start: datetime | None = None
    duration: int | None = None  # seconds; None: the last period lasts as long as the profile


@dataclass(frozen=True, slots=True)
class Profile:
    profile_id: int
    evse_id: int  # 0: the whole station
    stack_level: int
    purpose: Purpose
    kind: str  # Absolute, Recurring, Relative
    schedule: Schedule  # the first schedule: the one a station without ISO 15118 uses
    received_at: datetime  # anchors an Absolute schedule that has no start
    recurrency: str | None = None  # Daily, Weekly
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: str | None = None  # of a TxProfile, when it names one


@dataclass(frozen=True, slots=True)
class Rating:
    """What the EVSE can deliver at most (and what 'no limit' means)."""

    max_current_a: float = 32.0  # per phase
    phases: int = 3


@dataclass(frozen=True, slots=True)
class Limit:
    value: float  # in the unit asked for
    phases: int  # of the period that set it, or the rating's


@dataclass(frozen=True, slots=True)
class CompositePeriod:
    start: int  # seconds from the start of the composite schedule
    limit: float  # rounded to one decimal
    phases: int


def micros(at: datetime) -> int:
    """`at` (naive means UTC) in whole microseconds since the epoch."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    delta = at - _EPOCH
    return (delta.days * DAY_S + delta.seconds) * _US + delta.microseconds


def convert(limit: float, source: str, target: str, phases: int) -> float:
    """A limit in `source` unit as `target` unit (A is per phase, W the total over `phases`)."""
    if source == target:
        return limit
    factor = VOLTAGE_V * phases
    return limit * factor if target == WATTS else limit / factor


# ---------------------------------------------------------------------------------------------- one profile


@dataclass(frozen=True, slots=True)
class _Timed:
    """A profile with its instants in microseconds, as the sweep uses it."""

    profile: Profile
    anchor: int  # when its schedule (or its first repetition) starts
    cycle: int | None  # the recurrence in microseconds (None: not recurring)
    span: int | None  # how long one run of the schedule lasts (None: open-ended)
    valid_from: int | None
    valid_to: int | None


def _timed(profile: Profile, relative_start: int) -> _Timed:
    schedule = profile.schedule
    if profile.kind == "Relative":
        anchor = relative_start
    elif schedule.start is not None:
        anchor = micros(schedule.start)
    else:
        anchor = micros(profile.received_at)
    cycle: int | None = None
    span = None if schedule.duration is None else schedule.duration * _US
    if profile.kind == "Recurring":
        cycle = (WEEK_S if profile.recurrency == "Weekly" else DAY_S) * _US
        span = cycle if span is None else min(span, cycle)  # a run never outlasts its recurrence
    return _Timed(
        profile,
        anchor,
        cycle,
        span,
        None if profile.valid_from is None else micros(profile.valid_from),
        None if profile.valid_to is None else micros(profile.valid_to),
    )


def _period_at(timed: _Timed, at: int) -> Period | None:
    """The period of the profile in force at `at` (None: the profile does not limit then)."""
    if timed.valid_from is not None and at < timed.valid_from:
        return None
    if timed.valid_to is not None and at >= timed.valid_to:
        return None
    offset = at - timed.anchor
    if timed.cycle is not None:
        offset %= timed.cycle  # the recurrence runs both ways from its anchor
    elif offset < 0:
        return None  # not started yet
    if timed.span is not None and offset >= timed.span:
        return None  # run out: the next lower profile takes over
    found: Period | None = None
    for period in timed.profile.schedule.periods:
        if period.start * _US > offset:
            break
        found = period
    return found


def _changes(timed: _Timed, low: int, high: int) -> set[int]:
    """Instants within (low, high) at which the profile's contribution may change."""
    edges = [period.start * _US for period in timed.profile.schedule.periods]
    if timed.span is not None:
        edges.append(timed.span)
    runs = [timed.anchor]
    if timed.cycle is not None:
        first = timed.anchor + (low - timed.anchor) // timed.cycle * timed.cycle
        runs = list(range(first, high, timed.cycle))
    instants = {run + edge for run in runs for edge in edges}
    instants.update(t for t in (timed.valid_from, timed.valid_to) if t is not None)
    return {t for t in instants if low < t < high}


# ---------------------------------------------------------------------------------------------- the stack


@dataclass(frozen=True, slots=True)
class _Stack:
    """The profiles that count for one EVSE, split into the layers the rules name."""

    tx: list[_Timed]
    tx_default: list[_Timed]
    station_max: list[_Timed]


def _stack(profiles: Iterable[Profile], evse_id: int, has_transaction: bool, relative_start: int) -> _Stack:
    stack = _Stack([], [], [])
    for profile in profiles:
        timed = _timed(profile, relative_start)
        if profile.purpose is Purpose.STATION_MAX:
            if profile.evse_id == 0:
                stack.station_max.append(timed)
        elif evse_id == 0:
            continue  # the station as a whole has no transaction: only its caps count
        elif profile.purpose is Purpose.TX_DEFAULT:
            if profile.evse_id in (0, evse_id):
                stack.tx_default.append(timed)
        elif has_transaction and profile.evse_id == evse_id:
            stack.tx.append(timed)  # TxProfiles are removed when their transaction ends
    return stack


def _best(candidates: list[_Timed], at: int, evse_id: int, unit: str, default_phases: int) -> Limit | None:
    """The winner among one purpose's profiles in force at `at`: highest stack level, then the one set
    for the EVSE over one set for the station; a tie beyond that goes to the lower limit."""
    best: tuple[int, int, float] | None = None
    winner: Limit | None = None
    for timed in candidates:
        period = _period_at(timed, at)
        if period is None:
            continue
        phases = period.phases or default_phases
        value = convert(period.limit, timed.profile.schedule.unit, unit, phases)
        rank = (timed.profile.stack_level, 1 if timed.profile.evse_id == evse_id else 0, -value)
        if best is None or rank > best:
            best, winner = rank, Limit(value, phases)
    return winner


def _limit_at(stack: _Stack, at: int, evse_id: int, unit: str, rating: Rating) -> Limit:
    charging = _best(stack.tx, at, evse_id, unit, rating.phases)
    if charging is None:
        charging = _best(stack.tx_default, at, evse_id, unit, rating.phases)
    cap = _best(stack.station_max, at, evse_id, unit, rating.phases)
    ceiling = Limit(convert(rating.max_current_a, AMPERES, unit, rating.phases), rating.phases)
    # The lowest wins; on a tie the transaction's figure is the one reported, the rating's last.
    result = ceiling
    for candidate in (cap, charging):
        if candidate is not None and candidate.value <= result.value:
            result = candidate
    return result


def composite_schedule(
    profiles: Iterable[Profile],
    *,
    evse_id: int,
    start: datetime,
    duration: int,
    unit: str = AMPERES,
    transaction_start: datetime | None = None,
    rating: Rating | None = None,
) -> list[CompositePeriod]:
    """The limits of [start, start + duration) for `evse_id` (0: the station), as periods with offsets
    from `start`; consecutive equal limits (on the same number of phases) are one period.

    `transaction_start`: when the EVSE's transaction began (None: no transaction; TxProfiles then do not
    count and Relative schedules start at `start`). `start` should be a whole second.
    """
    if duration <= 0:
        raise ValueError("duration must be positive")
    rating = rating or Rating()
    low = micros(start)
    high = low + duration * _US
    relative = low if transaction_start is None else micros(transaction_start)
    stack = _stack(profiles, evse_id, transaction_start is not None, relative)
    instants = {low}
    for timed in (*stack.tx, *stack.tx_default, *stack.station_max):
        # A change at a fraction of a second holds from the next whole second.
        instants.update(low + -(-(t - low) // _US) * _US for t in _changes(timed, low, high))
    periods: list[CompositePeriod] = []
    for at in sorted(t for t in instants if t < high):
        limit = _limit_at(stack, at, evse_id, unit, rating)
        rounded = round(limit.value, 1)
        if periods and (periods[-1].limit, periods[-1].phases) == (rounded, limit.phases):
            continue
        periods.append(CompositePeriod((at - low) // _US, rounded, limit.phases))
    return periods


def limit_at(
    profiles: Iterable[Profile],
    *,
    evse_id: int,
    at: datetime,
    unit: str = AMPERES,
    transaction_start: datetime | None = None,
    rating: Rating | None = None,
) -> Limit:
    """The limit in force at the instant `at` (not rounded): what the EVSE lets the car draw now."""
    instant = micros(at)
    relative = instant if transaction_start is None else micros(transaction_start)
    stack = _stack(profiles, evse_id, transaction_start is not None, relative)
    return _limit_at(stack, instant, evse_id, unit, rating or Rating())


def next_change(
    profiles: Iterable[Profile],
    *,
    evse_id: int,
    after: datetime,
    transaction_start: datetime | None = None,
    horizon_s: int = WEEK_S + DAY_S,
) -> datetime | None:
    """The first instant after `after` at which the limit of `evse_id` may change (a period boundary, a
    schedule's start or end, validFrom/validTo), within `horizon_s`; None: none within it.

    The station wakes its car then, so that a schedule's next period takes effect at its boundary rather
    than at the next meter sample. An instant where the limit turns out the same is harmless: the car
    keeps drawing what it drew. The default horizon covers a week's recurrence.
    """
    low = micros(after)
    relative = low if transaction_start is None else micros(transaction_start)
    stack = _stack(profiles, evse_id, transaction_start is not None, relative)
    instants: set[int] = set()
    for timed in (*stack.tx, *stack.tx_default, *stack.station_max):
        instants.update(_changes(timed, low, low + horizon_s * _US))
    if not instants:
        return None
    return _EPOCH + timedelta(microseconds=min(instants))
