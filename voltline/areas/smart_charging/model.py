"""Charging profiles and what stations report about limits, version-neutral.

A profile is the same record for both OCPP versions: 1.6 connectorId N is EVSE N, 0 the station as a whole;
1.6 carries one schedule, 2.0.1 up to three (the station picks one; we take the first for our composite).
Limits are in the schedule's unit, amperes per phase or watts, as the specs define them; `float` because
both versions send decimals with one fractional digit and nothing here is money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from voltline.kernel.events import DomainEvent
from voltline.kernel.versions import ChargingProfilePurpose

__all__ = [
    "ChargingLimit",
    "ChargingProfile",
    "ChargingProfilePurpose",
    "ChargingSchedule",
    "DeliveryState",
    "LimitKind",
    "ProfileKind",
    "ProfileSource",
    "ProfileTemplate",
    "RateUnit",
    "RecurrencyKind",
    "ReportedProfile",
    "SchedulePeriod",
    "StoredProfile",
]


class RateUnit(StrEnum):
    AMPERES = "A"  # per phase
    WATTS = "W"  # total


class ProfileKind(StrEnum):
    ABSOLUTE = "Absolute"  # the schedule starts at its start_schedule
    RECURRING = "Recurring"  # ... and repeats every day or week from it
    RELATIVE = "Relative"  # the schedule starts when the transaction (or the request) starts


class RecurrencyKind(StrEnum):
    DAILY = "Daily"
    WEEKLY = "Weekly"


class ProfileSource(StrEnum):
    """Who set a profile."""

    OPERATOR = "operator"  # a person, through the API or the dashboard
    API_KEY = "api_key"  # another system, with an API key
    CONTROLLER = "controller"  # one of Voltline's own controllers (load management)
    STATION = "station"  # the station itself (external constraints, the station's view)


class DeliveryState(StrEnum):
    """Where a profile's delivery to its station stands."""

    PENDING = "pending"  # stored, not (yet) confirmed by the station: sent on the next chance
    ACCEPTED = "accepted"  # the station accepted it
    REJECTED = "rejected"  # the station refused it (reason in status_reason); not re-sent
    CLEARED = "cleared"  # cleared on the station (or retired once its validity ended)


@dataclass(slots=True, frozen=True)
class SchedulePeriod:
    start_offset: int  # seconds from the schedule's start
    limit: float  # in the schedule's unit, >= 0
    number_phases: int | None = None  # None: 3 (the specs' default)
    phase_to_use: int | None = None  # 2.0.1, with number_phases == 1 on a station that can switch


@dataclass(slots=True, frozen=True)
class ChargingSchedule:
    unit: RateUnit
    periods: tuple[SchedulePeriod, ...]  # ordered by start_offset, the first at 0
    start: datetime | None = None  # startSchedule: needed by Absolute and Recurring
    duration: int | None = None  # seconds; None: the last period lasts until the profile ends
    min_charging_rate: float | None = None
    schedule_id: int | None = None  # 2.0.1 ChargingScheduleType.id


@dataclass(slots=True, frozen=True)
class ChargingProfile:
    """A profile's content, as it is sent (and as a station reports it)."""

    profile_id: int
    purpose: ChargingProfilePurpose
    stack_level: int
    kind: ProfileKind
    schedules: tuple[ChargingSchedule, ...]
    evse_id: int = 0  # 0: the station as a whole
    recurrency: RecurrencyKind | None = None  # with kind Recurring
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: str | None = None  # the station-facing transaction id of a TxProfile


@dataclass(slots=True)
class StoredProfile:
    """A profile Voltline keeps for a station, and where its delivery stands."""

    station_id: str
    profile: ChargingProfile
    source: ProfileSource
    set_by: str  # the actor: a user name, an API key's name, a controller's name, or the station id
    set_at: datetime
    state: DeliveryState = DeliveryState.PENDING
    status_reason: str | None = None  # the station's reason for a refusal (2.0.1 statusInfo, or the status)
    updated_at: datetime | None = None
    template_id: int | None = None  # applied from this template


@dataclass(slots=True, frozen=True)
class ReportedProfile:
    """A profile a station reported holding (2.0.1 ReportChargingProfiles): the station's view."""

    station_id: str
    limit_source: str  # ChargingLimitSourceEnumType: CSO (set by a CSMS), EMS, SO, Other
    profile: ChargingProfile
    request_id: int
    reported_at: datetime


class LimitKind(StrEnum):
    EXTERNAL = "external"  # NotifyChargingLimit: a limit from outside the CSMS (EMS, grid operator)
    EV_NEEDS = "ev_needs"  # NotifyEVChargingNeeds (ISO 15118)
    EV_SCHEDULE = "ev_schedule"  # NotifyEVChargingSchedule: the schedule the EV negotiated


@dataclass(slots=True, frozen=True)
class ChargingLimit:
    """A limit a station reported (or what an EV asked for), kept until it is cleared or replaced.

    `detail` holds the reported content in Voltline's own shape: for EXTERNAL the schedules (as
    ChargingSchedule fields) and whether it is grid critical; for EV_NEEDS the departure time, energy
    amount and current/power range; for EV_SCHEDULE the EV's schedule.
    """

    station_id: str
    kind: LimitKind
    source: str  # EMS, SO, Other, CSO (limits), or "EV"
    evse_id: int  # 0: the station as a whole
    detail: dict[str, object]
    reported_at: datetime
    grid_critical: bool | None = None


@dataclass(slots=True, frozen=True)
class ProfileTemplate:
    """A profile content to apply to many stations (each gets it with its own profile id)."""

    template_id: int
    name: str
    profile: ChargingProfile  # profile_id is ignored when applied
    created_by: str
    created_at: datetime


@dataclass(slots=True, frozen=True)
class ChargingProfileChanged(DomainEvent):
    """A stored profile's delivery state changed (sent, accepted, rejected, cleared, retired)."""

    station_id: str
    profile_id: int
    evse_id: int
    state: str
    reason: str | None


@dataclass(slots=True, frozen=True)
class ChargingLimitChanged(DomainEvent):
    """A station reported (or cleared) a limit, or an EV's needs or schedule."""

    station_id: str
    kind: str
    source: str
    evse_id: int
    cleared: bool


# -- documents: Voltline's own JSON shape of schedules and profiles (stored whole, and in limits' detail)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_time(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def schedule_document(schedule: ChargingSchedule) -> dict[str, Any]:
    return {
        "unit": schedule.unit.value,
        "start": _time(schedule.start),
        "duration": schedule.duration,
        "min_charging_rate": schedule.min_charging_rate,
        "schedule_id": schedule.schedule_id,
        "periods": [[p.start_offset, p.limit, p.number_phases, p.phase_to_use] for p in schedule.periods],
    }


def schedule_of(document: dict[str, Any]) -> ChargingSchedule:
    return ChargingSchedule(
        unit=RateUnit(document["unit"]),
        periods=tuple(
            SchedulePeriod(int(o), float(limit), phases, phase) for o, limit, phases, phase in document["periods"]
        ),
        start=_parse_time(document.get("start")),
        duration=document.get("duration"),
        min_charging_rate=document.get("min_charging_rate"),
        schedule_id=document.get("schedule_id"),
    )


def profile_document(profile: ChargingProfile) -> dict[str, Any]:
    return {
        "profile_id": profile.profile_id,
        "purpose": profile.purpose.value,
        "stack_level": profile.stack_level,
        "kind": profile.kind.value,
        "evse_id": profile.evse_id,
        "recurrency": profile.recurrency.value if profile.recurrency else None,
        "valid_from": _time(profile.valid_from),
        "valid_to": _time(profile.valid_to),
        "transaction_id": profile.transaction_id,
        "schedules": [schedule_document(s) for s in profile.schedules],
    }


def profile_of(document: dict[str, Any]) -> ChargingProfile:
    return ChargingProfile(
        profile_id=int(document["profile_id"]),
        purpose=ChargingProfilePurpose(document["purpose"]),
        stack_level=int(document["stack_level"]),
        kind=ProfileKind(document["kind"]),
        schedules=tuple(schedule_of(s) for s in document["schedules"]),
        evse_id=int(document.get("evse_id") or 0),
        recurrency=RecurrencyKind(document["recurrency"]) if document.get("recurrency") else None,
        valid_from=_parse_time(document.get("valid_from")),
        valid_to=_parse_time(document.get("valid_to")),
        transaction_id=document.get("transaction_id"),
    )
