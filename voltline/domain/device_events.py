"""Events a 2.0.1 station reports about its device model (NotifyEvent), kept as reported."""

from __future__ import annotations

from collections.abc import Sequence

from voltline.domain.models import StationEvent
from voltline.storage.ports import Storage, UnitOfWork


class DeviceEventService:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def record(self, events: Sequence[StationEvent]) -> None:
        async def op(uow: UnitOfWork) -> None:
            await uow.events.add(events)

        await self._storage.write(op)

    async def list(self, station_id: str, limit: int = 100) -> list[StationEvent]:
        async def op(uow: UnitOfWork) -> list[StationEvent]:
            return await uow.events.list(station_id, limit)

        return await self._storage.read(op)
