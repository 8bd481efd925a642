"""The checks a profile passes before it is sent: each refusal names its field."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

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
from voltline.areas.smart_charging.plan import StationLimits, check_profile, parse_rate_units
from voltline.kernel.errors import InvalidRequest
from voltline.kernel.versions import OcppVersion, capabilities

V16 = capabilities(OcppVersion.V16)
V201 = capabilities(OcppVersion.V201)
START = datetime(2026, 12, 5, tzinfo=UTC)


def a_schedule(**overrides: object) -> ChargingSchedule:
    fields: dict[str, object] = {
        "unit": RateUnit.AMPERES,
        "periods": (SchedulePeriod(0, 16.0), SchedulePeriod(3600, 10.0)),
        "start": START,
    }
    fields.update(overrides)
    return ChargingSchedule(**fields)  # type: ignore[arg-type]


def a_profile(**overrides: object) -> ChargingProfile:
    fields: dict[str, object] = {
        "profile_id": 1,
        "purpose": ChargingProfilePurpose.TX_DEFAULT,
        "stack_level": 0,
        "kind": ProfileKind.ABSOLUTE,
        "schedules": (a_schedule(),),
        "evse_id": 1,
    }
    fields.update(overrides)
    return ChargingProfile(**fields)  # type: ignore[arg-type]


def test_a_plain_profile_passes_on_both_versions() -> None:
    for caps in (V16, V201):
        check_profile(
            a_profile(), caps, StationLimits(max_periods=24, max_stack_level=8, rate_units=frozenset(RateUnit))
        )


REFUSALS = [
    (
        "external constraints are the station's",
        V201,
        a_profile(purpose=ChargingProfilePurpose.EXTERNAL_CONSTRAINTS),
        StationLimits(),
        "purpose",
    ),
    ("two schedules on 1.6", V16, a_profile(schedules=(a_schedule(), a_schedule())), StationLimits(), "schedules"),
    (
        "phaseToUse on 1.6",
        V16,
        a_profile(schedules=(a_schedule(periods=(SchedulePeriod(0, 16.0, 1, 2),)),)),
        StationLimits(),
        "schedules[0].periods[0].phase_to_use",
    ),
    (
        "phaseToUse without one phase",
        V201,
        a_profile(schedules=(a_schedule(periods=(SchedulePeriod(0, 16.0, 3, 2),)),)),
        StationLimits(),
        "schedules[0].periods[0].phase_to_use",
    ),
    ("more periods than the station takes", V201, a_profile(), StationLimits(max_periods=1), "schedules[0].periods"),
    ("stack level above the station's", V16, a_profile(stack_level=9), StationLimits(max_stack_level=8), "stack_level"),
    (
        "unit the station lacks",
        V16,
        a_profile(),
        StationLimits(rate_units=frozenset({RateUnit.WATTS})),
        "schedules[0].unit",
    ),
    (
        "TxProfile without a transaction",
        V201,
        a_profile(purpose=ChargingProfilePurpose.TX),
        StationLimits(),
        "transaction_id",
    ),
    (
        "TxProfile on EVSE 0",
        V201,
        a_profile(purpose=ChargingProfilePurpose.TX, evse_id=0, transaction_id="t"),
        StationLimits(),
        "evse_id",
    ),
    ("station max on an EVSE", V16, a_profile(purpose=ChargingProfilePurpose.STATION_MAX), StationLimits(), "evse_id"),
    (
        "overlapping periods",
        V201,
        a_profile(schedules=(a_schedule(periods=(SchedulePeriod(0, 16.0), SchedulePeriod(0, 8.0))),)),
        StationLimits(),
        "schedules[0].periods[1].start_offset",
    ),
    (
        "first period not at 0",
        V201,
        a_profile(schedules=(a_schedule(periods=(SchedulePeriod(60, 16.0),)),)),
        StationLimits(),
        "schedules[0].periods[0].start_offset",
    ),
    (
        "negative limit",
        V16,
        a_profile(schedules=(a_schedule(periods=(SchedulePeriod(0, -1.0),)),)),
        StationLimits(),
        "schedules[0].periods[0].limit",
    ),
    ("recurring without a recurrency", V16, a_profile(kind=ProfileKind.RECURRING), StationLimits(), "recurrency"),
    (
        "relative with a start",
        V16,
        a_profile(kind=ProfileKind.RELATIVE),
        StationLimits(),
        "schedules[0].start",
    ),
    (
        "validity ends before it begins",
        V201,
        a_profile(valid_from=START, valid_to=START),
        StationLimits(),
        "valid_to",
    ),
    (
        "a period after the duration",
        V201,
        a_profile(schedules=(a_schedule(duration=600),)),
        StationLimits(),
        "schedules[0].periods[1].start_offset",
    ),
]


@pytest.mark.parametrize(("case", "caps", "profile", "limits", "field"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_each_refusal_names_its_field(
    case: str, caps: object, profile: ChargingProfile, limits: StationLimits, field: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_profile(profile, caps, limits)  # type: ignore[arg-type]
    assert str(refused.value).startswith(f"{field}:"), str(refused.value)


def test_a_remote_start_tx_profile_needs_no_transaction() -> None:
    profile = a_profile(purpose=ChargingProfilePurpose.TX)
    check_profile(profile, V16, StationLimits(), needs_transaction=False)


def test_a_recurring_profile_with_its_start_passes() -> None:
    check_profile(a_profile(kind=ProfileKind.RECURRING, recurrency=RecurrencyKind.DAILY), V201, StationLimits())
    check_profile(
        replace(a_profile(kind=ProfileKind.RELATIVE), schedules=(a_schedule(start=None),)), V201, StationLimits()
    )


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("Current,Power", {RateUnit.AMPERES, RateUnit.WATTS}),
        ("Current", {RateUnit.AMPERES}),
        ("A,W", {RateUnit.AMPERES, RateUnit.WATTS}),
        (" W ", {RateUnit.WATTS}),
        ("", None),
        ("Volts", None),
        (None, None),
    ],
)
def test_rate_unit_settings_of_both_versions(text: str | None, units: set[RateUnit] | None) -> None:
    assert parse_rate_units(text) == (frozenset(units) if units is not None else None)
