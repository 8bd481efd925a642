"""OCPP 1.6 Core profile: boot, heartbeat, status, authorize, data transfer."""

from __future__ import annotations

from typing import Any

from voltline.domain.clock import utcnow
from voltline.domain.data_transfer import DataTransferRequest
from voltline.domain.models import ConnectorStatus, Registration
from voltline.domain.stations import BootInfo
from voltline.protocol.context import StationContext
from voltline.protocol.timestamps import format_timestamp, parse_timestamp
from voltline.protocol.v16.convert import id_tag_info


async def boot_notification(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    info = BootInfo(
        vendor=payload["chargePointVendor"],
        model=payload["chargePointModel"],
        serial_number=payload.get("chargePointSerialNumber") or payload.get("chargeBoxSerialNumber"),
        firmware_version=payload.get("firmwareVersion"),
        reason=None,  # 1.6 boots carry no reason
        ocpp_version=ctx.version.value,
    )
    verdict = await ctx.services.stations.boot(ctx.station_id, info)
    ctx.accepted = verdict.registration is Registration.ACCEPTED
    if ctx.accepted:
        station_id, after_boot = ctx.station_id, ctx.services.after_boot
        ctx.after_answer = lambda: after_boot.spawn(station_id)
    return {
        "status": verdict.registration.value,
        "currentTime": format_timestamp(verdict.current_time),
        "interval": verdict.interval,
    }


async def heartbeat(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    return {"currentTime": format_timestamp(utcnow())}


async def status_notification(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    connector = payload["connectorId"]
    timestamp = payload.get("timestamp")
    await ctx.services.stations.report_status(
        ConnectorStatus(
            station_id=ctx.station_id,
            evse_id=connector,
            connector_id=1 if connector > 0 else 0,
            status=payload["status"],
            error_code=payload["errorCode"],
            info=payload.get("info"),
            vendor_id=payload.get("vendorId"),
            vendor_error_code=payload.get("vendorErrorCode"),
            timestamp=parse_timestamp(timestamp) if timestamp else utcnow(),
        )
    )
    return {}


async def authorize(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    verdict = await ctx.services.authorization.authorize(payload["idTag"])
    return {"idTagInfo": id_tag_info(verdict)}


async def data_transfer(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    reply = await ctx.services.data_transfer.handle(
        DataTransferRequest(ctx.station_id, payload["vendorId"], payload.get("messageId"), payload.get("data"))
    )
    response: dict[str, Any] = {"status": reply.status}
    if reply.data is not None:
        # 1.6 carries data as a string.
        response["data"] = reply.data if isinstance(reply.data, str) else str(reply.data)
    return response
