"""Station registry, boot decisions, connection state and connector status."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Final

from voltline.areas.stations.model import ConnectorStatus, Registration, Station, StationApproved, StationRemoved
from voltline.areas.stations.ports import STATIONS, BootRecord, StationQuery
from voltline.kernel.activity import ActivityFeed, ActivityKind, EvseActivity
from voltline.kernel.admission import PLAIN_WEBSOCKET, TransportSecurity
from voltline.kernel.clock import utcnow
from voltline.kernel.credentials import hash_secret
from voltline.kernel.errors import InvalidRequest, NotFound
from voltline.kernel.events import EventBus, Transaction
from voltline.kernel.identifiers import STATION_ID_RULE, is_valid_station_id
from voltline.kernel.live_events import BOOT, CONNECTED, DISCONNECTED, STATUS, EventHub
from voltline.kernel.presence import Disconnect, NoConnections
from voltline.kernel.storage import Storage, UnitOfWork

log = logging.getLogger("voltline.stations")

# The close reason a removed station's connection gets (with code 1008, policy violation).
REMOVED_REASON: Final = "station removed from the CSMS"
# How long a removal waits for the station's connection to finish the message it is handling.
REMOVAL_DRAIN_TIMEOUT: Final = 10.0


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
    """The whole operator record, as PUT /stations/{id} sets it: what it leaves out gets the default.

    A password of None keeps the current one (a secret is never read back, so a full replacement could
    not repeat it). A security profile of None is 1 when the station has a password (given here, or
    kept), else 0: the import's rule, so one row means the same station whichever way it comes in."""

    registration: Registration = Registration.ACCEPTED
    security_profile: int | None = None
    password: str | None = None
    description: str | None = None


class _Keep(Enum):
    KEEP = "keep"


# A field of `StationChanges` left as it is (None is a value there: no password, no description).
KEEP: Final = _Keep.KEEP


@dataclass(slots=True, frozen=True)
class StationChanges:
    """Some fields of a station's operator record, as PATCH /stations/{id} changes them: only the fields
    given (not KEEP) change; nothing else does, not even a default. A password of None removes it."""

    registration: Registration | _Keep = KEEP
    security_profile: int | _Keep = KEEP
    password: str | _Keep | None = KEEP
    description: str | _Keep | None = KEEP


# Station passwords are Basic-auth secrets of OCPP's passwordString length.
MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH = 16, 40
# Security profiles whose station authenticates with a Basic-auth password (3 uses a client certificate).
PASSWORD_PROFILES = frozenset({1, 2})


def station_id_problem(station_id: str) -> str | None:
    """Why `station_id` cannot be a station's id, or None: the handshake's own rule, so that no station is
    registered under an id it could never connect with."""
    if is_valid_station_id(station_id):
        return None
    return f"id {station_id[:60]!r} is not a station id ({STATION_ID_RULE})"


def registration_problems(
    station_id: str, security_profile: int, has_password: bool, transport: TransportSecurity
) -> list[str]:
    """Why a station so registered could never connect to this server (empty: it can). The one check of
    every way a station is registered: the API (PUT and PATCH) and the import."""
    problems = [problem] if (problem := station_id_problem(station_id)) is not None else []
    if security_profile not in (0, 1, 2, 3):
        problems.append("security_profile must be 0, 1, 2 or 3")
    elif (refusal := transport.refusal(security_profile)) is not None:
        problems.append(refusal)
    elif security_profile in PASSWORD_PROFILES and not has_password:
        problems.append(
            f"security_profile {security_profile} needs a password (the station's Basic auth): give a password "
            f"of {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, or use security_profile 0"
        )
    return problems


def default_security_profile(has_password: bool) -> int:
    """The profile of a station registered without one: Basic auth when it has a password."""
    return 1 if has_password else 0


MAX_DESCRIPTION_LENGTH = 500
IMPORT_FIELDS = ("id", "password", "security_profile", "registration", "description")
IMPORT_CHUNK_SIZE = 1000
_IMPORT_PROBLEMS_SHOWN = 20


@dataclass(slots=True, frozen=True)
class StationImport:
    """One station of a bulk import. A password of None keeps the current one of a station already
    registered; a security profile of None means 1 when the station has a password (given, or kept), else
    0, as for PUT."""

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
        elif not isinstance(station_id, str):
            problems.append(f"id {str(station_id)[:60]!r} is not a station id ({STATION_ID_RULE})")
        elif (id_problem := station_id_problem(station_id)) is not None:
            problems.append(id_problem)
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


@dataclass(slots=True)
class StationPage:
    """A page of the filtered registry: `total` counts every match, `views` is the page, by id."""

    total: int
    views: list[StationView]


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
    """The statuses of one commit group, of registered stations only: a station removed while its
    message was on the way is answered, its status dropped (it would break the foreign key, failing the
    message with an InternalError the station would send again and again). Only a group holding a station
    removed lately (`recently_removed`, kept by the service) pays the query that checks, by primary key:
    the station path otherwise costs one set lookup per status."""

    def __init__(self) -> None:
        self.recently_removed: dict[str, float] = {}

    async def apply(self, uow: UnitOfWork, statuses: Sequence[ConnectorStatus]) -> Sequence[bool]:
        removed = self.recently_removed
        if not removed or not any(status.station_id in removed for status in statuses):
            await uow[STATIONS].set_statuses(statuses)
            return [True] * len(statuses)
        registered = await uow[STATIONS].registered({status.station_id for status in statuses})
        kept = [status.station_id in registered for status in statuses]
        await uow[STATIONS].set_statuses([status for status, keep in zip(statuses, kept, strict=True) if keep])
        return kept


class _SetOnline:
    async def apply(self, uow: UnitOfWork, changes: Sequence[tuple[str, bool, datetime, str | None]]) -> Sequence[None]:
        await uow[STATIONS].set_online_many(changes)
        return [None] * len(changes)


GET_MANY = _GetMany()
CREATE_MISSING = _CreateMissing()
BOOT_MANY = _BootMany()
REPORT_STATUSES = _ReportStatuses()
# How long statuses of a removed station are checked against the registry: far longer than a message of
# a closed connection can take to reach its commit group.
REMOVED_CHECK_SECONDS = 600.0
SET_ONLINE = _SetOnline()


class StationService:
    def __init__(
        self,
        storage: Storage,
        heartbeat_interval: int,
        events: EventHub | None = None,
        *,
        bus: EventBus | None = None,
        transport: TransportSecurity = PLAIN_WEBSOCKET,
        connections: Disconnect | None = None,
        activity: ActivityFeed | None = None,
    ) -> None:
        self._storage = storage
        self._heartbeat_interval = heartbeat_interval
        self._events = events if events is not None else EventHub()
        self._activity = activity if activity is not None else ActivityFeed()
        # Operator changes are written through the bus: an approval publishes StationApproved.
        self._bus = bus if bus is not None else EventBus(storage)
        # The security profiles a station may be registered with follow what the endpoint serves.
        self._transport = transport
        # Ends a removed station's connection; the gateway attaches its registry (`attach_connections`).
        self._connections: Disconnect = connections if connections is not None else NoConnections()
        # Stations being removed: admission refuses them as unknown until the removal is over.
        self._removing: set[str] = set()

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
        """Store a connector's status; dropped (no error) when the station is no longer registered."""
        stored = await self._storage.submit(REPORT_STATUSES, status)
        if stored and status.station_id in self._activity.watched:
            self._activity.emit(
                EvseActivity(
                    status.station_id, status.evse_id, ActivityKind.STATUS, status=status.status, at=status.timestamp
                )
            )
        if stored and self._events.active:
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

    def attach_connections(self, connections: Disconnect) -> None:
        """The gateway's connections (its registry), handed over as the gateway is made: how `delete`
        ends a removed station's connection."""
        self._connections = connections

    def is_being_removed(self, station_id: str) -> bool:
        """Whether a removal of the station is under way: admission refuses it as an unknown station."""
        return station_id in self._removing

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
        if station_id in self._activity.watched:
            self._activity.emit(EvseActivity(station_id, 0, ActivityKind.CONNECTED))
        if self._events.active:
            self._events.publish(
                CONNECTED,
                station_id,
                {"ocpp_version": ocpp_version, "remote_address": remote_address, "replaced": replaced},
            )

    def announce_disconnected(self, station_id: str, ocpp_version: str, close_code: int) -> None:
        if station_id in self._activity.watched:
            self._activity.emit(EvseActivity(station_id, 0, ActivityKind.DISCONNECTED))
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

    async def search(self, query: StationQuery) -> StationPage:
        """A page of the filtered registry with each station's connector statuses: three queries in one
        read (count, page, the page's statuses), whatever the page size."""

        async def op(uow: UnitOfWork) -> StationPage:
            total, stations = await uow[STATIONS].search(query)
            statuses = await uow[STATIONS].statuses_of([station.id for station in stations])
            return StationPage(total, [StationView(s, statuses.get(s.id, [])) for s in stations])

        return await self._storage.read(op)

    async def view(self, station_id: str) -> StationView:
        async def op(uow: UnitOfWork) -> StationView:
            station = await uow[STATIONS].get(station_id)
            if station is None:
                raise NotFound(f"station {station_id!r} is not registered")
            return StationView(station, await uow[STATIONS].statuses(station_id))

        return await self._storage.read(op)

    async def register(self, station_id: str, request: StationRegistration) -> tuple[Station, bool]:
        """Create a station or replace its whole operator record (PUT); returns it and whether it was
        created. InvalidRequest, and nothing written, when the station so registered could never connect."""
        self._refuse_bad_id(station_id)
        password_hash = hash_secret(request.password) if request.password is not None else None

        async def op(tx: Transaction) -> tuple[Station, bool]:
            existing = await tx[STATIONS].get(station_id)
            station = existing or Station(id=station_id)
            before = station.registration if existing is not None else None
            station.registration = request.registration
            station.description = request.description
            if password_hash is not None:
                station.password_hash = password_hash
            station.security_profile = (
                request.security_profile
                if request.security_profile is not None
                else default_security_profile(station.password_hash is not None)
            )
            return await self._save(tx, station, before), existing is None

        return await self._bus.write(op)

    async def change(self, station_id: str, changes: StationChanges) -> Station:
        """Change only the named fields of a station's operator record (PATCH); NotFound when it is not
        registered, InvalidRequest (nothing written) when the station so changed could never connect."""
        password = changes.password
        new_hash: str | _Keep | None = password if password is KEEP or password is None else hash_secret(password)

        async def op(tx: Transaction) -> Station:
            station = await tx[STATIONS].get(station_id)
            if station is None:
                raise NotFound(f"station {station_id!r} is not registered")
            before = station.registration
            if changes.registration is not KEEP:
                station.registration = changes.registration
            if changes.security_profile is not KEEP:
                station.security_profile = changes.security_profile
            if new_hash is not KEEP:
                station.password_hash = new_hash
            if changes.description is not KEEP:
                station.description = changes.description
            return await self._save(tx, station, before)

        return await self._bus.write(op)

    async def _save(self, tx: Transaction, station: Station, before: Registration | None) -> Station:
        problems = registration_problems(
            station.id, station.security_profile, station.password_hash is not None, self._transport
        )
        if problems:
            raise InvalidRequest(f"station {station.id!r}: {'; '.join(problems)}")
        saved = await tx[STATIONS].save(station)
        if before is Registration.PENDING and saved.registration is Registration.ACCEPTED:
            await tx.publish(StationApproved(saved.id))
        return saved

    @staticmethod
    def _refuse_bad_id(station_id: str) -> None:
        # Before anything else: a station under such an id could never connect, whatever the body says.
        if (problem := station_id_problem(station_id)) is not None:
            raise InvalidRequest(problem)

    async def import_many(
        self, rows: Sequence[StationImport], *, skip_existing: bool = False, chunk_size: int = IMPORT_CHUNK_SIZE
    ) -> ImportResult:
        """Register many stations: one bulk upsert per chunk of rows, each chunk one write (commit).

        Stations already registered get the rows' operator settings, or are left alone with
        `skip_existing`. Rows are checked first, by the same rule as the API (`registration_problems`; a
        row without a password counts the one its station keeps): nothing is written if one is bad."""
        seen: set[str] = set()
        for row in rows:
            if (problem := station_id_problem(row.id)) is not None:
                raise InvalidRequest(problem)
            if row.id in seen:
                raise InvalidRequest(f"station {row.id!r} appears more than once")
            seen.add(row.id)
        # What is stored matters to rows without a password (whether their station keeps one) and, with
        # `skip_existing`, to every row (a registered station is left alone, so its row is not checked).
        stored = await self._stored_passwords(
            [row.id for row in rows if skip_existing or row.password is None], chunk_size
        )
        stations: list[Station] = []
        problems: list[str] = []
        for row in rows:
            has_password = row.password is not None or stored.get(row.id, False)
            profile = (
                row.security_profile if row.security_profile is not None else default_security_profile(has_password)
            )
            if not (skip_existing and row.id in stored):
                for problem in registration_problems(row.id, profile, has_password, self._transport):
                    problems.append(f"station {row.id!r}: {problem}")
            stations.append(
                Station(
                    id=row.id,
                    registration=row.registration,
                    security_profile=profile,
                    password_hash=None if row.password is None else hash_secret(row.password),
                    description=row.description,
                )
            )
        if problems:
            shown = problems[:_IMPORT_PROBLEMS_SHOWN]
            more = f"; and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
            raise InvalidRequest("; ".join(shown) + more)
        created = 0
        for start in range(0, len(stations), chunk_size):
            chunk = stations[start : start + chunk_size]

            async def op(uow: UnitOfWork, chunk: list[Station] = chunk) -> int:
                return await uow[STATIONS].upsert_many(chunk, update_existing=not skip_existing)

            created += await self._storage.write(op)
        existing = len(stations) - created
        return ImportResult(created, 0, existing) if skip_existing else ImportResult(created, existing)

    async def _stored_passwords(self, station_ids: Sequence[str], chunk_size: int) -> dict[str, bool]:
        """Whether each of these stations that is registered has a password (one read, a query a chunk)."""

        async def op(uow: UnitOfWork) -> dict[str, bool]:
            found: dict[str, bool] = {}
            for start in range(0, len(station_ids), chunk_size):
                stations = await uow[STATIONS].get_many(station_ids[start : start + chunk_size])
                found.update({sid: station.password_hash is not None for sid, station in stations.items()})
            return found

        return await self._storage.read(op) if station_ids else {}

    async def delete(self, station_id: str) -> None:
        """Remove a station from the registry (NotFound when it is not registered), and end its connection.

        While the removal is under way admission refuses the station as unknown. Its connection, if it
        has one, is closed first (1008) and the removal waits until its handler has finished the message
        it was handling, so that no message of the station is stored against a station that is gone (a
        status, a device model report: foreign keys). Then the row goes, with what describes the station
        (connector statuses, device model, local list), and `StationRemoved` is published; once that
        committed, any connection the station still has is closed again (`station_removed`). What the
        station did (transactions, meter values, review items, events) stays as history. After the
        removal the station is an unknown id: refused, or registered anew, as the unknown-station policy
        says."""
        if await self.get(station_id) is None:
            raise NotFound(f"station {station_id!r} is not registered")
        self._removing.add(station_id)
        self._remember_removal(station_id)
        try:
            if self._connections.disconnect(station_id, REMOVED_REASON):
                log.info("station %s is being removed: closing its connection", station_id)
                if not await self._connections.disconnected(station_id, REMOVAL_DRAIN_TIMEOUT):
                    log.warning(
                        "station %s: its connection did not end within %g s; removing it anyway",
                        station_id,
                        REMOVAL_DRAIN_TIMEOUT,
                    )

            async def op(tx: Transaction) -> bool:
                if not await tx[STATIONS].delete(station_id):
                    return False
                await tx.publish(StationRemoved(station_id))
                return True

            if not await self._bus.write(op):
                raise NotFound(f"station {station_id!r} is not registered")
        finally:
            self._removing.discard(station_id)

    @staticmethod
    def _remember_removal(station_id: str) -> None:
        removed = REPORT_STATUSES.recently_removed
        now = time.monotonic()
        for stale in [sid for sid, at in removed.items() if now - at > REMOVED_CHECK_SECONDS]:
            del removed[stale]
        removed[station_id] = now

    def station_removed(self, event: StationRemoved) -> None:
        """After-commit subscriber of `StationRemoved`: close a connection the station may still have (one
        that got past admission as the removal began, or one held elsewhere)."""
        if self._connections.disconnect(event.station_id, REMOVED_REASON):
            log.info("station %s removed: closing its connection", event.station_id)
