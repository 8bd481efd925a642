"""Binds a station connection to its version's route table."""

from __future__ import annotations

from collections.abc import Mapping

from voltline.kernel.versions import OcppVersion
from voltline.ocppj import Dispatcher
from voltline.protocol.context import StationContext
from voltline.protocol.dispatcher import BootAccepted, RouteTable, StationDispatcher


class DispatcherFactory:
    """Callable the gateway uses to get a dispatcher for each new connection."""

    def __init__(self, routes: Mapping[OcppVersion, RouteTable], on_boot_accepted: BootAccepted | None = None) -> None:
        self._routes = routes
        self._on_boot_accepted = on_boot_accepted

    def __call__(self, station_id: str, version: OcppVersion, boot_accepted: bool) -> Dispatcher:
        context = StationContext(station_id, version, accepted=boot_accepted)
        return StationDispatcher(context, self._routes[version], self._on_boot_accepted)
