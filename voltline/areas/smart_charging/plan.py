"""What a profile must satisfy before it is sent: the OCPP version's expressiveness, the station's announced
limits, and the rules both specifications state. Pure: the caller gathers the station's limits.

Every refusal names the field (in the API body's own names) so that a 422 says what to change; a profile
that passes is one the station has no schema or announced-limit reason to refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voltline.areas.smart_charging.model import (
    ChargingProfile,
    ChargingProfilePurpose,
    ProfileKind,
    RateUnit,
    SchedulePeriod,
)
from voltline.kernel.errors import InvalidRequest
from voltline.kernel.versions import Capabilities

# How each version spells the rate units in its list setting (1.6 "Current,Power"; 2.0.1 "A,W").
_UNIT_WORDS = {"current": RateUnit.AMPERES, "a": RateUnit.AMPERES, "power": RateUnit.WATTS, "w": RateUnit.WATTS}


@dataclass(slots=True, frozen=True)
class StationLimits:
    """What the station announced (None: unknown, not checked)."""

    max_periods: int | None = None
    max_stack_level: int | None = None
    rate_units: frozenset[RateUnit] | None = None


def parse_rate_units(text: str | None) -> frozenset[RateUnit] | None:
    """The units a ChargingScheduleAllowedChargingRateUnit / SmartChargingCtrlr.RateUnit value lists; None
    when the value names none we know (so nothing is refused on a misread)."""
    if not text:
        return None
    units = frozenset(_UNIT_WORDS[w] for w in (part.strip().lower() for part in text.split(",")) if w in _UNIT_WORDS)
    return units or None


def check_profile(
    profile: ChargingProfile,
    caps: Capabilities,
    limits: StationLimits,
    *,
    needs_transaction: bool = True,
) -> None:
    """Raise InvalidRequest naming the first field the station's version or limits cannot take.

    `needs_transaction`: a TxProfile must name its transaction (False for the one a remote start carries).
    """
    version = caps.version.number
    purpose = profile.purpose
    if purpose is ChargingProfilePurpose.EXTERNAL_CONSTRAINTS:
        raise InvalidRequest("purpose: external constraints are set by the station itself, not by a CSMS")
    if purpose not in caps.charging_profile_purposes:
        raise InvalidRequest(f"purpose: OCPP {version} has no {purpose.value} profiles")
    if profile.stack_level < 0:
        raise InvalidRequest("stack_level: must be 0 or more")
    if limits.max_stack_level is not None and profile.stack_level > limits.max_stack_level:
        raise InvalidRequest(
            f"stack_level: {profile.stack_level} is above the station's highest stack level {limits.max_stack_level}"
        )
    if profile.evse_id < 0:
        raise InvalidRequest("evse_id: must be 0 (the station) or an EVSE id")
    if purpose is ChargingProfilePurpose.STATION_MAX and profile.evse_id != 0:
        raise InvalidRequest("evse_id: a station max profile applies to the whole station: use EVSE 0")
    if purpose is ChargingProfilePurpose.TX:
        if profile.evse_id == 0:
            raise InvalidRequest("evse_id: a TxProfile belongs to the transaction of one EVSE, not EVSE 0")
        if needs_transaction and profile.transaction_id is None:
            raise InvalidRequest("transaction_id: a TxProfile needs the transaction it is for")
    elif profile.transaction_id is not None:
        raise InvalidRequest("transaction_id: only a TxProfile names a transaction")
    if profile.kind is ProfileKind.RECURRING and profile.recurrency is None:
        raise InvalidRequest("recurrency: a Recurring profile needs Daily or Weekly")
    if profile.kind is not ProfileKind.RECURRING and profile.recurrency is not None:
        raise InvalidRequest("recurrency: only a Recurring profile recurs")
    if profile.valid_from is not None and profile.valid_to is not None and profile.valid_to <= profile.valid_from:
        raise InvalidRequest("valid_to: must be after valid_from")
    if not profile.schedules:
        raise InvalidRequest("schedules: a profile needs a schedule")
    if len(profile.schedules) > caps.schedules_per_profile:
        raise InvalidRequest(
            f"schedules: OCPP {version} carries at most {caps.schedules_per_profile} schedule(s) per profile"
        )
    for index, schedule in enumerate(profile.schedules):
        where = f"schedules[{index}]"
        if profile.kind is ProfileKind.RECURRING and schedule.start is None:
            raise InvalidRequest(f"{where}.start: a Recurring profile needs the start it recurs from")
        if profile.kind is ProfileKind.RELATIVE and schedule.start is not None:
            raise InvalidRequest(f"{where}.start: a Relative profile starts with its transaction: leave start out")
        if limits.rate_units is not None and schedule.unit not in limits.rate_units:
            allowed = ", ".join(sorted(u.value for u in limits.rate_units))
            raise InvalidRequest(f"{where}.unit: the station takes {allowed}, not {schedule.unit.value}")
        if schedule.duration is not None and schedule.duration <= 0:
            raise InvalidRequest(f"{where}.duration: must be positive")
        if schedule.min_charging_rate is not None and schedule.min_charging_rate < 0:
            raise InvalidRequest(f"{where}.min_charging_rate: must not be negative")
        _check_periods(schedule.periods, where, schedule.duration, caps, limits)


def _check_periods(
    items: Sequence[SchedulePeriod], where: str, duration: int | None, caps: Capabilities, limits: StationLimits
) -> None:
    if not items:
        raise InvalidRequest(f"{where}.periods: a schedule needs at least one period")
    if limits.max_periods is not None and len(items) > limits.max_periods:
        raise InvalidRequest(
            f"{where}.periods: {len(items)} periods, the station takes at most {limits.max_periods} per schedule"
        )
    previous: int | None = None
    for index, period in enumerate(items):
        at = f"{where}.periods[{index}]"
        start = period.start_offset
        if previous is None and start != 0:
            raise InvalidRequest(f"{at}.start_offset: the first period starts at 0")
        if previous is not None and start <= previous:
            raise InvalidRequest(f"{at}.start_offset: periods overlap: each must start after the one before")
        if duration is not None and start >= duration:
            raise InvalidRequest(f"{at}.start_offset: starts after the schedule's duration ends")
        previous = start
        if period.limit < 0:
            raise InvalidRequest(f"{at}.limit: must not be negative")
        phases = period.number_phases
        if phases is not None and phases not in (1, 2, 3):
            raise InvalidRequest(f"{at}.number_phases: 1, 2 or 3")
        if period.phase_to_use is not None:
            if not caps.phase_to_use:
                raise InvalidRequest(f"{at}.phase_to_use: OCPP {caps.version.number} has no phaseToUse")
            if phases != 1:
                raise InvalidRequest(f"{at}.phase_to_use: only with number_phases 1")
