"""Local authorization lists: versioned per-station copies of (part of) the token registry, kept in sync."""

from __future__ import annotations

from voltline.areas.authorization.service import AuthorizationService
from voltline.areas.configuration.service import ConfigurationService
from voltline.areas.local_lists import api
from voltline.areas.local_lists.ocpp import v16, v201
from voltline.areas.local_lists.service import LocalListService
from voltline.areas.local_lists.sql import REPOSITORIES
from voltline.kernel.after_boot import AfterBoot
from voltline.kernel.area import Area, AreaContext, OcppBinding
from voltline.kernel.commands import CommandService
from voltline.kernel.live_events import EventHub
from voltline.kernel.services import ServiceRegistry
from voltline.kernel.versions import OcppVersion


def build(context: AreaContext) -> None:
    services = context.services
    local_lists = services.provide(LocalListService(context.storage, services[CommandService], services[EventHub]))
    local_lists.max_entries = context.settings.local_list_max_entries
    # SendLocalList within what the station announced
    local_lists.station_limit = services[ConfigurationService].stored_limit
    services[AuthorizationService].watch(local_lists)  # token changes make the affected stations' lists pending
    services[AfterBoot].register("local_list", local_lists.reconcile)


async def stop(services: ServiceRegistry) -> None:
    await services[LocalListService].close()


AREA = Area(
    name="local_lists",
    build=build,
    ocpp={OcppVersion.V16: OcppBinding(encoders=v16.ENCODERS), OcppVersion.V201: OcppBinding(encoders=v201.ENCODERS)},
    api_routers=lambda: [api.router],
    repositories=lambda: REPOSITORIES,
    stop=stop,
)
