"""Request and response bodies of the smart-charging endpoints.

Profiles are written in Voltline's own words (snake_case fields, seconds, A or W) with the purpose and
kinds spelled as OCPP spells them; both versions' purpose names are accepted (1.6 ChargePointMaxProfile is
2.0.1 ChargingStationMaxProfile).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from voltline.api.params import STATION_ID_PATTERN
from voltline.api.schemas import MAX_INT32, AnyCase, StatusInfoBody, Strict, UtcDatetime
from voltline.areas.remote_control.service import RemoteStartOutcome
from voltline.areas.smart_charging.model import (
    ChargingLimit,
    ChargingProfile,
    ChargingProfilePurpose,
    ChargingSchedule,
    DeliveryState,
    ProfileKind,
    ProfileSource,
    ProfileTemplate,
    RateUnit,
    RecurrencyKind,
    ReportedProfile,
    SchedulePeriod,
    StoredProfile,
)
from voltline.areas.smart_charging.service import (
    ClearOutcome,
    CompositeView,
    ProfileDelivery,
    StationProfiles,
    TemplateApplication,
)
from voltline.areas.smart_charging.stack import CompositeSchedule


class PurposeName(StrEnum):
    CHARGING_STATION_MAX_PROFILE = "ChargingStationMaxProfile"
    CHARGE_POINT_MAX_PROFILE = "ChargePointMaxProfile"  # the 1.6 name of the same purpose
    TX_DEFAULT_PROFILE = "TxDefaultProfile"
    TX_PROFILE = "TxProfile"
    CHARGING_STATION_EXTERNAL_CONSTRAINTS = "ChargingStationExternalConstraints"


_PURPOSE_OF = {
    PurposeName.CHARGING_STATION_MAX_PROFILE: ChargingProfilePurpose.STATION_MAX,
    PurposeName.CHARGE_POINT_MAX_PROFILE: ChargingProfilePurpose.STATION_MAX,
    PurposeName.TX_DEFAULT_PROFILE: ChargingProfilePurpose.TX_DEFAULT,
    PurposeName.TX_PROFILE: ChargingProfilePurpose.TX,
    PurposeName.CHARGING_STATION_EXTERNAL_CONSTRAINTS: ChargingProfilePurpose.EXTERNAL_CONSTRAINTS,
}
_NAME_OF = {
    ChargingProfilePurpose.STATION_MAX: PurposeName.CHARGING_STATION_MAX_PROFILE,
    ChargingProfilePurpose.TX_DEFAULT: PurposeName.TX_DEFAULT_PROFILE,
    ChargingProfilePurpose.TX: PurposeName.TX_PROFILE,
    ChargingProfilePurpose.EXTERNAL_CONSTRAINTS: PurposeName.CHARGING_STATION_EXTERNAL_CONSTRAINTS,
}


def purpose_of(name: PurposeName) -> ChargingProfilePurpose:
    return _PURPOSE_OF[name]


def _one_decimal(value: float) -> float:
    # Both versions carry limits with one fractional digit (1.6 has the schema say multipleOf 0.1).
    if abs(round(value, 1) - value) > 1e-9:
        raise ValueError("a limit has at most one decimal (e.g. 16 or 11.5)")
    return round(value, 1)


Limit = Annotated[float, Field(ge=0, le=1e9), AfterValidator(_one_decimal)]
Seconds = Annotated[int, Field(ge=0, le=MAX_INT32)]


class PeriodBody(Strict):
    start_offset: Seconds = Field(description="Seconds from the schedule's start; the first period starts at 0.")
    limit: Limit = Field(description="In the schedule's unit: A per phase, or W in total.", examples=[16])
    number_phases: int | None = Field(default=None, ge=1, le=3, description="Phases charged on (default 3).")
    phase_to_use: int | None = Field(
        default=None, ge=1, le=3, description="OCPP 2.0.1 only, with number_phases 1: the phase to charge on."
    )

    def to_domain(self) -> SchedulePeriod:
        return SchedulePeriod(self.start_offset, self.limit, self.number_phases, self.phase_to_use)

    @classmethod
    def of(cls, period: SchedulePeriod) -> PeriodBody:
        return cls.model_construct(
            start_offset=period.start_offset,
            limit=period.limit,
            number_phases=period.number_phases,
            phase_to_use=period.phase_to_use,
        )


class ScheduleBody(Strict):
    unit: AnyCase[RateUnit] = Field(description="A (per phase) or W (total).", examples=["A"])
    periods: list[PeriodBody] = Field(min_length=1, max_length=1024)
    start: UtcDatetime | None = Field(default=None, description="Absolute and Recurring: when the schedule starts.")
    duration: int | None = Field(default=None, ge=1, le=MAX_INT32, description="Seconds; none: until the profile ends.")
    min_charging_rate: Limit | None = Field(default=None, description="The lowest rate the EV charges at.")

    def to_domain(self) -> ChargingSchedule:
        return ChargingSchedule(
            unit=RateUnit(self.unit),
            periods=tuple(p.to_domain() for p in self.periods),
            start=self.start,
            duration=self.duration,
            min_charging_rate=self.min_charging_rate,
        )

    @classmethod
    def of(cls, schedule: ChargingSchedule) -> ScheduleBody:
        return cls.model_construct(
            unit=schedule.unit,
            periods=[PeriodBody.of(p) for p in schedule.periods],
            start=schedule.start,
            duration=schedule.duration,
            min_charging_rate=schedule.min_charging_rate,
        )


_EXAMPLE: dict[str, Any] = {
    "purpose": "TxDefaultProfile",
    "stack_level": 0,
    "kind": "Absolute",
    "evse_id": 0,
    "schedules": [{"unit": "A", "start": "2026-12-05T00:00:00Z", "periods": [{"start_offset": 0, "limit": 16}]}],
}


class ProfileContentBody(Strict):
    """What a profile holds, without the station it is for."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [_EXAMPLE]})

    purpose: AnyCase[PurposeName]
    stack_level: int = Field(ge=0, le=1000)
    kind: AnyCase[ProfileKind] = Field(examples=["Absolute"])
    evse_id: int = Field(default=0, ge=0, le=MAX_INT32, description="0: the station as a whole.")
    recurrency: AnyCase[RecurrencyKind] | None = Field(default=None, description="With kind Recurring.")
    valid_from: UtcDatetime | None = None
    valid_to: UtcDatetime | None = None
    schedules: list[ScheduleBody] = Field(
        min_length=1, max_length=3, description="One (OCPP 1.6), or up to three (2.0.1)."
    )

    def to_domain(self, profile_id: int = 0, transaction_id: str | None = None) -> ChargingProfile:
        return ChargingProfile(
            profile_id=profile_id,
            purpose=purpose_of(PurposeName(self.purpose)),
            stack_level=self.stack_level,
            kind=ProfileKind(self.kind),
            schedules=tuple(s.to_domain() for s in self.schedules),
            evse_id=self.evse_id,
            recurrency=RecurrencyKind(self.recurrency) if self.recurrency is not None else None,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            transaction_id=transaction_id,
        )


class ProfileRequest(ProfileContentBody):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [_EXAMPLE, {**_EXAMPLE, "purpose": "TxProfile", "evse_id": 1, "transaction_id": "42"}]
        },
    )

    profile_id: int | None = Field(
        default=None, ge=1, le=MAX_INT32, description="None: the station's next free profile id. The same id replaces."
    )
    transaction_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=36,
        pattern=r"^[\x21-\x7e]+$",
        description="A TxProfile's transaction: its Voltline id or the station's own id.",
    )

    def profile(self) -> ChargingProfile:
        return self.to_domain(self.profile_id or 0, self.transaction_id)


class ProfileBody(BaseModel):
    station_id: str | None = Field(default=None, description="None in a template.")
    profile_id: int
    purpose: PurposeName
    stack_level: int
    kind: ProfileKind
    evse_id: int
    recurrency: RecurrencyKind | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: str | None = Field(default=None, description="The station's id of a TxProfile's transaction.")
    schedules: list[ScheduleBody]

    @staticmethod
    def fields_of(profile: ChargingProfile) -> dict[str, Any]:
        return {
            "profile_id": profile.profile_id,
            "purpose": _NAME_OF[profile.purpose],
            "stack_level": profile.stack_level,
            "kind": profile.kind,
            "evse_id": profile.evse_id,
            "recurrency": profile.recurrency,
            "valid_from": profile.valid_from,
            "valid_to": profile.valid_to,
            "transaction_id": profile.transaction_id,
            "schedules": [ScheduleBody.of(s) for s in profile.schedules],
        }


class StoredProfileBody(ProfileBody):
    state: DeliveryState = Field(
        description="pending: stored, not (yet) confirmed by the station (an offline station gets it after its "
        "next boot); accepted; rejected (see status_reason); cleared (or retired when its validity or "
        "transaction ended)."
    )
    status_reason: str | None = Field(
        default=None, description="The station's reason for a refusal, or why it is cleared."
    )
    source: ProfileSource
    set_by: str = Field(description="Who set it: user:<name>, key:<name>, or system.")
    set_at: datetime
    updated_at: datetime | None = None
    template_id: int | None = None

    @classmethod
    def of(cls, record: StoredProfile) -> StoredProfileBody:
        return cls.model_construct(
            station_id=record.station_id,
            **ProfileBody.fields_of(record.profile),
            state=record.state,
            status_reason=record.status_reason,
            source=record.source,
            set_by=record.set_by,
            set_at=record.set_at,
            updated_at=record.updated_at,
            template_id=record.template_id,
        )


class DeliveryBody(BaseModel):
    profile: StoredProfileBody
    sent: bool = Field(description="Whether it was sent now (false: the station is offline; it stays pending).")
    status: str | None = Field(default=None, description="The station's SetChargingProfile answer.")
    status_info: StatusInfoBody | None = None

    @classmethod
    def of(cls, delivery: ProfileDelivery) -> DeliveryBody:
        answer = delivery.answer
        return cls(
            profile=StoredProfileBody.of(delivery.record),
            sent=answer is not None,
            status=answer.status if answer is not None else None,
            status_info=StatusInfoBody.of(answer.status_info) if answer is not None else None,
        )


class ClearRequest(Strict):
    """What to clear: by profile id, or by EVSE / purpose / stack level (all given must match)."""

    profile_id: int | None = Field(default=None, ge=1, le=MAX_INT32)
    evse_id: int | None = Field(default=None, ge=0, le=MAX_INT32)
    purpose: AnyCase[PurposeName] | None = None
    stack_level: int | None = Field(default=None, ge=0, le=1000)


class ClearBody(BaseModel):
    status: str = Field(
        description="The station's answer (Accepted, Unknown), or NotSent for a profile never delivered."
    )
    status_info: StatusInfoBody | None = None
    cleared: list[int] = Field(description="The stored profiles now marked cleared.")

    @classmethod
    def of(cls, outcome: ClearOutcome) -> ClearBody:
        return cls(
            status=outcome.status, status_info=StatusInfoBody.of(outcome.status_info), cleared=list(outcome.cleared)
        )


class CompositePeriodBody(BaseModel):
    start_offset: int
    limit: float
    number_phases: int | None = None


class CompositeScheduleBody(BaseModel):
    start: datetime
    duration: int
    unit: RateUnit
    periods: list[CompositePeriodBody]

    @classmethod
    def of(cls, schedule: CompositeSchedule) -> CompositeScheduleBody:
        return cls(
            start=schedule.start,
            duration=schedule.duration,
            unit=schedule.unit,
            periods=[
                CompositePeriodBody(start_offset=p.start_offset, limit=p.limit, number_phases=p.number_phases)
                for p in schedule.periods
            ],
        )


class DifferenceBody(BaseModel):
    start_offset: int
    end_offset: int
    ours: float
    station: float


class CompositeBody(BaseModel):
    evse_id: int
    ours: CompositeScheduleBody = Field(description="Voltline's composite of the profiles the station accepted.")
    station: CompositeScheduleBody | None = Field(description="The station's GetCompositeSchedule answer.")
    station_status: str | None = None
    station_error: str | None = Field(default=None, description="Why the station's schedule is missing.")
    matches: bool | None = Field(description="Whether both agree (within 0.1); null without a station schedule.")
    differences: list[DifferenceBody]

    @classmethod
    def of(cls, view: CompositeView) -> CompositeBody:
        return cls(
            evse_id=view.evse_id,
            ours=CompositeScheduleBody.of(view.ours),
            station=CompositeScheduleBody.of(view.station) if view.station is not None else None,
            station_status=view.station_status,
            station_error=view.station_error,
            matches=view.matches,
            differences=[
                DifferenceBody(start_offset=d.start_offset, end_offset=d.end_offset, ours=d.ours, station=d.theirs)
                for d in view.differences
            ],
        )


class ReportedProfileBody(ProfileBody):
    limit_source: str = Field(description="Who set it on the station: CSO (a CSMS), EMS, SO, Other.")
    request_id: int
    reported_at: datetime

    @classmethod
    def of(cls, reported: ReportedProfile) -> ReportedProfileBody:
        return cls.model_construct(
            station_id=reported.station_id,
            **ProfileBody.fields_of(reported.profile),
            limit_source=reported.limit_source,
            request_id=reported.request_id,
            reported_at=reported.reported_at,
        )


class StationProfilesBody(BaseModel):
    status: str
    status_info: StatusInfoBody | None = None
    profiles: list[ReportedProfileBody]

    @classmethod
    def of(cls, listing: StationProfiles) -> StationProfilesBody:
        return cls(
            status=listing.status,
            status_info=StatusInfoBody.of(listing.status_info),
            profiles=[ReportedProfileBody.of(p) for p in listing.profiles],
        )


class ChargingLimitBody(BaseModel):
    kind: str = Field(description="external (NotifyChargingLimit), ev_needs (NotifyEVChargingNeeds), ev_schedule.")
    source: str
    evse_id: int
    grid_critical: bool | None = None
    detail: dict[str, object]
    reported_at: datetime

    @classmethod
    def of(cls, limit: ChargingLimit) -> ChargingLimitBody:
        return cls(
            kind=limit.kind.value,
            source=limit.source,
            evse_id=limit.evse_id,
            grid_critical=limit.grid_critical,
            detail=limit.detail,
            reported_at=limit.reported_at,
        )


class RemoteStartWithProfileRequest(Strict):
    id_token: str = Field(min_length=1, max_length=36, pattern=r"^[\x21-\x7e]+$")
    evse_id: int = Field(ge=1, le=MAX_INT32)
    check_token: bool = True
    profile: ProfileContentBody = Field(description="The TxProfile (purpose, evse_id and transaction are set here).")
    profile_id: int | None = Field(default=None, ge=1, le=MAX_INT32)


class RemoteStartWithProfileBody(BaseModel):
    status: str = Field(description="The station's answer status word.", examples=["Accepted"])
    status_info: StatusInfoBody | None = None
    remote_start_id: int = Field(description="As for remote-start: the transaction that follows carries it.")
    transaction_id: int | None = Field(default=None, description="With `?wait=`: Voltline's id of the transaction.")
    profile: StoredProfileBody | None = Field(description="The TxProfile kept (once the station accepted).")

    @classmethod
    def of(cls, outcome: RemoteStartOutcome, record: StoredProfile | None) -> RemoteStartWithProfileBody:
        return cls(
            status=outcome.answer.status,
            status_info=StatusInfoBody.of(outcome.answer.status_info),
            remote_start_id=outcome.remote_start_id,
            transaction_id=outcome.transaction.id if outcome.transaction is not None else None,
            profile=StoredProfileBody.of(record) if record is not None else None,
        )


class ProfileTemplateRequest(Strict):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
    profile: ProfileContentBody


class ProfileTemplateBody(BaseModel):
    id: int
    name: str
    profile: ProfileBody
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, template: ProfileTemplate) -> ProfileTemplateBody:
        return cls(
            id=template.template_id,
            name=template.name,
            profile=ProfileBody.model_construct(station_id=None, **ProfileBody.fields_of(template.profile)),
            created_by=template.created_by,
            created_at=template.created_at,
        )


class ProfileApplyRequest(Strict):
    station_ids: list[Annotated[str, Field(min_length=1, max_length=48, pattern=STATION_ID_PATTERN)]] = Field(
        min_length=1, max_length=1000
    )


class ProfileApplicationBody(BaseModel):
    station_id: str
    delivery: DeliveryBody | None = None
    error: str | None = None

    @classmethod
    def of(cls, application: TemplateApplication) -> ProfileApplicationBody:
        return cls(
            station_id=application.station_id,
            delivery=DeliveryBody.of(application.delivery) if application.delivery is not None else None,
            error=application.error,
        )
