"""Smart charging: charging profiles kept per station and converged onto it, composite schedules (ours and
the station's), and the limits stations report."""

from __future__ import annotations

from voltline.areas.configuration.service import ConfigurationService
from voltline.areas.remote_control.service import RemoteControlService
from voltline.areas.smart_charging import api
from voltline.areas.smart_charging.ocpp import v16, v201
from voltline.areas.smart_charging.service import SmartChargingService
from voltline.areas.smart_charging.settings import SmartChargingSettings
from voltline.areas.smart_charging.sql import REPOSITORIES
from voltline.areas.stations.model import StationBootAccepted, StationRemoved
from voltline.areas.transactions.service import TransactionService
from voltline.kernel.after_boot import AfterBoot
from voltline.kernel.area import Area, AreaContext, OcppBinding
from voltline.kernel.background import Timers
from voltline.kernel.commands import CommandService
from voltline.kernel.events import EventBus
from voltline.kernel.pending_requests import PendingRequests
from voltline.kernel.services import ServiceRegistry
from voltline.kernel.versions import OcppVersion


def build(context: AreaContext) -> None:
    services = context.services
    smart_charging = services.provide(
        SmartChargingService(
            context.storage,
            services[CommandService],
            services[EventBus],
            services[PendingRequests],
            transactions=services[TransactionService],
            configuration=services[ConfigurationService],
            remote_control=services[RemoteControlService],
            settings=context.settings_of(SmartChargingSettings),
        )
    )
    after_boot = services[AfterBoot]

    # After a boot, on the station's after-boot work (a newer boot cancels it), for stations with profiles.
    def boot_accepted(event: StationBootAccepted) -> None:
        if smart_charging.needs_reconcile(event.station_id):
            after_boot.request(event.station_id, smart_charging.reconcile)

    services[EventBus].subscribe_after_commit(StationBootAccepted, boot_accepted)

    def station_removed(event: StationRemoved) -> None:
        smart_charging.station_removed(event.station_id)

    services[EventBus].subscribe_after_commit(StationRemoved, station_removed)

    async def sweep() -> None:
        for station_id in await smart_charging.sweep():
            after_boot.request(station_id, smart_charging.reconcile)

    services[Timers].every(context.settings.reconcile_interval, "smart-charging", sweep)


async def start(services: ServiceRegistry) -> None:
    await services[SmartChargingService].start()


async def stop(services: ServiceRegistry) -> None:
    await services[SmartChargingService].stop()


AREA = Area(
    name="smart_charging",
    build=build,
    ocpp={
        OcppVersion.V16: OcppBinding(encoders=v16.ENCODERS),
        OcppVersion.V201: OcppBinding(routes=v201.routes, encoders=v201.ENCODERS),
    },
    api_routers=lambda: [api.router, api.templates_router],
    repositories=lambda: REPOSITORIES,
    start=start,
    stop=stop,
    settings=SmartChargingSettings,
)
