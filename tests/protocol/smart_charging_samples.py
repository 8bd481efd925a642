"""Sample smart-charging commands (merged into COMMAND_SAMPLES): every kind, unit and optional field."""

from __future__ import annotations

from datetime import UTC, datetime

from voltline.areas.remote_control.commands import RemoteStart
from voltline.areas.smart_charging.commands import (
    ClearChargingProfile,
    GetChargingProfiles,
    GetCompositeSchedule,
    RemoteStartWithProfile,
    SetChargingProfile,
)
from voltline.areas.smart_charging.model import (
    ChargingProfile,
    ChargingProfilePurpose,
    ChargingSchedule,
    ProfileKind,
    RateUnit,
    RecurrencyKind,
    SchedulePeriod,
)
from voltline.kernel.commands import Command

_START = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
_AMPS = ChargingSchedule(RateUnit.AMPERES, (SchedulePeriod(0, 16.0), SchedulePeriod(3600, 8.5, 1)), _START, 7200, 6.0)
_WATTS = ChargingSchedule(RateUnit.WATTS, (SchedulePeriod(0, 11000.0, 3),))

MAX_PROFILE = ChargingProfile(1, ChargingProfilePurpose.STATION_MAX, 0, ProfileKind.ABSOLUTE, (_AMPS,))
DAILY_DEFAULT = ChargingProfile(
    2,
    ChargingProfilePurpose.TX_DEFAULT,
    3,
    ProfileKind.RECURRING,
    (_AMPS,),
    evse_id=1,
    recurrency=RecurrencyKind.DAILY,
    valid_from=_START,
    valid_to=datetime(2027, 1, 1, tzinfo=UTC),
)
TX_PROFILE = ChargingProfile(
    3, ChargingProfilePurpose.TX, 1, ProfileKind.RELATIVE, (_WATTS,), evse_id=2, transaction_id="42"
)

SMART_CHARGING_SAMPLES: dict[type[Command], list[Command]] = {
    SetChargingProfile: [
        SetChargingProfile(MAX_PROFILE),
        SetChargingProfile(DAILY_DEFAULT),
        SetChargingProfile(TX_PROFILE),
    ],
    ClearChargingProfile: [
        ClearChargingProfile(profile_id=3),
        ClearChargingProfile(evse_id=1, purpose=ChargingProfilePurpose.TX_DEFAULT, stack_level=3),
        ClearChargingProfile(),
    ],
    GetCompositeSchedule: [GetCompositeSchedule(0, 3600), GetCompositeSchedule(1, 86400, RateUnit.WATTS)],
    GetChargingProfiles: [
        GetChargingProfiles(7),
        GetChargingProfiles(
            8, evse_id=1, purpose=ChargingProfilePurpose.TX_DEFAULT, stack_level=2, profile_ids=(1, 2), sources=("CSO",)
        ),
    ],
    RemoteStartWithProfile: [
        RemoteStartWithProfile(
            RemoteStart("TAG", 1, remote_start_id=9),
            ChargingProfile(4, ChargingProfilePurpose.TX, 0, ProfileKind.RELATIVE, (_WATTS,), evse_id=1),
        )
    ],
}
