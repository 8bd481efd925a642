"""Events a 2.0.1 station reports about its device model (NotifyEvent), kept as reported."""

from __future__ import annotations

from collections.abc import Sequence

from voltline.areas.stations.model import StationEvent
from voltline.areas.stations.ports import STATION_EVENTS
from voltline.kernel.storage import Storage, UnitOfWork


class DeviceEventService:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def record(self, events: Sequence[StationEvent]) -> None:
        async def op(uow: UnitOfWork) -> None:
            await uow[STATION_EVENTS].add(events)

        await self._storage.write(op)

    async def list(self, station_id: str, limit: int = 100) -> list[StationEvent]:
        async def op(uow: UnitOfWork) -> list[StationEvent]:
            return await uow[STATION_EVENTS].list(station_id, limit)

        return await self._storage.read(op)
