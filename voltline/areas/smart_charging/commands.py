"""Smart-charging commands to stations and their answers, version-neutral.

ocpp/v16.py and ocpp/v201.py map each onto its OCPP call, or refuse it (InvalidRequest) where the version
cannot express it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from voltline.areas.remote_control.commands import RemoteStart
from voltline.areas.smart_charging.model import ChargingProfile, ChargingProfilePurpose, ChargingSchedule, RateUnit
from voltline.kernel.commands import Command, StatusInfo


@dataclass(slots=True, frozen=True)
class SetChargingProfile(Command):
    profile: ChargingProfile


@dataclass(slots=True, frozen=True)
class ClearChargingProfile(Command):
    """Clears the profiles matching every given criterion (by id alone, or by EVSE / purpose / stack level)."""

    profile_id: int | None = None
    evse_id: int | None = None
    purpose: ChargingProfilePurpose | None = None
    stack_level: int | None = None


@dataclass(slots=True, frozen=True)
class GetCompositeSchedule(Command):
    evse_id: int
    duration: int  # seconds
    unit: RateUnit | None = None


@dataclass(slots=True, frozen=True)
class GetChargingProfiles(Command):
    """2.0.1: the station reports the profiles it holds in ReportChargingProfiles parts with `request_id`."""

    request_id: int
    evse_id: int | None = None
    purpose: ChargingProfilePurpose | None = None
    stack_level: int | None = None
    profile_ids: tuple[int, ...] = ()
    sources: tuple[str, ...] = ()  # ChargingLimitSourceEnumType: EMS, Other, SO, CSO


@dataclass(slots=True, frozen=True)
class RemoteStartWithProfile(Command):
    """A remote start carrying the TxProfile the transaction starts under (1.6 RemoteStartTransaction and
    2.0.1 RequestStartTransaction both take one)."""

    start: RemoteStart
    profile: ChargingProfile


@dataclass(slots=True, frozen=True)
class ProfileAnswer:
    """A SetChargingProfile / ClearChargingProfile / GetChargingProfiles answer: status word and reason."""

    status: str
    status_info: StatusInfo | None = None


@dataclass(slots=True, frozen=True)
class StationComposite:
    """A GetCompositeSchedule answer: the schedule the station will follow, when it gave one."""

    status: str
    evse_id: int
    schedule_start: datetime | None = None
    schedule: ChargingSchedule | None = None
    status_info: StatusInfo | None = None
