"""/api/v1/stations/{id}/charging-profiles, composite-schedule, charging-limits, and
/api/v1/charging-profile-templates: smart charging."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from voltline.api.deps import Provided
from voltline.api.errors import STATION_ANSWER_NOTE, error_responses
from voltline.api.params import StationId
from voltline.api.schemas import MAX_INT32, AnyCase
from voltline.areas.smart_charging.commands import ClearChargingProfile
from voltline.areas.smart_charging.model import RateUnit
from voltline.areas.smart_charging.schemas import (
    ChargingLimitBody,
    ClearBody,
    ClearRequest,
    CompositeBody,
    DeliveryBody,
    ProfileApplicationBody,
    ProfileApplyRequest,
    ProfileRequest,
    ProfileTemplateBody,
    ProfileTemplateRequest,
    PurposeName,
    RemoteStartWithProfileBody,
    RemoteStartWithProfileRequest,
    StationProfilesBody,
    StoredProfileBody,
    purpose_of,
)
from voltline.areas.smart_charging.service import SmartChargingService, StationProfiles

router = APIRouter(prefix="/stations/{station_id}", tags=["smart charging"])
templates_router = APIRouter(prefix="/charging-profile-templates", tags=["smart charging"])

STATION_CALL_ERRORS = error_responses(404, 409, 422, 502, 504)
ProfileId = Annotated[int, Path(ge=1, le=MAX_INT32, description="The profile's id on the station.")]
Service = Annotated[SmartChargingService, Provided(SmartChargingService)]
# A composite window of up to a week: stations compute it on request, and longer windows are not useful.
MAX_COMPOSITE_DURATION = 7 * 86400


@router.get(
    "/charging-profiles",
    summary="List a station's charging profiles",
    description="The profiles Voltline keeps for the station, with where each one's delivery stands "
    "(pending, accepted, rejected with the station's reason, cleared). `active=true`: only pending and accepted.",
    response_model=list[StoredProfileBody],
    responses=error_responses(404, 422),
)
async def list_profiles(
    station_id: StationId,
    service: Service,
    active: Annotated[bool, Query(description="Only pending and accepted profiles.")] = False,
) -> list[StoredProfileBody]:
    return [StoredProfileBody.of(r) for r in await service.profiles(station_id, active_only=active)]


@router.post(
    "/charging-profiles",
    summary="Set a charging profile on a station",
    description="Checks the profile against the station's OCPP version and the limits it announced (periods "
    "per schedule, stack level, rate units: 422 naming the field, nothing sent), stores it and sends "
    "SetChargingProfile. 201 with the station's answer; a station that refuses leaves the profile "
    "`rejected` with its reason. An offline station gets it after its next boot (202, `sent: false`). "
    "The same profile id, or the same EVSE, purpose and stack level, replaces the profile the station held.",
    response_model=DeliveryBody,
    status_code=201,
    responses={202: {"description": "Stored; the station is offline.", "model": DeliveryBody}, **STATION_CALL_ERRORS},
)
async def set_profile(
    station_id: StationId, body: ProfileRequest, service: Service, response: Response
) -> DeliveryBody:
    delivery = await service.set_profile(station_id, body.profile())
    if delivery.answer is None:
        response.status_code = 202
    response.headers["Location"] = (
        f"/api/v1/stations/{station_id}/charging-profiles/{delivery.record.profile.profile_id}"
    )
    return DeliveryBody.of(delivery)


@router.get(
    "/reported-charging-profiles",
    summary="The profiles a station last reported holding",
    response_model=StationProfilesBody,
    responses=error_responses(404),
)
async def reported_profiles(station_id: StationId, service: Service) -> StationProfilesBody:
    await service.limits(station_id)  # 404 for an unknown station
    return StationProfilesBody.of(StationProfiles("Stored", await service.reported(station_id)))


@router.get(
    "/charging-profiles/{profile_id}",
    summary="View one charging profile",
    response_model=StoredProfileBody,
    responses=error_responses(404),
)
async def get_profile(station_id: StationId, profile_id: ProfileId, service: Service) -> StoredProfileBody:
    return StoredProfileBody.of(await service.profile(station_id, profile_id))


@router.delete(
    "/charging-profiles/{profile_id}",
    summary="Clear one charging profile",
    description="Sends ClearChargingProfile with the profile's id and marks it cleared once the station "
    "answered Accepted (or Unknown: it no longer held it). A profile never delivered is cleared here alone "
    "(`NotSent`) while the station is offline." + STATION_ANSWER_NOTE,
    response_model=ClearBody,
    responses=STATION_CALL_ERRORS,
)
async def delete_profile(station_id: StationId, profile_id: ProfileId, service: Service) -> ClearBody:
    return ClearBody.of(await service.delete_profile(station_id, profile_id))


@router.post(
    "/clear-charging-profiles",
    summary="Clear charging profiles by criteria",
    description="ClearChargingProfile by profile id, or by EVSE / purpose / stack level (every criterion "
    "given must match; none: every profile the CSMS set)." + STATION_ANSWER_NOTE,
    response_model=ClearBody,
    responses=STATION_CALL_ERRORS,
)
async def clear_profiles(station_id: StationId, body: ClearRequest, service: Service) -> ClearBody:
    criteria = ClearChargingProfile(
        profile_id=body.profile_id,
        evse_id=body.evse_id,
        purpose=purpose_of(PurposeName(body.purpose)) if body.purpose is not None else None,
        stack_level=body.stack_level,
    )
    return ClearBody.of(await service.clear(station_id, criteria))


@router.post(
    "/reported-charging-profiles",
    summary="Ask a 2.0.1 station which profiles it holds",
    description="Sends GetChargingProfiles and waits for the ReportChargingProfiles parts; the answer (and "
    "GET .../reported-charging-profiles afterwards) is the station's own view, whoever set the profiles. "
    "OCPP 1.6 cannot list profiles (422): compare its composite schedule instead.",
    response_model=StationProfilesBody,
    responses=STATION_CALL_ERRORS,
)
async def report_profiles(
    station_id: StationId,
    service: Service,
    evse_id: Annotated[int | None, Query(ge=0, le=MAX_INT32, description="Only this EVSE's profiles.")] = None,
) -> StationProfilesBody:
    return StationProfilesBody.of(await service.station_profiles(station_id, evse_id))


@router.get(
    "/composite-schedule",
    summary="The composite schedule: ours, the station's, and where they differ",
    description="Voltline's composite of the profiles the station accepted (and the external constraints it "
    "reported), next to the station's GetCompositeSchedule answer over the same window when it is online; "
    "`matches` is false and `differences` lists the intervals where they differ by more than 0.1. "
    "`ask_station=false` computes ours alone.",
    response_model=CompositeBody,
    responses=error_responses(404, 422),
)
async def composite_schedule(
    station_id: StationId,
    service: Service,
    evse_id: Annotated[int, Query(ge=0, le=MAX_INT32, description="0: the station as a whole.")] = 0,
    duration: Annotated[int, Query(ge=1, le=MAX_COMPOSITE_DURATION, description="Seconds from now.")] = 3600,
    unit: Annotated[AnyCase[RateUnit], Query(description="A or W.")] = RateUnit.AMPERES,
    ask_station: Annotated[bool, Query(description="Also ask the station (GetCompositeSchedule).")] = True,
) -> CompositeBody:
    return CompositeBody.of(
        await service.composite(station_id, evse_id, duration, RateUnit(unit), ask_station=ask_station)
    )


@router.get(
    "/charging-limits",
    summary="Limits the station reported, and what EVs asked for",
    description="External constraints (NotifyChargingLimit from an EMS or grid operator, until "
    "ClearedChargingLimit), EV charging needs (NotifyEVChargingNeeds, ISO 15118) and the EVs' schedules.",
    response_model=list[ChargingLimitBody],
    responses=error_responses(404),
)
async def charging_limits(station_id: StationId, service: Service) -> list[ChargingLimitBody]:
    return [ChargingLimitBody.of(limit) for limit in await service.limits(station_id)]


@router.post(
    "/remote-start-with-profile",
    summary="Start a transaction under a TxProfile",
    description="RemoteStartTransaction (1.6) / RequestStartTransaction (2.0.1) carrying a TxProfile for the "
    "transaction it begins; the profile is kept once the station accepts. `?wait=` as for remote-start."
    + STATION_ANSWER_NOTE,
    response_model=RemoteStartWithProfileBody,
    responses=STATION_CALL_ERRORS,
)
async def remote_start_with_profile(
    station_id: StationId,
    body: RemoteStartWithProfileRequest,
    service: Service,
    wait: Annotated[float, Query(ge=0, le=60, description="Seconds to wait for the transaction.")] = 0,
) -> RemoteStartWithProfileBody:
    outcome, record = await service.remote_start_with_profile(
        station_id,
        body.id_token,
        body.evse_id,
        body.profile.to_domain(body.profile_id or 0),
        check_token=body.check_token,
        wait=wait,
    )
    return RemoteStartWithProfileBody.of(outcome, record)


@templates_router.get("", summary="List charging profile templates", response_model=list[ProfileTemplateBody])
async def list_templates(service: Service) -> list[ProfileTemplateBody]:
    return [ProfileTemplateBody.of(t) for t in await service.templates()]


@templates_router.post(
    "",
    summary="Create a charging profile template",
    description="A profile content (not a TxProfile) to apply to many stations; each station's own "
    "version and limits are checked when it is applied.",
    response_model=ProfileTemplateBody,
    status_code=201,
    responses=error_responses(409, 422),
)
async def add_template(body: ProfileTemplateRequest, service: Service) -> ProfileTemplateBody:
    return ProfileTemplateBody.of(await service.add_template(body.name, body.profile.to_domain()))


@templates_router.get("/{template_id}", response_model=ProfileTemplateBody, responses=error_responses(404))
async def get_template(template_id: Annotated[int, Path(ge=1, le=MAX_INT32)], service: Service) -> ProfileTemplateBody:
    return ProfileTemplateBody.of(await service.template(template_id))


@templates_router.delete("/{template_id}", status_code=204, responses=error_responses(404))
async def delete_template(template_id: Annotated[int, Path(ge=1, le=MAX_INT32)], service: Service) -> None:
    await service.delete_template(template_id)


@templates_router.post(
    "/{template_id}/apply",
    summary="Apply a template to stations",
    description="Sets the template's profile on each station (with its own next profile id): each station's "
    "delivery, or the error that stopped it (unknown station, a limit it announced).",
    response_model=list[ProfileApplicationBody],
    responses=error_responses(404, 422),
)
async def apply_template(
    template_id: Annotated[int, Path(ge=1, le=MAX_INT32)], body: ProfileApplyRequest, service: Service
) -> list[ProfileApplicationBody]:
    return [ProfileApplicationBody.of(a) for a in await service.apply_template(template_id, body.station_ids)]
