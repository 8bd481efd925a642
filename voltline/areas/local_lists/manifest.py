"""Local authorization lists: versioned per-station copies of (part of) the token registry, kept in sync."""

from __future__ import annotations

from voltline.areas.authorization.model import TokenChanged
from voltline.areas.configuration.service import ConfigurationService
from voltline.areas.local_lists import api
from voltline.areas.local_lists.model import LocalListsPending
from voltline.areas.local_lists.ocpp import v16, v201
from voltline.areas.local_lists.service import LocalListService
from voltline.areas.local_lists.settings import LocalListSettings
from voltline.areas.local_lists.sql import REPOSITORIES
from voltline.areas.stations.model import StationBootAccepted
from voltline.kernel.after_boot import AfterBoot
from voltline.kernel.area import Area, AreaContext, OcppBinding
from voltline.kernel.background import Timers
from voltline.kernel.commands import CommandService
from voltline.kernel.events import EventBus
from voltline.kernel.services import ServiceRegistry
from voltline.kernel.versions import OcppVersion


def build(context: AreaContext) -> None:
    services = context.services
    bus = services[EventBus]
    local_lists = services.provide(LocalListService(context.storage, services[CommandService], bus))
    local_lists.max_entries = context.settings_of(LocalListSettings).local_list_max_entries
    # SendLocalList within what the station announced
    local_lists.station_limit = services[ConfigurationService].stored_limit
    subscribe(bus, local_lists, services[AfterBoot])
    services[Timers].every(context.settings.reconcile_interval, "local-lists", local_lists.sweep)


def subscribe(bus: EventBus, local_lists: LocalListService, after_boot: AfterBoot) -> None:
    """The three triggers of a station's list update, but the timer (see `voltline.kernel.background`)."""
    # A token change makes the affected stations' lists pending in its own transaction ...
    bus.subscribe_in_transaction(TokenChanged, local_lists.token_changed)
    # ... and once that committed, the online ones are updated.
    bus.subscribe_after_commit(LocalListsPending, local_lists.lists_pending)
    # After a boot, the version the station reports is checked and what it misses sent.
    bus.subscribe_after_commit(
        StationBootAccepted, lambda event: after_boot.request(event.station_id, local_lists.reconcile)
    )


async def stop(services: ServiceRegistry) -> None:
    await services[LocalListService].close()


AREA = Area(
    name="local_lists",
    build=build,
    ocpp={OcppVersion.V16: OcppBinding(encoders=v16.ENCODERS), OcppVersion.V201: OcppBinding(encoders=v201.ENCODERS)},
    api_routers=lambda: [api.router],
    repositories=lambda: REPOSITORIES,
    stop=stop,
    settings=LocalListSettings,
)
