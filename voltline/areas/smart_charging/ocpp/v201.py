"""Smart-charging commands -> OCPP 2.0.1 calls, and the handlers of what 2.0.1 stations report (block K).

2.0.1 profiles carry one to three schedules, each with an id; a TxProfile names the station's (string)
transaction id. Stations report the profiles they hold (ReportChargingProfiles, in parts answering a
GetChargingProfiles), limits from outside the CSMS (NotifyChargingLimit, ClearedChargingLimit) and, with
ISO 15118, what the EV needs (NotifyEVChargingNeeds) and the schedule it negotiated (NotifyEVChargingSchedule).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from voltline.areas.remote_control.ocpp.v201_remote_start import request_start
from voltline.areas.smart_charging.commands import (
    ClearChargingProfile,
    GetChargingProfiles,
    GetCompositeSchedule,
    ProfileAnswer,
    RemoteStartWithProfile,
    SetChargingProfile,
    StationComposite,
)
from voltline.areas.smart_charging.model import (
    ChargingLimit,
    ChargingProfile,
    ChargingProfilePurpose,
    ChargingSchedule,
    LimitKind,
    ProfileKind,
    RateUnit,
    RecurrencyKind,
    SchedulePeriod,
    schedule_document,
)
from voltline.areas.smart_charging.service import SmartChargingService
from voltline.kernel.clock import utcnow
from voltline.kernel.services import ServiceRegistry
from voltline.protocol.commands import EncoderTable, OutboundCall, Payload, status_info_of
from voltline.protocol.context import StationContext
from voltline.protocol.dispatcher import RouteTable
from voltline.protocol.timestamps import format_timestamp, parse_timestamp

PURPOSES = {
    ChargingProfilePurpose.STATION_MAX: "ChargingStationMaxProfile",
    ChargingProfilePurpose.TX_DEFAULT: "TxDefaultProfile",
    ChargingProfilePurpose.TX: "TxProfile",
    ChargingProfilePurpose.EXTERNAL_CONSTRAINTS: "ChargingStationExternalConstraints",
}
PURPOSE_OF = {name: purpose for purpose, name in PURPOSES.items()}


def schedule_payload(schedule: ChargingSchedule, index: int) -> Payload:
    periods: list[Payload] = []
    for period in schedule.periods:
        item: Payload = {"startPeriod": period.start_offset, "limit": period.limit}
        if period.number_phases is not None:
            item["numberPhases"] = period.number_phases
        if period.phase_to_use is not None:
            item["phaseToUse"] = period.phase_to_use
        periods.append(item)
    payload: Payload = {
        # The schedule id is required on the wire; a profile's schedules are numbered from 1 when unset.
        "id": schedule.schedule_id if schedule.schedule_id is not None else index + 1,
        "chargingRateUnit": schedule.unit.value,
        "chargingSchedulePeriod": periods,
    }
    if schedule.duration is not None:
        payload["duration"] = schedule.duration
    if schedule.start is not None:
        payload["startSchedule"] = format_timestamp(schedule.start)
    if schedule.min_charging_rate is not None:
        payload["minChargingRate"] = schedule.min_charging_rate
    return payload


def profile_payload(profile: ChargingProfile, *, with_transaction: bool = True) -> Payload:
    payload: Payload = {
        "id": profile.profile_id,
        "stackLevel": profile.stack_level,
        "chargingProfilePurpose": PURPOSES[profile.purpose],
        "chargingProfileKind": profile.kind.value,
        "chargingSchedule": [schedule_payload(s, i) for i, s in enumerate(profile.schedules)],
    }
    if with_transaction and profile.transaction_id is not None:
        payload["transactionId"] = profile.transaction_id
    if profile.recurrency is not None:
        payload["recurrencyKind"] = profile.recurrency.value
    if profile.valid_from is not None:
        payload["validFrom"] = format_timestamp(profile.valid_from)
    if profile.valid_to is not None:
        payload["validTo"] = format_timestamp(profile.valid_to)
    return payload


def schedule_of(payload: Payload) -> ChargingSchedule:
    """A schema-valid 2.0.1 ChargingScheduleType as a domain value."""
    start = payload.get("startSchedule")
    return ChargingSchedule(
        unit=RateUnit(payload["chargingRateUnit"]),
        periods=tuple(
            SchedulePeriod(int(p["startPeriod"]), float(p["limit"]), p.get("numberPhases"), p.get("phaseToUse"))
            for p in payload["chargingSchedulePeriod"]
        ),
        start=parse_timestamp(start) if start is not None else None,
        duration=payload.get("duration"),
        min_charging_rate=payload.get("minChargingRate"),
        schedule_id=payload.get("id"),
    )


def profile_of(payload: Payload, evse_id: int) -> ChargingProfile:
    """A schema-valid 2.0.1 ChargingProfileType (as a station reports it) as a domain value."""
    recurrency = payload.get("recurrencyKind")
    valid_from = payload.get("validFrom")
    valid_to = payload.get("validTo")
    return ChargingProfile(
        profile_id=int(payload["id"]),
        purpose=PURPOSE_OF[payload["chargingProfilePurpose"]],
        stack_level=int(payload["stackLevel"]),
        kind=ProfileKind(payload["chargingProfileKind"]),
        schedules=tuple(schedule_of(s) for s in payload["chargingSchedule"]),
        evse_id=evse_id,
        recurrency=RecurrencyKind(recurrency) if recurrency is not None else None,
        valid_from=parse_timestamp(valid_from) if valid_from is not None else None,
        valid_to=parse_timestamp(valid_to) if valid_to is not None else None,
        transaction_id=payload.get("transactionId"),
    )


def _answer(answer: Payload) -> ProfileAnswer:
    return ProfileAnswer(str(answer["status"]), status_info_of(answer))


def set_charging_profile(command: SetChargingProfile) -> OutboundCall:
    payload = {"evseId": command.profile.evse_id, "chargingProfile": profile_payload(command.profile)}
    return OutboundCall("SetChargingProfile", payload, decode=_answer)


def clear_charging_profile(command: ClearChargingProfile) -> OutboundCall:
    payload: Payload = {}
    if command.profile_id is not None:
        payload["chargingProfileId"] = command.profile_id
    criteria: Payload = {}
    if command.evse_id is not None:
        criteria["evseId"] = command.evse_id
    if command.purpose is not None:
        criteria["chargingProfilePurpose"] = PURPOSES[command.purpose]
    if command.stack_level is not None:
        criteria["stackLevel"] = command.stack_level
    if criteria:
        payload["chargingProfileCriteria"] = criteria
    return OutboundCall("ClearChargingProfile", payload, decode=_answer)


def get_composite_schedule(command: GetCompositeSchedule) -> OutboundCall:
    payload: Payload = {"evseId": command.evse_id, "duration": command.duration}
    if command.unit is not None:
        payload["chargingRateUnit"] = command.unit.value

    def decode(answer: Payload) -> StationComposite:
        schedule = answer.get("schedule")
        if schedule is None:
            return StationComposite(str(answer["status"]), command.evse_id, status_info=status_info_of(answer))
        return StationComposite(
            status=str(answer["status"]),
            evse_id=int(schedule["evseId"]),
            schedule_start=parse_timestamp(schedule["scheduleStart"]),
            schedule=ChargingSchedule(
                unit=RateUnit(schedule["chargingRateUnit"]),
                periods=tuple(
                    SchedulePeriod(int(p["startPeriod"]), float(p["limit"]), p.get("numberPhases"), p.get("phaseToUse"))
                    for p in schedule["chargingSchedulePeriod"]
                ),
                start=parse_timestamp(schedule["scheduleStart"]),
                duration=schedule["duration"],
            ),
            status_info=status_info_of(answer),
        )

    return OutboundCall("GetCompositeSchedule", payload, decode=decode)


def get_charging_profiles(command: GetChargingProfiles) -> OutboundCall:
    criterion: Payload = {}
    if command.purpose is not None:
        criterion["chargingProfilePurpose"] = PURPOSES[command.purpose]
    if command.stack_level is not None:
        criterion["stackLevel"] = command.stack_level
    if command.profile_ids:
        criterion["chargingProfileId"] = list(command.profile_ids)
    if command.sources:
        criterion["chargingLimitSource"] = list(command.sources)
    payload: Payload = {"requestId": command.request_id, "chargingProfile": criterion}
    if command.evse_id is not None:
        payload["evseId"] = command.evse_id
    return OutboundCall("GetChargingProfiles", payload, decode=_answer)


def remote_start_with_profile(command: RemoteStartWithProfile) -> OutboundCall:
    call = request_start(command.start)
    payload = {**call.payload, "chargingProfile": profile_payload(command.profile, with_transaction=False)}
    return OutboundCall(call.action, payload, call.decode)


ENCODERS: EncoderTable = {
    SetChargingProfile: set_charging_profile,
    ClearChargingProfile: clear_charging_profile,
    GetCompositeSchedule: get_composite_schedule,
    GetChargingProfiles: get_charging_profiles,
    RemoteStartWithProfile: remote_start_with_profile,
}


# -- what stations report


async def report_charging_profiles(
    service: SmartChargingService, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
    evse_id = int(payload["evseId"])
    profiles = [profile_of(p, evse_id) for p in payload["chargingProfile"]]
    await service.profiles_reported(
        ctx.station_id,
        int(payload["requestId"]),
        str(payload["chargingLimitSource"]),
        profiles,
        more=bool(payload.get("tbc", False)),
    )
    return {}


async def notify_charging_limit(
    service: SmartChargingService, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
    limit = payload["chargingLimit"]
    schedules = [schedule_of(s) for s in payload.get("chargingSchedule", [])]
    await service.limit_reported(
        ChargingLimit(
            station_id=ctx.station_id,
            kind=LimitKind.EXTERNAL,
            source=str(limit["chargingLimitSource"]),
            evse_id=int(payload.get("evseId", 0)),
            detail={"schedules": [schedule_document(s) for s in schedules]},
            reported_at=utcnow(),
            grid_critical=limit.get("isGridCritical"),
        )
    )
    return {}


async def cleared_charging_limit(
    service: SmartChargingService, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
    evse_id = payload.get("evseId")
    await service.limit_cleared(ctx.station_id, str(payload["chargingLimitSource"]), evse_id)
    return {}


async def notify_ev_charging_needs(
    service: SmartChargingService, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
    needs = payload["chargingNeeds"]
    detail: dict[str, object] = {"requested_energy_transfer": needs["requestedEnergyTransfer"]}
    if "departureTime" in needs:
        detail["departure_time"] = format_timestamp(parse_timestamp(needs["departureTime"]))
    ac = needs.get("acChargingParameters")
    if ac is not None:
        detail.update(
            energy_amount_wh=ac["energyAmount"],
            min_current_a=ac["evMinCurrent"],
            max_current_a=ac["evMaxCurrent"],
            max_voltage_v=ac["evMaxVoltage"],
        )
    dc = needs.get("dcChargingParameters")
    if dc is not None:
        detail.update(
            max_current_a=dc["evMaxCurrent"],
            max_voltage_v=dc["evMaxVoltage"],
            **{k: dc[w] for k, w in _DC_OPTIONAL.items() if w in dc},
        )
    if "maxScheduleTuples" in payload:
        detail["max_schedule_tuples"] = payload["maxScheduleTuples"]
    status = await service.ev_needs_reported(
        ChargingLimit(ctx.station_id, LimitKind.EV_NEEDS, "EV", int(payload["evseId"]), detail, utcnow())
    )
    return {"status": status}


_DC_OPTIONAL = {
    "energy_amount_wh": "energyAmount",
    "max_power_w": "evMaxPower",
    "energy_capacity_wh": "evEnergyCapacity",
    "full_soc": "fullSoC",
    "bulk_soc": "bulkSoC",
}


async def notify_ev_charging_schedule(
    service: SmartChargingService, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
    schedule = schedule_of(payload["chargingSchedule"])
    detail: dict[str, object] = {
        "time_base": format_timestamp(parse_timestamp(payload["timeBase"])),
        "schedule": schedule_document(schedule),
    }
    await service.limit_reported(
        ChargingLimit(ctx.station_id, LimitKind.EV_SCHEDULE, "EV", int(payload["evseId"]), detail, utcnow())
    )
    return {"status": "Accepted"}


def routes(services: ServiceRegistry) -> RouteTable:
    """The actions this area answers, each handler bound to the service it uses."""
    service = services[SmartChargingService]
    return {
        "ReportChargingProfiles": partial(report_charging_profiles, service),
        "NotifyChargingLimit": partial(notify_charging_limit, service),
        "ClearedChargingLimit": partial(cleared_charging_limit, service),
        "NotifyEVChargingNeeds": partial(notify_ev_charging_needs, service),
        "NotifyEVChargingSchedule": partial(notify_ev_charging_schedule, service),
    }
