"""Binds a station connection to its version's route table."""

from __future__ import annotations

from voltline.domain.services import Services
from voltline.ocppj import Dispatcher, OcppVersion
from voltline.protocol.context import StationContext
from voltline.protocol.dispatcher import StationDispatcher
from voltline.protocol.versions import ADAPTERS


class DispatcherFactory:
    """Callable the gateway uses to get a dispatcher for each new connection."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, station_id: str, version: OcppVersion, boot_accepted: bool) -> Dispatcher:
        context = StationContext(station_id, version, self._services, accepted=boot_accepted)
        return StationDispatcher(context, ADAPTERS[version].routes)
