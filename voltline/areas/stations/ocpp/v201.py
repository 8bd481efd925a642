"""OCPP 2.0.1 station handlers: boot, heartbeat, status, NotifyEvent."""

from __future__ import annotations

from functools import partial
from typing import Any

from voltline.areas.stations.device_events import DeviceEventService
from voltline.areas.stations.model import ConnectorStatus, StationEvent
from voltline.areas.stations.service import BootInfo, StationService
from voltline.kernel.clock import utcnow
from voltline.kernel.services import ServiceRegistry
from voltline.protocol.context import StationContext
from voltline.protocol.dispatcher import RouteTable
from voltline.protocol.timestamps import format_timestamp, parse_timestamp


async def boot_notification(stations: StationService, ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    station = payload["chargingStation"]
    info = BootInfo(
        vendor=station["vendorName"],
        model=station["model"],
        serial_number=station.get("serialNumber"),
        firmware_version=station.get("firmwareVersion"),
        reason=payload["reason"],
        ocpp_version=ctx.version.value,
    )
    verdict = await stations.boot(ctx.station_id, info)
    return {
        "currentTime": format_timestamp(verdict.current_time),
        "interval": verdict.interval,
        "status": verdict.registration.value,
    }


async def heartbeat(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    return {"currentTime": format_timestamp(utcnow())}


async def status_notification(stations: StationService, ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    await stations.report_status(
        ConnectorStatus(
            station_id=ctx.station_id,
            evse_id=payload["evseId"],
            connector_id=payload["connectorId"],
            status=payload["connectorStatus"],
            timestamp=parse_timestamp(payload["timestamp"]),
        )
    )
    return {}


async def notify_event(
    device_events: DeviceEventService, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
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
    await device_events.record(events)
    return {}


def routes(services: ServiceRegistry) -> RouteTable:
    """The actions this area answers, each handler bound to the services it uses."""
    stations = services[StationService]
    device_events = services[DeviceEventService]
    return {
        "BootNotification": partial(boot_notification, stations),
        "Heartbeat": heartbeat,
        "StatusNotification": partial(status_notification, stations),
        "NotifyEvent": partial(notify_event, device_events),
    }
