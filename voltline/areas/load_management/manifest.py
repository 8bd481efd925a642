"""Load management: sites and their electrical tree, a controller per site that shares the connection's
capacity among the EVSEs charging there, peak windows, demand-response events, prices and charging plans."""

from __future__ import annotations

from voltline.areas.authorization.service import AuthorizationService
from voltline.areas.load_management import api
from voltline.areas.load_management.controller import LoadController
from voltline.areas.load_management.service import LoadManagementService
from voltline.areas.load_management.settings import LoadManagementSettings
from voltline.areas.load_management.sql import REPOSITORIES
from voltline.areas.smart_charging.service import SmartChargingService
from voltline.areas.stations.model import StationRemoved
from voltline.areas.transactions.service import TransactionService
from voltline.kernel.activity import ActivityFeed
from voltline.kernel.area import Area, AreaContext
from voltline.kernel.background import Timers
from voltline.kernel.commands import CommandService
from voltline.kernel.events import EventBus
from voltline.kernel.services import ServiceRegistry

# The allocation history is pruned this often (seconds).
HISTORY_PRUNE_INTERVAL = 3600.0


def build(context: AreaContext) -> None:
    services = context.services
    settings = context.settings_of(LoadManagementSettings)
    controller = services.provide(
        LoadController(
            context.storage,
            services[EventBus],
            services[ActivityFeed],
            services[SmartChargingService],
            services[TransactionService],
            services[CommandService],
            settings,
        )
    )
    service = services.provide(
        LoadManagementService(
            context.storage,
            services[EventBus],
            controller,
            authorization=services[AuthorizationService],
            transactions=services[TransactionService],
        )
    )

    def station_removed(event: StationRemoved) -> None:
        controller.forget_station(event.station_id)

    services[EventBus].subscribe_after_commit(StationRemoved, station_removed)
    services[Timers].every(settings.load_management_tick_s, "load-management", controller.tick)

    async def prune() -> None:
        await service.prune_history(settings.load_management_history_days)

    services[Timers].every(HISTORY_PRUNE_INTERVAL, "load-management-history", prune)


async def start(services: ServiceRegistry) -> None:
    await services[LoadManagementService].start()


async def stop(services: ServiceRegistry) -> None:
    await services[LoadController].stop()


AREA = Area(
    name="load_management",
    build=build,
    api_routers=lambda: [api.sites_router, api.dr_router, api.plans_router, api.sessions_router],
    repositories=lambda: REPOSITORIES,
    start=start,
    stop=stop,
    settings=LoadManagementSettings,
)
