"""Composition of the functional areas into the parts of one running Voltline.

Everything here walks the area list (`voltline/areas/catalog.py`) in order; nothing names an area. The
process's lifecycle (`voltline/app.py`) uses these functions, and so do tests that need the real wiring
without sockets. The process's `Settings` are made here too: the platform's and every area's, in one class.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

from pydantic import BaseModel

from voltline.areas.catalog import AREAS
from voltline.kernel.activity import ActivityFeed
from voltline.kernel.after_boot import AfterBoot
from voltline.kernel.area import Area, AreaContext, names
from voltline.kernel.background import Timers
from voltline.kernel.commands import CommandService, StationLink
from voltline.kernel.events import EventBus
from voltline.kernel.live_events import EventHub
from voltline.kernel.pending_requests import InProcessPendingRequests, PendingRequests
from voltline.kernel.presence import Presence
from voltline.kernel.services import ServiceRegistry
from voltline.kernel.storage import RepositoryKey, Storage
from voltline.kernel.throttles import InProcessThrottles, Throttles
from voltline.kernel.versions import OcppVersion
from voltline.protocol.dispatcher import RouteTable
from voltline.protocol.versions import VersionEncoders, merge_routes, version_encoders
from voltline.settings import PlatformSettings
from voltline.storage.sql.unit_of_work import RepositoryFactories, RepositoryFactory

VERSIONS = tuple(OcppVersion)


def settings_class(areas: Sequence[Area] = AREAS) -> type[PlatformSettings]:
    """The settings of a process made of `areas`: one class with the platform's settings and every area's
    (`Area.settings`) as its bases.

    One class rather than one object per area, so that the process has one set of sources (keyword
    arguments, VOLTLINE_* variables, the TOML file, read once), keyword arguments reach an area's setting
    as they reach a platform one, and a start-up lists every wrong value in one error, "for Settings", as
    when all settings were declared in one place. The instance is then an instance of each area's class,
    which `AreaContext.settings_of` narrows it to.
    """
    names(areas)
    owner = dict.fromkeys(PlatformSettings.model_fields, "the platform")
    parts: list[type[BaseModel]] = []
    for area in areas:
        part = area.settings
        if part is None:
            continue
        if not (isinstance(part, type) and issubclass(part, BaseModel)):
            raise TypeError(f"area {area.name!r}: settings must be a pydantic model class, not {part!r}")
        if part.model_config:
            # The composed class takes the platform's config (prefix, sources, extra); an area's own would
            # be silently overridden, or would silently change every setting's.
            raise ValueError(f"area {area.name!r}: {part.__name__} must not set model_config")
        for field in part.model_fields:
            if field in owner:
                raise ValueError(f"area {area.name!r} declares the setting {field!r}, already {owner[field]}'s")
            owner[field] = f"area {area.name!r}"
        parts.append(part)
    namespace = {"__module__": __name__, "__qualname__": "Settings", "model_config": PlatformSettings.model_config}
    return cast(type[PlatformSettings], type("Settings", (PlatformSettings, *parts), namespace))


# The settings of this Voltline: what `load_settings` and the tests construct.
Settings = settings_class()


def load_settings(**overrides: Any) -> PlatformSettings:
    """The process's settings from its sources; `overrides` (keyword arguments) are the strongest."""
    return Settings(**overrides)


def sql_repositories(areas: Sequence[Area] = AREAS) -> RepositoryFactories:
    """Every repository the areas register, for `SqlStorage.open`; a key claimed twice is a bug."""
    names(areas)
    merged: dict[RepositoryKey[Any], RepositoryFactory] = {}
    for area in areas:
        if area.repositories is None:
            continue
        for key, factory in area.repositories().items():
            if key in merged:
                raise ValueError(f"two areas register the {key.name!r} repository")
            merged[key] = factory
    return merged


def encoders(areas: Sequence[Area] = AREAS) -> dict[OcppVersion, VersionEncoders]:
    """Each version's command encoders, merged from the areas (they need no services)."""
    return {
        version: version_encoders(version, [a.ocpp[version].encoders for a in areas if version in a.ocpp])
        for version in VERSIONS
    }


def build_services(
    storage: Storage,
    link: StationLink,
    settings: PlatformSettings,
    *,
    message_log_storage: Storage | None = None,
    areas: Sequence[Area] = AREAS,
) -> ServiceRegistry:
    """The platform services, then each area's, in list order (areas subscribe to each other's domain
    events and register their timers as they are built)."""
    names(areas)
    services = ServiceRegistry()
    services.provide(EventHub())
    services.provide(ActivityFeed())  # what watched stations do, for controllers (load management)
    bus = services.provide(EventBus(storage))
    services.provide(link, StationLink)
    services.provide(link, Presence)  # the link knows who is connected (one process: its own sessions)
    services.provide(CommandService(link, bus))
    # In-process implementations of the ports several nodes will share (the cluster swaps them here).
    services.provide(InProcessPendingRequests(), PendingRequests)
    services.provide(InProcessThrottles(), Throttles)
    services.provide(AfterBoot())
    services.provide(Timers())
    context = AreaContext(storage, link, settings, services, message_log_storage)
    for area in areas:
        area.build(context)
    return services


def route_tables(services: ServiceRegistry, areas: Sequence[Area] = AREAS) -> dict[OcppVersion, RouteTable]:
    """Each version's route table: every area's handlers, bound to the services they use."""
    tables: dict[OcppVersion, RouteTable] = {}
    for version in VERSIONS:
        parts = [a.ocpp[version].routes for a in areas if version in a.ocpp]
        tables[version] = merge_routes(routes(services) for routes in parts if routes is not None)
    return tables


def api_routers(areas: Sequence[Area] = AREAS) -> list[Any]:
    return [router for area in areas if area.api_routers is not None for router in area.api_routers()]


async def start_areas(services: ServiceRegistry, areas: Sequence[Area] = AREAS) -> None:
    """Each area's start, then the timers the areas registered (their sweeps need the areas running)."""
    for area in areas:
        if area.start is not None:
            await area.start(services)
    services[Timers].start()


async def stop_areas(services: ServiceRegistry, areas: Sequence[Area] = AREAS) -> None:
    """Stops the timers, then the work that talks to stations, newest area first; every area is stopped
    even if one fails."""
    await services[Timers].close()
    async with _each_in_reverse(services, [a.stop for a in areas if a.stop is not None]):
        pass


async def flush_areas(services: ServiceRegistry, areas: Sequence[Area] = AREAS) -> None:
    async with _each_in_reverse(services, [a.flush for a in areas if a.flush is not None]):
        pass


@contextlib.asynccontextmanager
async def _each_in_reverse(services: ServiceRegistry, steps: list[Any]) -> AsyncIterator[None]:
    async with contextlib.AsyncExitStack() as stack:
        for step in steps:
            stack.push_async_callback(step, services)
        yield
