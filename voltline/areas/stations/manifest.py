"""Stations: the registry, admission of connections, boot decisions, connection state, connector status,
and the device events stations report."""

from __future__ import annotations

from voltline.areas.stations import api
from voltline.areas.stations.admission import AdmissionService
from voltline.areas.stations.device_events import DeviceEventService
from voltline.areas.stations.model import StationBootAccepted, StationRemoved
from voltline.areas.stations.ocpp import v16, v201
from voltline.areas.stations.service import StationService
from voltline.areas.stations.settings import StationSettings
from voltline.areas.stations.sql import REPOSITORIES
from voltline.kernel.activity import ActivityFeed
from voltline.kernel.admission import PLAIN_WEBSOCKET
from voltline.kernel.after_boot import AfterBoot
from voltline.kernel.area import Area, AreaContext, OcppBinding
from voltline.kernel.events import EventBus
from voltline.kernel.live_events import EventHub
from voltline.kernel.versions import OcppVersion


def build(context: AreaContext) -> None:
    services, settings = context.services, context.settings_of(StationSettings)
    stations = services.provide(
        StationService(
            context.storage,
            settings.heartbeat_interval,
            services[EventHub],
            bus=services[EventBus],
            activity=services[ActivityFeed],
            # The gateway serves plain ws:// only, so no station may be registered for profile 2 or 3 yet;
            # once it serves TLS, this is where what it serves (from its TLS settings) comes in.
            transport=PLAIN_WEBSOCKET,
        )
    )
    services.provide(DeviceEventService(context.storage))
    services.provide(AdmissionService(stations, settings.unknown_stations))
    # The first subscriber of the boot event (an area that adds an after-boot step imports this one, so it
    # is built, and subscribes, later): a newer boot supersedes what the older one had still to do.
    after_boot = services[AfterBoot]
    bus = services[EventBus]
    bus.subscribe_after_commit(StationBootAccepted, lambda event: after_boot.cancel(event.station_id))
    # A removed station: its connection, if it still has one, is closed, and its after-boot work dropped.
    bus.subscribe_after_commit(StationRemoved, stations.station_removed)
    bus.subscribe_after_commit(StationRemoved, lambda event: after_boot.cancel(event.station_id))


AREA = Area(
    name="stations",
    build=build,
    ocpp={OcppVersion.V16: OcppBinding(routes=v16.routes), OcppVersion.V201: OcppBinding(routes=v201.routes)},
    api_routers=lambda: [api.router],
    repositories=lambda: REPOSITORIES,
    settings=StationSettings,
)
