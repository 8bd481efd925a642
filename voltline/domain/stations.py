"""Station registry, boot decisions, connection state and connector status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from voltline.domain.clock import utcnow
from voltline.domain.credentials import hash_secret
from voltline.domain.errors import NotFound
from voltline.domain.models import ConnectorStatus, Registration, Station
from voltline.storage.ports import BootRecord, Storage, UnitOfWork


@dataclass(slots=True, frozen=True)
class BootInfo:
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    reason: str | None
    ocpp_version: str


@dataclass(slots=True, frozen=True)
class BootVerdict:
    registration: Registration
    interval: int
    current_time: datetime


@dataclass(slots=True, frozen=True)
class StationRegistration:
    """What an operator sets through PUT /stations/{id}. A password of None keeps the current one."""

    registration: Registration = Registration.ACCEPTED
    security_profile: int = 1
    password: str | None = None
    description: str | None = None


@dataclass(slots=True)
class StationView:
    station: Station
    statuses: list[ConnectorStatus]


class StationService:
    def __init__(self, storage: Storage, heartbeat_interval: int) -> None:
        self._storage = storage
        self._heartbeat_interval = heartbeat_interval

    # -- stations' own messages -------------------------------------------------------------------

    async def boot(self, station_id: str, info: BootInfo) -> BootVerdict:
        now = utcnow()
        record = BootRecord(
            vendor=info.vendor,
            model=info.model,
            serial_number=info.serial_number,
            firmware_version=info.firmware_version,
            reason=info.reason,
            ocpp_version=info.ocpp_version,
            at=now,
        )

        async def op(uow: UnitOfWork) -> Registration:
            station = await uow.stations.get(station_id)
            if station is None:
                # Deleted while connected: it is no longer ours to accept.
                return Registration.REJECTED
            await uow.stations.record_boot(station_id, record)
            return station.registration

        registration = await self._storage.write(op)
        return BootVerdict(registration, self._heartbeat_interval, now)

    async def report_status(self, status: ConnectorStatus) -> None:
        async def op(uow: UnitOfWork) -> None:
            await uow.stations.set_status(status)

        await self._storage.write(op)

    # -- connection lifecycle (called by the gateway) -------------------------------------------

    async def get(self, station_id: str) -> Station | None:
        async def op(uow: UnitOfWork) -> Station | None:
            return await uow.stations.get(station_id)

        return await self._storage.read(op)

    async def admit_unknown(self, station_id: str, registration: Registration) -> Station:
        async def op(uow: UnitOfWork) -> Station:
            return await uow.stations.create_if_absent(station_id, registration)

        return await self._storage.write(op)

    async def connected(self, station_id: str, ocpp_version: str) -> None:
        async def op(uow: UnitOfWork) -> None:
            await uow.stations.set_online(station_id, True, utcnow(), ocpp_version)

        await self._storage.write(op)

    async def disconnected(self, station_id: str) -> None:
        async def op(uow: UnitOfWork) -> None:
            await uow.stations.set_online(station_id, False, utcnow(), None)

        await self._storage.write(op)

    async def record_seen(self, seen: dict[str, datetime]) -> None:
        if not seen:
            return

        async def op(uow: UnitOfWork) -> None:
            await uow.stations.touch(seen)

        await self._storage.write(op)

    async def mark_all_offline(self) -> None:
        async def op(uow: UnitOfWork) -> None:
            await uow.stations.mark_all_offline()

        await self._storage.write(op)

    # -- operators ----------------------------------------------------------------------------------

    async def list(self) -> list[Station]:
        async def op(uow: UnitOfWork) -> list[Station]:
            return await uow.stations.list()

        return await self._storage.read(op)

    async def view(self, station_id: str) -> StationView:
        async def op(uow: UnitOfWork) -> StationView:
            station = await uow.stations.get(station_id)
            if station is None:
                raise NotFound(f"station {station_id!r} is not registered")
            return StationView(station, await uow.stations.statuses(station_id))

        return await self._storage.read(op)

    async def register(self, station_id: str, request: StationRegistration) -> tuple[Station, bool]:
        """Create or update a station; returns it and whether it was created."""
        password_hash = hash_secret(request.password) if request.password is not None else None

        async def op(uow: UnitOfWork) -> tuple[Station, bool]:
            existing = await uow.stations.get(station_id)
            station = existing or Station(id=station_id)
            station.registration = request.registration
            station.security_profile = request.security_profile
            station.description = request.description
            if password_hash is not None:
                station.password_hash = password_hash
            return await uow.stations.save(station), existing is None

        return await self._storage.write(op)

    async def delete(self, station_id: str) -> None:
        async def op(uow: UnitOfWork) -> bool:
            return await uow.stations.delete(station_id)

        if not await self._storage.write(op):
            raise NotFound(f"station {station_id!r} is not registered")
