"""The composite schedule: what one EVSE (or the station as a whole) may draw, given its profile stack.

Pure: no I/O, no clock. It follows OCPP 1.6 §3.13 and 2.0.1 part K ("Smart Charging"):

* per purpose, the applicable profile of the highest stack level wins (at equal level one set for the EVSE
  beats one set for evse 0);
* a TxProfile, where it applies, replaces the TxDefaultProfile;
* the station max profile and the external constraints cap whatever the transaction profiles allow, and the
  EVSE's own rating caps everything.

Time is whole seconds: the result is exact at every whole second of the window (a datetime with a fraction
of a second moves its breakpoint to the next whole second, the first whole second at which it holds).

Speed matters (thousands of EVSEs are recomputed when a station max profile changes), so each profile is
turned once into its pieces within the window (a few tuples of ints and floats), and one sweep over the
sorted breakpoints picks the winners and the minimum: no loop over seconds, no datetime arithmetic per piece.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from voltline.areas.smart_charging.model import (
    ChargingProfile,
    ChargingProfilePurpose,
    ProfileKind,
    RateUnit,
    RecurrencyKind,
)

__all__ = [
    "ActiveTransaction",
    "CompositePeriod",
    "CompositeSchedule",
    "Electrical",
    "ScheduleDifference",
    "composite_schedule",
    "differences",
    "to_unit",
]

DAY = 86_400
WEEK = 7 * DAY
# Limits equal to within this are equal: they come from conversions of one-decimal figures, and a
# difference of exactly the tolerance (16.1 against 16.0) must not count as beyond it through float noise.
_EPSILON = 1e-9


@dataclass(slots=True, frozen=True)
class Electrical:
    """What converting A<->W and 'no limit' need: the station's (EVSE's) supply."""

    phases: int = 3
    voltage_v: float = 230.0  # line to neutral
    max_current_a: float = 32.0  # per phase: the limit where no profile limits (the EVSE's rating)


@dataclass(slots=True, frozen=True)
class ActiveTransaction:
    transaction_id: str  # station-facing id
    started_at: datetime  # aware


@dataclass(slots=True, frozen=True)
class CompositePeriod:
    start_offset: int  # seconds from CompositeSchedule.start
    limit: float  # in CompositeSchedule.unit, rounded to 1 decimal
    number_phases: int | None = None  # of the profile period that set the limit; None: the EVSE's rating did


@dataclass(slots=True, frozen=True)
class CompositeSchedule:
    evse_id: int
    start: datetime
    duration: int  # seconds
    unit: RateUnit
    # first at offset 0, strictly increasing offsets (all < duration), adjacent equal (limit, phases) merged
    periods: tuple[CompositePeriod, ...]

    def limit_at(self, at: datetime) -> float:
        """The limit in force at `at`, which must lie within [start, start + duration)."""
        offset = (at - self.start).total_seconds()
        if not 0 <= offset < self.duration:
            raise ValueError(f"{at.isoformat()} is outside the schedule's window")
        return self.periods[bisect_right(self.periods, offset, key=_start_offset) - 1].limit


@dataclass(slots=True, frozen=True)
class ScheduleDifference:
    start_offset: int  # seconds from ours' start
    end_offset: int  # exclusive
    ours: float
    theirs: float  # converted into ours' unit


_DEFAULT_ELECTRICAL = Electrical()
_STATION_MAX = ChargingProfilePurpose.STATION_MAX
_EXTERNAL = ChargingProfilePurpose.EXTERNAL_CONSTRAINTS
_TX_DEFAULT = ChargingProfilePurpose.TX_DEFAULT
_TX = ChargingProfilePurpose.TX
_ABSOLUTE = ProfileKind.ABSOLUTE
_RECURRING = ProfileKind.RECURRING
_RELATIVE = ProfileKind.RELATIVE
_WATTS = RateUnit.WATTS

# A piece of one profile within the window: [start, end) in whole seconds from the window start, the limit
# converted into the target unit, the period's number_phases as given, and as used for the conversion.
_Piece = tuple[int, int, float, int | None, int]


def _start_offset(period: CompositePeriod) -> int:
    return period.start_offset


def to_unit(limit: float, source: RateUnit, target: RateUnit, phases: int | None, voltage_v: float) -> float:
    """`limit` in `source` as `target`: W = A * V * phases (A per phase, W in total); phases None -> 3."""
    if source is target:
        return limit
    factor = voltage_v * (3 if phases is None else phases)
    return limit * factor if target is _WATTS else limit / factor


def _seconds_ceil(delta: timedelta) -> int:
    """`delta` in whole seconds, rounded up: the first whole second at or after it.

    Every offset a schedule adds (period starts, durations, the recurrence) is whole seconds, so rounding
    the anchor up once is the same as rounding every breakpoint up.
    """
    return delta.days * DAY + delta.seconds + (1 if delta.microseconds else 0)


def _pieces(
    profile: ChargingProfile,
    start: datetime,
    duration: int,
    unit: RateUnit,
    electrical: Electrical,
    transaction_start: datetime | None,
) -> list[_Piece]:
    """Where within [0, duration) the profile's first schedule has a period in force, and with which limit."""
    if not profile.schedules:
        return []
    schedule = profile.schedules[0]
    periods = schedule.periods
    if not periods:
        return []
    low, high = 0, duration
    if profile.valid_from is not None:
        low = max(low, _seconds_ceil(profile.valid_from - start))
    if profile.valid_to is not None:
        high = min(high, _seconds_ceil(profile.valid_to - start))
    if low >= high:
        return []
    kind = profile.kind
    anchor_at = transaction_start if kind is _RELATIVE else schedule.start
    anchor = 0 if anchor_at is None else _seconds_ceil(anchor_at - start)
    span = schedule.duration  # None: the last period lasts as long as the profile (or the recurrence)
    if kind is _RECURRING:
        repeat = WEEK if profile.recurrency is RecurrencyKind.WEEKLY else DAY
        if span is None or span > repeat:
            span = repeat
        # the repetition in force at `low`; the one before ends at or before it, as span <= repeat
        base = anchor + (low - anchor) // repeat * repeat
    else:
        repeat = 0
        base = anchor
    # The periods relative to the schedule start, converted once for every repetition.
    source = schedule.unit
    voltage = electrical.voltage_v
    default_phases = electrical.phases
    relative: list[tuple[int, int | None, float, int | None, int]] = []
    last = len(periods) - 1
    for index, period in enumerate(periods):
        begin = max(period.start_offset, 0)
        end = periods[index + 1].start_offset if index < last else span
        if span is not None and end is not None and end > span:
            end = span
        if end is not None and begin >= end:
            continue  # an empty period, or one superseded by a later one at the same offset
        phases = period.number_phases or default_phases
        value = to_unit(period.limit, source, unit, phases, voltage)
        relative.append((begin, end, value, period.number_phases, phases))
    out: list[_Piece] = []
    while base < high:
        for begin, end, value, given, phases in relative:
            a = base + begin
            b = high if end is None else base + end
            if a < low:
                a = low
            if b > high:
                b = high
            if a < b:
                out.append((a, b, value, given, phases))
        if not repeat:
            break
        base += repeat
    return out


@dataclass(slots=True)
class _Candidate:
    """One profile in the sweep: its rank within its layer, its pieces and how far the sweep has read them."""

    rank: tuple[int, int, int]  # (TxProfile over TxDefault, stack level, EVSE-specific over evse 0)
    pieces: list[_Piece]
    next: int = 0


def composite_schedule(
    profiles: Iterable[ChargingProfile],
    *,
    evse_id: int,
    start: datetime,
    duration: int,
    unit: RateUnit,
    electrical: Electrical = _DEFAULT_ELECTRICAL,
    transaction: ActiveTransaction | None = None,
) -> CompositeSchedule:
    """The limit in force at each second of [start, start + duration) for `evse_id` (0: the station).

    `profiles` may hold the station's whole stack: those of other EVSEs, of other transactions, and
    purposes that do not count for `evse_id` are left out here. A TxProfile counts only with `transaction`.
    Raises ValueError for a naive `start` or a `duration` that is not positive.
    """
    if start.utcoffset() is None:
        raise ValueError("start must be an aware datetime")
    if duration <= 0:
        raise ValueError("duration must be positive")
    transaction_start = None if transaction is None else transaction.started_at
    # Three layers, each yielding one winner at a time: station max, external constraints, and the
    # transaction layer, in which a TxProfile outranks every TxDefaultProfile.
    station_max: list[_Candidate] = []
    external: list[_Candidate] = []
    charging: list[_Candidate] = []
    breakpoints = {0, duration}
    for profile in profiles:
        purpose = profile.purpose
        own = profile.evse_id
        if purpose is _STATION_MAX:
            if own != 0:
                continue  # a station max profile is about the whole station; the specs allow only evse 0
            layer, rank = station_max, (0, profile.stack_level, 0)
        elif purpose is _EXTERNAL:
            if own != 0 and own != evse_id:
                continue
            layer, rank = external, (0, profile.stack_level, 1 if own else 0)
        elif evse_id == 0:
            continue  # the station as a whole has no transaction: only its caps count
        elif purpose is _TX_DEFAULT:
            if own != 0 and own != evse_id:
                continue
            layer, rank = charging, (0, profile.stack_level, 1 if own else 0)
        elif purpose is _TX:
            if transaction is None or own != evse_id:
                continue
            if profile.transaction_id is not None and profile.transaction_id != transaction.transaction_id:
                continue
            layer, rank = charging, (1, profile.stack_level, 1)
        else:
            continue
        pieces = _pieces(profile, start, duration, unit, electrical, transaction_start)
        if not pieces:
            continue
        for piece in pieces:
            breakpoints.add(piece[0])
            breakpoints.add(piece[1])
        layer.append(_Candidate(rank, pieces))
    # Tried in this order, a later value replacing an earlier one only if strictly lower (or equal on fewer
    # phases): on a tie the transaction's own figure is reported, and the EVSE's rating comes last.
    layers = [layer for layer in (charging, external, station_max) if layer]
    for layer in layers:
        layer.sort(key=_rank, reverse=True)
    ceiling = to_unit(electrical.max_current_a, RateUnit.AMPERES, unit, electrical.phases, electrical.voltage_v)
    ceiling_phases = electrical.phases
    out: list[CompositePeriod] = []
    previous: tuple[float, int | None] | None = None
    points = sorted(breakpoints)
    for at in points[:-1]:  # the last one is `duration`
        best = ceiling
        best_phases = ceiling_phases
        best_given: int | None = None
        from_profile = False
        for layer in layers:
            winner = _winner(layer, at)
            if winner is None:
                continue
            value, phases = winner[2], winner[4]
            if not from_profile or value < best or (value == best and phases < best_phases):
                best, best_phases, best_given, from_profile = value, phases, winner[3], True
        if from_profile and (ceiling < best or (ceiling == best and ceiling_phases < best_phases)):
            best, best_given = ceiling, None
        key = (round(best, 1), best_given)
        if key != previous:
            out.append(CompositePeriod(at, key[0], best_given))
            previous = key
    return CompositeSchedule(evse_id, start, duration, unit, tuple(out))


def _rank(candidate: _Candidate) -> tuple[int, int, int]:
    return candidate.rank


def _winner(layer: list[_Candidate], at: int) -> _Piece | None:
    """The piece of the best-ranked candidate in force at `at` (the lowest limit among equal ranks).

    `at` only grows from one call to the next, so each candidate's read position only moves forward.
    """
    found: _Piece | None = None
    found_rank: tuple[int, int, int] | None = None
    for candidate in layer:
        if found_rank is not None and candidate.rank != found_rank:
            break  # sorted by rank: the rest rank lower
        pieces = candidate.pieces
        index = candidate.next
        count = len(pieces)
        while index < count and pieces[index][1] <= at:
            index += 1
        candidate.next = index
        if index < count and pieces[index][0] <= at:
            piece = pieces[index]
            if found is None or piece[2] < found[2]:
                found, found_rank = piece, candidate.rank
    return found


def differences(
    ours: CompositeSchedule,
    theirs: CompositeSchedule,
    tolerance: float = 0.1,
    *,
    electrical: Electrical = _DEFAULT_ELECTRICAL,
) -> tuple[ScheduleDifference, ...]:
    """Where `theirs` (say the station's GetCompositeSchedule answer) differs from `ours` by more than
    `tolerance`, in ours' unit and offsets.

    Only the time both windows cover is compared (a station answers from the moment it computed, which
    may be a second or so after ours). Adjacent stretches with the same pair of values are one difference.
    """
    shift = _seconds_ceil(theirs.start - ours.start)  # their offset o is our offset o + shift
    low = max(0, shift)
    high = min(ours.duration, shift + theirs.duration)
    if low >= high or not ours.periods or not theirs.periods:
        return ()
    voltage = electrical.voltage_v
    default_phases = electrical.phases
    their_points = [
        (
            period.start_offset + shift,
            to_unit(period.limit, theirs.unit, ours.unit, period.number_phases or default_phases, voltage),
        )
        for period in theirs.periods
    ]
    our_points = [(period.start_offset, period.limit) for period in ours.periods]
    points = sorted(
        {low, *(p for p, _ in our_points if low < p < high), *(p for p, _ in their_points if low < p < high)}
    )
    points.append(high)
    out: list[ScheduleDifference] = []
    mine = other = 0
    for index in range(len(points) - 1):
        at = points[index]
        while mine + 1 < len(our_points) and our_points[mine + 1][0] <= at:
            mine += 1
        while other + 1 < len(their_points) and their_points[other + 1][0] <= at:
            other += 1
        a, b = our_points[mine][1], their_points[other][1]
        if abs(a - b) <= tolerance + _EPSILON:
            continue
        end = points[index + 1]
        if out and out[-1].end_offset == at and out[-1].ours == a and out[-1].theirs == b:
            out[-1] = ScheduleDifference(out[-1].start_offset, end, a, b)
        else:
            out.append(ScheduleDifference(at, end, a, b))
    return tuple(out)
