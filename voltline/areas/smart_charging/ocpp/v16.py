"""Smart-charging commands -> OCPP 1.6 calls (block "Smart Charging" of the 1.6 specification).

1.6 names EVSE N connector N (0: the charge point), carries one schedule per profile and an integer
transaction id; a TxProfile sent with RemoteStartTransaction carries none (it is for the transaction
the start begins).
"""

from __future__ import annotations

from voltline.areas.remote_control.ocpp.v16_remote_start import remote_start
from voltline.areas.smart_charging.commands import (
    ClearChargingProfile,
    GetCompositeSchedule,
    ProfileAnswer,
    RemoteStartWithProfile,
    SetChargingProfile,
    StationComposite,
)
from voltline.areas.smart_charging.model import (
    ChargingProfile,
    ChargingProfilePurpose,
    ChargingSchedule,
    RateUnit,
    SchedulePeriod,
)
from voltline.kernel.errors import InvalidRequest
from voltline.protocol.commands import EncoderTable, OutboundCall, Payload
from voltline.protocol.timestamps import format_timestamp, parse_timestamp

PURPOSES = {
    ChargingProfilePurpose.STATION_MAX: "ChargePointMaxProfile",
    ChargingProfilePurpose.TX_DEFAULT: "TxDefaultProfile",
    ChargingProfilePurpose.TX: "TxProfile",
}
UNITS = {RateUnit.AMPERES: "A", RateUnit.WATTS: "W"}


def schedule_payload(schedule: ChargingSchedule) -> Payload:
    periods: list[Payload] = []
    for period in schedule.periods:
        item: Payload = {"startPeriod": period.start_offset, "limit": period.limit}
        if period.number_phases is not None:
            item["numberPhases"] = period.number_phases
        periods.append(item)
    payload: Payload = {"chargingRateUnit": UNITS[schedule.unit], "chargingSchedulePeriod": periods}
    if schedule.duration is not None:
        payload["duration"] = schedule.duration
    if schedule.start is not None:
        payload["startSchedule"] = format_timestamp(schedule.start)
    if schedule.min_charging_rate is not None:
        payload["minChargingRate"] = schedule.min_charging_rate
    return payload


def profile_payload(profile: ChargingProfile, *, with_transaction: bool = True) -> Payload:
    purpose = PURPOSES.get(profile.purpose)
    if purpose is None:
        raise InvalidRequest(f"purpose: OCPP 1.6 has no {profile.purpose.value} profiles")
    payload: Payload = {
        "chargingProfileId": profile.profile_id,
        "stackLevel": profile.stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": profile.kind.value,
        "chargingSchedule": schedule_payload(profile.schedules[0]),
    }
    if with_transaction and profile.transaction_id is not None:
        if not profile.transaction_id.isdigit():
            raise InvalidRequest(f"transaction_id: {profile.transaction_id!r} is not an OCPP 1.6 transaction id")
        payload["transactionId"] = int(profile.transaction_id)
    if profile.recurrency is not None:
        payload["recurrencyKind"] = profile.recurrency.value
    if profile.valid_from is not None:
        payload["validFrom"] = format_timestamp(profile.valid_from)
    if profile.valid_to is not None:
        payload["validTo"] = format_timestamp(profile.valid_to)
    return payload


def _answer(answer: Payload) -> ProfileAnswer:
    return ProfileAnswer(str(answer["status"]))


def set_charging_profile(command: SetChargingProfile) -> OutboundCall:
    payload = {"connectorId": command.profile.evse_id, "csChargingProfiles": profile_payload(command.profile)}
    return OutboundCall("SetChargingProfile", payload, decode=_answer)


def clear_charging_profile(command: ClearChargingProfile) -> OutboundCall:
    payload: Payload = {}
    if command.profile_id is not None:
        payload["id"] = command.profile_id
    if command.evse_id is not None:
        payload["connectorId"] = command.evse_id
    if command.purpose is not None:
        purpose = PURPOSES.get(command.purpose)
        if purpose is None:
            raise InvalidRequest(f"purpose: OCPP 1.6 has no {command.purpose.value} profiles")
        payload["chargingProfilePurpose"] = purpose
    if command.stack_level is not None:
        payload["stackLevel"] = command.stack_level
    return OutboundCall("ClearChargingProfile", payload, decode=_answer)


def schedule_of(payload: Payload) -> ChargingSchedule:
    """A schema-valid 1.6 ChargingSchedule as a domain value."""
    start = payload.get("startSchedule")
    return ChargingSchedule(
        unit=RateUnit(payload["chargingRateUnit"]),
        periods=tuple(
            SchedulePeriod(int(p["startPeriod"]), float(p["limit"]), p.get("numberPhases"))
            for p in payload["chargingSchedulePeriod"]
        ),
        start=parse_timestamp(start) if start is not None else None,
        duration=payload.get("duration"),
        min_charging_rate=payload.get("minChargingRate"),
    )


def get_composite_schedule(command: GetCompositeSchedule) -> OutboundCall:
    payload: Payload = {"connectorId": command.evse_id, "duration": command.duration}
    if command.unit is not None:
        payload["chargingRateUnit"] = UNITS[command.unit]

    def decode(answer: Payload) -> StationComposite:
        schedule = answer.get("chargingSchedule")
        start = answer.get("scheduleStart")
        return StationComposite(
            status=str(answer["status"]),
            evse_id=int(answer.get("connectorId", command.evse_id)),
            schedule_start=parse_timestamp(start) if start is not None else None,
            schedule=schedule_of(schedule) if schedule is not None else None,
        )

    return OutboundCall("GetCompositeSchedule", payload, decode=decode)


def remote_start_with_profile(command: RemoteStartWithProfile) -> OutboundCall:
    call = remote_start(command.start)
    payload = {**call.payload, "chargingProfile": profile_payload(command.profile, with_transaction=False)}
    return OutboundCall(call.action, payload, call.decode)


ENCODERS: EncoderTable = {
    SetChargingProfile: set_charging_profile,
    ClearChargingProfile: clear_charging_profile,
    GetCompositeSchedule: get_composite_schedule,
    RemoteStartWithProfile: remote_start_with_profile,
}
