"""OCPP 1.6J station handlers: boot, heartbeat, status."""

from __future__ import annotations

from functools import partial
from typing import Any

from voltline.areas.stations.model import ConnectorStatus
from voltline.areas.stations.service import BootInfo, StationService
from voltline.kernel.clock import utcnow
from voltline.kernel.services import ServiceRegistry
from voltline.protocol.context import StationContext
from voltline.protocol.dispatcher import RouteTable
from voltline.protocol.timestamps import format_timestamp, parse_timestamp


async def boot_notification(stations: StationService, ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    info = BootInfo(
        vendor=payload["chargePointVendor"],
        model=payload["chargePointModel"],
        serial_number=payload.get("chargePointSerialNumber") or payload.get("chargeBoxSerialNumber"),
        firmware_version=payload.get("firmwareVersion"),
        reason=None,  # 1.6 boots carry no reason
        ocpp_version=ctx.version.value,
    )
    verdict = await stations.boot(ctx.station_id, info)
    return {
        "status": verdict.registration.value,
        "currentTime": format_timestamp(verdict.current_time),
        "interval": verdict.interval,
    }


async def heartbeat(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    return {"currentTime": format_timestamp(utcnow())}


async def status_notification(stations: StationService, ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    connector = payload["connectorId"]
    timestamp = payload.get("timestamp")
    await stations.report_status(
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


def routes(services: ServiceRegistry) -> RouteTable:
    """The actions this area answers, each handler bound to the services it uses."""
    stations = services[StationService]
    return {
        "BootNotification": partial(boot_notification, stations),
        "Heartbeat": heartbeat,
        "StatusNotification": partial(status_notification, stations),
    }
