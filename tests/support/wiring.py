"""The real wiring for tests that need it without sockets: storage with every area's repositories, the
areas' services, their route tables and encoders, the API app."""

from __future__ import annotations

from typing import Any, cast

from fastapi import FastAPI

from voltline.api.app import create_api
from voltline.composition import Settings, api_routers, build_services, encoders, route_tables, sql_repositories
from voltline.kernel.commands import StationLink
from voltline.kernel.services import ServiceRegistry
from voltline.kernel.storage import Storage
from voltline.kernel.versions import OcppVersion
from voltline.settings import PlatformSettings
from voltline.storage.sql.storage import SqlStorage

# Each version's command encoders, as the running server has them.
ENCODERS = encoders()


async def open_storage(url: str, **options: Any) -> SqlStorage:
    return await SqlStorage.open(url, sql_repositories(), **options)


def settings_for_tests(**overrides: Any) -> PlatformSettings:
    """Settings for in-process wiring: the defaults with `overrides` (validated as the server does; the
    process's Settings, so an area's setting is overridden like a platform one)."""
    return Settings(**overrides)


def wired_services(storage: Storage, link: StationLink, **settings: Any) -> ServiceRegistry:
    return build_services(storage, link, settings_for_tests(**settings))


def routed_actions(version: OcppVersion) -> list[str]:
    """The actions a version's route table answers. Building services does no I/O, so placeholders stand in
    for storage and the station link: nothing here is ever called."""
    services = build_services(cast(Storage, object()), cast(StationLink, object()), settings_for_tests())
    return sorted(route_tables(services)[version])


def api_app(services: ServiceRegistry) -> FastAPI:
    return create_api(services, api_routers())


__all__ = [
    "ENCODERS",
    "api_app",
    "open_storage",
    "route_tables",
    "routed_actions",
    "settings_for_tests",
    "wired_services",
]
