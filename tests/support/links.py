"""A `StationLink` for tests of station-message handling, where nothing calls a station."""

from __future__ import annotations

from typing import Any

from voltline.areas.remote_control.commands import RemoteStart, RemoteStop
from voltline.kernel.commands import CommandResult
from voltline.kernel.versions import OcppVersion


class NoStations:
    """The StationLink port: handlers answer requests and never call stations."""

    def is_online(self, station_id: str) -> bool:
        return False

    def version_of(self, station_id: str) -> OcppVersion | None:
        return None

    def online_ids(self) -> frozenset[str]:
        return frozenset()

    async def send(self, station_id: str, command: RemoteStart | RemoteStop) -> CommandResult:
        raise AssertionError("handlers never call stations")

    async def call_raw(self, station_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("handlers never call stations")
