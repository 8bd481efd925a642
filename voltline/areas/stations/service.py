"""Station registry, boot decisions, connection state and connector status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from voltline.areas.stations.model import ConnectorStatus, Registration, Station
from voltline.areas.stations.ports import STATIONS, BootRecord
from voltline.kernel.clock import utcnow
from voltline.kernel.credentials import hash_secret
from voltline.kernel.errors import InvalidRequest, NotFound
from voltline.kernel.identifiers import is_valid_station_id
from voltline.kernel.live_events import BOOT, CONNECTED, DISCONNECTED, STATUS, EventHub
from voltline.kernel.storage import Storage, UnitOfWork


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


# Station passwords are Basic-auth secrets of OCPP's passwordString length.
MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH = 16, 40
MAX_DESCRIPTION_LENGTH = 500
IMPORT_FIELDS = ("id", "password", "security_profile", "registration", "description")
IMPORT_CHUNK_SIZE = 1000


@dataclass(slots=True, frozen=True)
class StationImport:
    """One station of a bulk import. A security profile of None means 1 with a password, else 0; a
    password of None keeps the current one of a station already registered."""

    id: str
    password: str | None = None
    security_profile: int | None = None
    registration: Registration = Registration.ACCEPTED
    description: str | None = None

    @classmethod
    def parse(cls, fields: Mapping[str, object]) -> StationImport:
        """From one record of an import file (CSV cells or JSON values; empty means absent).

        Raises InvalidRequest naming every problem of the record; its message never holds the password."""
        problems = [f"unknown column {str(name)[:40]!r}" for name in fields if name not in IMPORT_FIELDS]
        values = {name: None if fields.get(name) in (None, "") else fields[name] for name in IMPORT_FIELDS}
        station_id, password, profile, registration, description = (values[name] for name in IMPORT_FIELDS)

        if station_id is None:
            problems.append("id is missing")
        elif not isinstance(station_id, str) or not is_valid_station_id(station_id):
            problems.append(
                f"id {str(station_id)[:60]!r} is not a station id (1 to 48 of A-Z a-z 0-9 * - _ = + | @ ., "
                "not only dots)"
            )
        if password is not None and (
            not isinstance(password, str) or not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH
        ):
            problems.append(f"password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")
        if isinstance(profile, str) and profile.strip() in ("0", "1", "2", "3"):
            profile = int(profile)
        if profile is not None and (type(profile) is not int or not 0 <= profile <= 3):
            problems.append("security_profile must be 0, 1, 2 or 3")
        if registration is not None and (
            not isinstance(registration, str) or registration not in {r.value for r in Registration}
        ):
            problems.append("registration must be Accepted, Pending or Rejected")
        if description is not None and (not isinstance(description, str) or len(description) > MAX_DESCRIPTION_LENGTH):
            problems.append(f"description must be text of at most {MAX_DESCRIPTION_LENGTH} characters")
        if problems:
            raise InvalidRequest("; ".join(problems))
        return cls(
            id=str(station_id),
            password=None if password is None else str(password),
            security_profile=profile if isinstance(profile, int) else None,
            registration=Registration(str(registration)) if registration is not None else Registration.ACCEPTED,
            description=None if description is None else str(description),
        )


@dataclass(slots=True, frozen=True)
class ImportResult:
    created: int
    updated: int
    skipped: int = 0


@dataclass(slots=True)
class StationView:
    station: Station
    statuses: list[ConnectorStatus]


class _GetMany:
    async def apply(self, uow: UnitOfWork, station_ids: Sequence[str]) -> Sequence[Station | None]:
        found = await uow[STATIONS].get_many(station_ids)
        return [found.get(station_id) for station_id in station_ids]


class _CreateMissing:
    async def apply(self, uow: UnitOfWork, wanted: Sequence[tuple[str, Registration]]) -> Sequence[Station]:
        stored = await uow[STATIONS].create_missing(wanted)
        return [stored[station_id] for station_id, _ in wanted]


class _BootMany:
    """The boots of one commit group: registrations read with one query, boot data written with one."""

    async def apply(self, uow: UnitOfWork, boots: Sequence[tuple[str, BootRecord]]) -> Sequence[Registration]:
        known = await uow[STATIONS].get_many([station_id for station_id, _ in boots])
        await uow[STATIONS].record_boots(
            [(sid, replace(record, answer=known[sid].registration)) for sid, record in boots if sid in known]
        )
        # A station deleted while connected is no longer ours to accept.
        return [known[sid].registration if sid in known else Registration.REJECTED for sid, _ in boots]


class _ReportStatuses:
    async def apply(self, uow: UnitOfWork, statuses: Sequence[ConnectorStatus]) -> Sequence[None]:
        await uow[STATIONS].set_statuses(statuses)
        return [None] * len(statuses)


class _SetOnline:
    async def apply(self, uow: UnitOfWork, changes: Sequence[tuple[str, bool, datetime, str | None]]) -> Sequence[None]:
        await uow[STATIONS].set_online_many(changes)
        return [None] * len(changes)


GET_MANY = _GetMany()
CREATE_MISSING = _CreateMissing()
BOOT_MANY = _BootMany()
REPORT_STATUSES = _ReportStatuses()
SET_ONLINE = _SetOnline()


class StationService:
    def __init__(self, storage: Storage, heartbeat_interval: int, events: EventHub | None = None) -> None:
        self._storage = storage
        self._heartbeat_interval = heartbeat_interval
        self._events = events if events is not None else EventHub()

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

        registration = await self._storage.submit(BOOT_MANY, (station_id, record))
        if self._events.active:
            self._events.publish(
                BOOT,
                station_id,
                {
                    "vendor": info.vendor,
                    "model": info.model,
                    "serial_number": info.serial_number,
                    "firmware_version": info.firmware_version,
                    "reason": info.reason,
                    "ocpp_version": info.ocpp_version,
                    "answer": registration.value,
                },
            )
        return BootVerdict(registration, self._heartbeat_interval, now)

    async def report_status(self, status: ConnectorStatus) -> None:
        await self._storage.submit(REPORT_STATUSES, status)
        if self._events.active:
            self._events.publish(
                STATUS,
                status.station_id,
                {
                    "evse_id": status.evse_id,
                    "connector_id": status.connector_id,
                    "status": status.status,
                    "error_code": status.error_code,
                    "info": status.info,
                    "timestamp": status.timestamp.isoformat() if status.timestamp else None,
                },
            )

    # -- connection lifecycle (called by the gateway) -------------------------------------------
    # Bulk operations, so that thousands of stations reconnecting at once share a few statements.

    async def get(self, station_id: str) -> Station | None:
        return await self._storage.submit(GET_MANY, station_id)

    async def admit_unknown(self, station_id: str, registration: Registration) -> Station:
        return await self._storage.submit(CREATE_MISSING, (station_id, registration))

    # The live events of a connection are published by the gateway as the connection is registered and
    # forgotten, not after the online flag is written: that write shares a commit group with the station's
    # first messages, so waiting for it could put `connected` after the station's boot event, and a quick
    # reconnect could see `disconnected` after the new `connected`. The registry is the live truth.

    def announce_connected(self, station_id: str, ocpp_version: str, remote_address: str, replaced: bool) -> None:
        if self._events.active:
            self._events.publish(
                CONNECTED,
                station_id,
                {"ocpp_version": ocpp_version, "remote_address": remote_address, "replaced": replaced},
            )

    def announce_disconnected(self, station_id: str, ocpp_version: str, close_code: int) -> None:
        if self._events.active:
            self._events.publish(DISCONNECTED, station_id, {"ocpp_version": ocpp_version, "close_code": close_code})

    async def connected(self, station_id: str, ocpp_version: str) -> None:
        await self._storage.submit(SET_ONLINE, (station_id, True, utcnow(), ocpp_version))

    async def disconnected(self, station_id: str) -> None:
        await self._storage.submit(SET_ONLINE, (station_id, False, utcnow(), None))

    async def record_seen(self, seen: dict[str, datetime]) -> None:
        if not seen:
            return

        async def op(uow: UnitOfWork) -> None:
            await uow[STATIONS].touch(seen)

        await self._storage.write(op)

    async def mark_all_offline(self) -> None:
        async def op(uow: UnitOfWork) -> None:
            await uow[STATIONS].mark_all_offline()

        await self._storage.write(op)

    # -- operators ----------------------------------------------------------------------------------

    async def list(self, limit: int = 100, offset: int = 0) -> list[Station]:
        """A page of the registry, by id."""

        async def op(uow: UnitOfWork) -> list[Station]:
            return await uow[STATIONS].list(limit, offset)

        return await self._storage.read(op)

    async def view(self, station_id: str) -> StationView:
        async def op(uow: UnitOfWork) -> StationView:
            station = await uow[STATIONS].get(station_id)
            if station is None:
                raise NotFound(f"station {station_id!r} is not registered")
            return StationView(station, await uow[STATIONS].statuses(station_id))

        return await self._storage.read(op)

    async def register(self, station_id: str, request: StationRegistration) -> tuple[Station, bool]:
        """Create or update a station; returns it and whether it was created."""
        password_hash = hash_secret(request.password) if request.password is not None else None

        async def op(uow: UnitOfWork) -> tuple[Station, bool]:
            existing = await uow[STATIONS].get(station_id)
            station = existing or Station(id=station_id)
            station.registration = request.registration
            station.security_profile = request.security_profile
            station.description = request.description
            if password_hash is not None:
                station.password_hash = password_hash
            return await uow[STATIONS].save(station), existing is None

        return await self._storage.write(op)

    async def import_many(
        self, rows: Sequence[StationImport], *, skip_existing: bool = False, chunk_size: int = IMPORT_CHUNK_SIZE
    ) -> ImportResult:
        """Register many stations: one bulk upsert per chunk of rows, each chunk one write (commit).

        Stations already registered get the rows' operator settings, or are left alone with
        `skip_existing`. Rows are checked first (ids unique and valid): nothing is written if one is not."""
        seen: set[str] = set()
        for row in rows:
            if not is_valid_station_id(row.id):
                raise InvalidRequest(f"{row.id[:60]!r} is not a station id")
            if row.id in seen:
                raise InvalidRequest(f"station {row.id!r} appears more than once")
            seen.add(row.id)
        stations = [
            Station(
                id=row.id,
                registration=row.registration,
                security_profile=(
                    row.security_profile if row.security_profile is not None else (0 if row.password is None else 1)
                ),
                password_hash=None if row.password is None else hash_secret(row.password),
                description=row.description,
            )
            for row in rows
        ]
        created = 0
        for start in range(0, len(stations), chunk_size):
            chunk = stations[start : start + chunk_size]

            async def op(uow: UnitOfWork, chunk: list[Station] = chunk) -> int:
                return await uow[STATIONS].upsert_many(chunk, update_existing=not skip_existing)

            created += await self._storage.write(op)
        existing = len(stations) - created
        return ImportResult(created, 0, existing) if skip_existing else ImportResult(created, existing)

    async def delete(self, station_id: str) -> None:
        async def op(uow: UnitOfWork) -> bool:
            return await uow[STATIONS].delete(station_id)

        if not await self._storage.write(op):
            raise NotFound(f"station {station_id!r} is not registered")
