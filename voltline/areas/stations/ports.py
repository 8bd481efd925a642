"""What the stations area needs from storage."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from voltline.areas.stations.model import ConnectorStatus, Registration, Station, StationEvent
from voltline.kernel.storage import RepositoryKey


@dataclass(slots=True, frozen=True)
class BootRecord:
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    reason: str | None
    ocpp_version: str
    at: datetime
    answer: Registration | None = None  # what the boot was answered


@dataclass(slots=True, frozen=True)
class StationQuery:
    """A page of the registry by id, filtered (filters combine; None: not filtered).

    `online` is live presence, so the caller passes presence's snapshot of the connected ids in
    `connected` (read only when `online` is not None); the stored online flag can lag behind it."""

    registration: Registration | None = None
    ocpp_version: str | None = None
    vendor: str | None = None  # equal, ignoring case
    model: str | None = None  # equal, ignoring case
    status: str | None = None  # stations with at least one connector in this status
    text: str | None = None  # part of the id or the description, ignoring case; no wildcards
    online: bool | None = None
    connected: Collection[str] = frozenset()
    limit: int = 100
    offset: int = 0


class StationRepository(Protocol):
    async def get(self, station_id: str) -> Station | None: ...
    async def get_many(self, station_ids: Sequence[str]) -> dict[str, Station]: ...
    async def registered(self, station_ids: Collection[str]) -> set[str]:
        """Which of these ids are registered stations (one query by the primary key)."""
        ...

    async def list(self, limit: int | None = None, offset: int = 0) -> list[Station]:
        """Ordered by id (stable pages); `limit` None: every station from `offset` on."""
        ...

    async def save(self, station: Station) -> Station: ...
    async def create_missing(self, wanted: Sequence[tuple[str, Registration]]) -> dict[str, Station]: ...
    async def upsert_many(self, stations: Sequence[Station], /, *, update_existing: bool = True) -> int:
        """Insert these stations (ids unique among them); for ids already stored, replace only the
        operator fields (registration, security profile, description; the password hash when one is
        given) or, if not `update_existing`, leave them alone. Returns how many were created."""
        ...

    async def delete(self, station_id: str) -> bool: ...
    async def record_boots(self, boots: Sequence[tuple[str, BootRecord]]) -> None: ...
    async def set_online_many(self, changes: Sequence[tuple[str, bool, datetime, str | None]]) -> None: ...
    async def touch(self, seen: dict[str, datetime]) -> None: ...
    async def mark_all_offline(self) -> None: ...
    async def set_statuses(self, statuses: Sequence[ConnectorStatus]) -> None: ...
    async def statuses(self, station_id: str) -> builtins.list[ConnectorStatus]: ...
    async def search(self, query: StationQuery) -> tuple[int, builtins.list[Station]]:
        """(how many match in all, the page of them by id)."""
        ...

    async def statuses_of(self, station_ids: Sequence[str]) -> dict[str, builtins.list[ConnectorStatus]]:
        """The connector statuses of these stations (one query), each by EVSE and connector; a station
        without any is absent."""
        ...


class EventRepository(Protocol):
    async def add(self, events: Sequence[StationEvent]) -> None: ...
    async def list(self, station_id: str, limit: int = 100) -> list[StationEvent]: ...


STATIONS: RepositoryKey[StationRepository] = RepositoryKey("stations")
STATION_EVENTS: RepositoryKey[EventRepository] = RepositoryKey("events")
