"""OCPP 2.0.1 provisioning, availability, authorization and data transfer messages."""

from __future__ import annotations

from typing import Any

from voltline.domain.clock import utcnow
from voltline.domain.data_transfer import DataTransferRequest
from voltline.domain.models import ConnectorStatus, Registration, StationEvent
from voltline.domain.stations import BootInfo
from voltline.protocol.context import StationContext
from voltline.protocol.timestamps import format_timestamp, parse_timestamp
from voltline.protocol.v201.convert import id_token_info


async def boot_notification(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    station = payload["chargingStation"]
    info = BootInfo(
        vendor=station["vendorName"],
        model=station["model"],
        serial_number=station.get("serialNumber"),
        firmware_version=station.get("firmwareVersion"),
        reason=payload["reason"],
        ocpp_version=ctx.version.value,
    )
    verdict = await ctx.services.stations.boot(ctx.station_id, info)
    ctx.accepted = verdict.registration is Registration.ACCEPTED
    if ctx.accepted:
        station_id, after_boot = ctx.station_id, ctx.services.after_boot
        ctx.after_answer = lambda: after_boot.spawn(station_id)
    return {
        "currentTime": format_timestamp(verdict.current_time),
        "interval": verdict.interval,
        "status": verdict.registration.value,
    }


async def heartbeat(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    return {"currentTime": format_timestamp(utcnow())}


async def status_notification(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    await ctx.services.stations.report_status(
        ConnectorStatus(
            station_id=ctx.station_id,
            evse_id=payload["evseId"],
            connector_id=payload["connectorId"],
            status=payload["connectorStatus"],
            timestamp=parse_timestamp(payload["timestamp"]),
        )
    )
    return {}


async def authorize(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    token = payload["idToken"]
    verdict = await ctx.services.authorization.authorize(token["idToken"], token["type"])
    return {"idTokenInfo": id_token_info(verdict)}


async def notify_event(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    events = [
        StationEvent(
            station_id=ctx.station_id,
            event_id=item["eventId"],
            timestamp=parse_timestamp(item["timestamp"]),
            trigger=item["trigger"],
            component=item["component"]["name"],
            variable=item["variable"]["name"],
            actual_value=item["actualValue"],
            event_notification_type=item["eventNotificationType"],
            cleared=item.get("cleared"),
            tech_code=item.get("techCode"),
            tech_info=item.get("techInfo"),
            raw=item,
        )
        for item in payload["eventData"]
    ]
    await ctx.services.device_events.record(events)
    return {}


async def data_transfer(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    reply = await ctx.services.data_transfer.handle(
        DataTransferRequest(ctx.station_id, payload["vendorId"], payload.get("messageId"), payload.get("data"))
    )
    response: dict[str, Any] = {"status": reply.status}
    if reply.data is not None:
        response["data"] = reply.data
    return response
