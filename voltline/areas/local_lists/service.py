"""Local authorization lists: each managed station holds a versioned copy of (part of) the token registry.

An operator chooses per station what its list holds (every token, or the tokens of some groups). Voltline
keeps what the station confirmed holding and at which version, sends Full or Differential SendLocalList
updates to close the gap, and marks the stations a token change affects as pending, updating the online
ones at once in the background. After a boot, a managed station's GetLocalListVersion answer is compared
with the recorded version: a station that lost track gets a Full update, one that fell behind a
Differential one. A periodic sweep updates the online stations still not in sync (back without a boot,
or after a failure); see the reconcile pattern in `voltline.kernel.background`.

Version numbers are positive and only grow: each update goes out with a number above every number sent
to that station before (a timed-out update may have been applied), so a number never means two contents.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from voltline.areas.authorization.model import IdToken, TokenChanged
from voltline.areas.configuration.model import SettingAddress
from voltline.areas.local_lists.commands import (
    NOT_SUPPORTED_VERSION,
    GetLocalListVersion,
    SendLocalList,
    UpdateAnswer,
    UpdateStatus,
)
from voltline.areas.local_lists.model import (
    LocalListEntry,
    LocalListsPending,
    LocalListState,
    LocalListStateChanged,
    Selection,
    SyncState,
)
from voltline.areas.local_lists.plan import (
    DEFAULT_MAX_ENTRIES,
    PlannedUpdate,
    diff_entries,
    entries_for,
    next_version,
    plan_differential,
    plan_full,
)
from voltline.areas.local_lists.ports import LOCAL_LISTS
from voltline.areas.stations.ports import STATIONS
from voltline.kernel.background import StationWork
from voltline.kernel.clock import utcnow
from voltline.kernel.commands import CommandService, StatusInfo
from voltline.kernel.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    StationOffline,
    StationRejectedCall,
    StationTimeout,
)
from voltline.kernel.events import EventBus, Transaction
from voltline.kernel.storage import Storage, UnitOfWork
from voltline.kernel.versions import OcppVersion, TokenIdentity, capabilities

log = logging.getLogger(__name__)


@dataclass(slots=True, frozen=True)
class SentUpdate:
    version: int
    full: bool
    entries: int
    removals: int
    status: str
    status_info: StatusInfo | None = None  # the station's reason (2.0.1)


@dataclass(slots=True, frozen=True)
class SyncOutcome:
    record: LocalListState
    updates: tuple[SentUpdate, ...]
    skipped: tuple[str, ...]


@dataclass(slots=True, frozen=True)
class VersionCheck:
    reported: int
    recorded: int | None  # None: the station's list is not managed
    record: LocalListState | None

    @property
    def matches(self) -> bool | None:
        return None if self.recorded is None else self.reported == self.recorded


@dataclass(slots=True, frozen=True)
class StopOutcome:
    cleared: bool
    version: int | None = None


class _Delivery:
    """The outcome of sending one planned series of updates."""

    def __init__(self) -> None:
        self.sent: list[SentUpdate] = []
        self.refused: UpdateAnswer | None = None


class LocalListService:
    def __init__(
        self,
        storage: Storage,
        commands: CommandService,
        events: EventBus,
        max_entries: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self._storage = storage
        self._commands = commands
        self._events = events
        self.max_entries = max_entries  # entries per SendLocalList; the composition root sets it from settings
        # Reads a limit the station announced (the device model belongs to configuration; wired in Services).
        self.station_limit: Callable[[str, SettingAddress], Awaitable[int | None]] | None = None
        self._locks: dict[str, asyncio.Lock] = {}
        # The ids of managed stations, read once and kept up to date by set_selection and stop, so that a boot
        # storm costs no database read per boot for the (usually many) stations whose list is not managed.
        self._managed: set[str] | None = None
        self._managed_since_start: set[str] = set()  # also while the set above is being read
        # Background updates: one worker per station at most, requests made meanwhile coalesce into one run.
        self._updates = StationWork("local-list")

    # ---------------------------------------------------------------- reading

    async def get(self, station_id: str) -> LocalListState | None:
        """The station's record, None when its list is not managed; NotFound for an unknown station."""

        async def op(uow: UnitOfWork) -> tuple[bool, LocalListState | None]:
            if await uow[STATIONS].get(station_id) is None:
                return False, None
            return True, await uow[LOCAL_LISTS].get(station_id)

        known, record = await self._storage.read(op)
        if not known:
            raise NotFound(f"station {station_id!r} is not registered")
        return record

    async def list(self, state: SyncState | None = None) -> list[LocalListState]:
        async def op(uow: UnitOfWork) -> list[LocalListState]:
            return await uow[LOCAL_LISTS].list(state)

        return await self._storage.read(op)

    async def entries(self, station_id: str) -> dict[str, LocalListEntry]:
        """What the station confirmed holding."""

        async def op(uow: UnitOfWork) -> dict[str, LocalListEntry]:
            return await uow[LOCAL_LISTS].entries(station_id)

        return await self._storage.read(op)

    # ---------------------------------------------------------------- operator changes

    async def set_selection(self, station_id: str, selection: Selection) -> LocalListState:
        """Manage the station's list (or change what it holds); an online station is updated at once."""
        if not selection.all and not selection.groups:
            raise InvalidRequest("a selection takes every token or at least one group")
        selection = Selection(all=True) if selection.all else Selection(groups=tuple(sorted(set(selection.groups))))

        async def op(uow: UnitOfWork) -> LocalListState | None:
            if await uow[STATIONS].get(station_id) is None:
                return None
            record = await uow[LOCAL_LISTS].get(station_id)
            if record is None:
                record = LocalListState(station_id, selection)
                changed = True
            else:
                changed = record.selection != selection
            if changed:
                record.selection = selection
                record.desired_version = max(record.desired_version, record.station_version, record.sent_version) + 1
                record.revision += 1
                record.state = SyncState.PENDING
                await uow[LOCAL_LISTS].save(record)
            return await uow[LOCAL_LISTS].get(station_id)

        record = await self._storage.write(op)
        if record is None:
            raise NotFound(f"station {station_id!r} is not registered")
        self._managed_since_start.add(station_id)
        if record.state is not SyncState.IN_SYNC:
            self.schedule(station_id)
        return record

    async def stop(self, station_id: str, clear: bool = False) -> StopOutcome:
        """Stop managing the station's list. With `clear`, first send it an empty Full list (the station
        must be online and accept it; otherwise the list stays managed)."""
        async with self._lock(station_id):
            record = await self._require_managed(station_id)
            outcome = StopOutcome(cleared=False)
            if clear:
                self._commands.require_online(station_id)
                version = await self._reserve(station_id)
                result = await self._commands.send(station_id, SendLocalList(version, full=True))
                if result.status != UpdateStatus.ACCEPTED:
                    raise Conflict(f"station {station_id!r} answered {result.status} to the empty list; still managed")
                outcome = StopOutcome(cleared=True, version=version)

            async def op(uow: UnitOfWork) -> bool:
                return await uow[LOCAL_LISTS].delete(record.station_id)

            await self._storage.write(op)
            self._managed_since_start.discard(station_id)
            if self._managed is not None:
                self._managed.discard(station_id)
            self._events.announce(LocalListStateChanged(station_id, "unmanaged"))
            return outcome

    # ---------------------------------------------------------------- talking to the station

    async def check_version(self, station_id: str) -> VersionCheck:
        """GetLocalListVersion; a managed station whose answer differs from the record gets a Full update
        next time, one that does not support lists is marked failed."""
        async with self._lock(station_id):
            record = await self.get(station_id)
            result = await self._commands.send(station_id, GetLocalListVersion())
            reported = int(result.value)
            if record is None:
                return VersionCheck(reported, None, None)

            def note(current: LocalListState) -> None:
                current.reported_version = reported
                if reported == NOT_SUPPORTED_VERSION:
                    current.state = SyncState.FAILED
                    current.last_error = "the station does not support local authorization lists (version -1)"
                elif reported != current.station_version:
                    current.needs_full = True
                    if current.state is SyncState.IN_SYNC:
                        current.state = SyncState.PENDING

            updated = await self._update(station_id, note)
            return VersionCheck(reported, record.station_version, updated)

    async def sync(self, station_id: str, full: bool = False) -> SyncOutcome:
        """Bring the station's list up to date now (Full when asked, when nothing is confirmed, or when what
        the station holds is uncertain; Differential otherwise). Raises StationOffline, StationTimeout,
        StationRejectedCall; a refused update is reported in the outcome (state failed)."""
        async with self._lock(station_id):
            return await self._sync(station_id, full)

    async def reconcile(self, station_id: str) -> None:
        """After-boot step (the station may have lost its list): check the version the station reports, then
        send what it misses. Idempotent: a station in line gets the version check and nothing else; costs
        nothing for a station whose list is not managed (an in-memory set). Changes and the timer sweep go
        through `schedule`, which sends what is missing without the version check."""
        try:
            if not await self._is_managed(station_id):
                return  # not managed: the station's list is none of Voltline's business
            if await self.get(station_id) is None:
                return
            check = await self.check_version(station_id)
            if check.record is None or check.reported == NOT_SUPPORTED_VERSION:
                return
            await self.sync(station_id)
        except NotFound:
            return
        except (StationOffline, StationTimeout, StationRejectedCall, InvalidRequest) as exc:
            log.info("local list of station %r not brought up to date after boot: %s", station_id, exc)

    async def _entries_per_message(self, station_id: str, version: OcppVersion) -> int:
        """`max_entries`, or less when the station announced a smaller limit in its device model (1.6
        SendLocalListMaxLength, 2.0.1 LocalAuthListCtrlr.ItemsPerMessage)."""
        if self.station_limit is None:
            return self.max_entries
        address = SettingAddress.of(capabilities(version).local_list_items_per_message)
        announced = await self.station_limit(station_id, address)
        return min(self.max_entries, announced) if announced else self.max_entries

    async def _is_managed(self, station_id: str) -> bool:
        if self._managed is None:

            async def op(uow: UnitOfWork) -> set[str]:
                return {record.station_id for record in await uow[LOCAL_LISTS].list(None)}

            self._managed = await self._storage.read(op)
        # A station stopped while the set was read may still be in it: the caller's read then finds no record.
        return station_id in self._managed or station_id in self._managed_since_start

    async def _sync(self, station_id: str, force_full: bool) -> SyncOutcome:
        async def read(uow: UnitOfWork) -> tuple[LocalListState | None, dict[str, LocalListEntry], list[IdToken]]:
            record = await uow[LOCAL_LISTS].get(station_id)
            if record is None:
                return None, {}, []
            return (
                record,
                await uow[LOCAL_LISTS].entries(station_id),
                await uow[LOCAL_LISTS].selected_tokens(record.selection),
            )

        record, held, tokens = await self._storage.read(read)
        if record is None:
            raise NotFound(f"the local list of station {station_id!r} is not managed")
        version = self._commands.require_online(station_id)
        wanted, skipped = entries_for(version, tokens)
        diff = diff_entries(held, wanted)
        full = (
            force_full
            or record.needs_full
            or record.station_version <= 0
            # Where an entry is named by id and type (2.0.1), a retyped token is a new entry: a
            # Differential update would add it beside the old one instead of replacing it.
            or (diff.retyped and capabilities(version).token_identity is TokenIdentity.VALUE_AND_TYPE)
        )
        if not full and diff.empty and record.desired_version <= record.station_version:
            return SyncOutcome(await self._finish(station_id, record.revision, skipped), (), skipped)

        per_message = await self._entries_per_message(station_id, version)
        plans = plan_full(list(wanted.values()), per_message) if full else plan_differential(diff, per_message)
        delivery = await self._deliver(station_id, plans, record.desired_version)
        if delivery.refused is not None and not full and delivery.refused.status != UpdateStatus.NOT_SUPPORTED:
            # OCPP: after a Failed or VersionMismatch answer to a Differential update, send the whole list.
            retry = await self._deliver(station_id, plan_full(list(wanted.values()), per_message), 0)
            retry.sent[:0] = delivery.sent
            delivery = retry
        if delivery.refused is not None:
            refused = delivery.refused
            last = delivery.sent[-1]
            error = f"station answered {refused.status} to the {'Full' if last.full else 'Differential'} update"
            error += f" (version {last.version})" + (f": {refused.status_info}" if refused.status_info else "")
            failed = await self._fail(station_id, error, skipped=skipped)
            return SyncOutcome(failed, tuple(delivery.sent), skipped)
        return SyncOutcome(await self._finish(station_id, record.revision, skipped), tuple(delivery.sent), skipped)

    async def _deliver(self, station_id: str, plans: Sequence[PlannedUpdate], desired: int) -> _Delivery:
        delivery = _Delivery()
        for plan in plans:
            version = await self._reserve(station_id, desired)
            command = SendLocalList(version, plan.full, plan.entries, plan.removals)
            try:
                result = await self._commands.send(station_id, command)
            except (StationTimeout, StationOffline) as exc:
                # It may or may not have been applied: only a Full update makes the content certain again.
                await self._fail(station_id, str(exc), needs_full=True, pending=isinstance(exc, StationOffline))
                raise
            except (StationRejectedCall, InvalidRequest) as exc:
                await self._fail(station_id, str(exc))
                raise
            answer = result.value if isinstance(result.value, UpdateAnswer) else UpdateAnswer(result.status)
            delivery.sent.append(
                SentUpdate(version, plan.full, len(plan.entries), len(plan.removals), answer.status, answer.status_info)
            )
            if answer.status != UpdateStatus.ACCEPTED:
                delivery.refused = answer
                return delivery
            await self._confirm(station_id, version, plan)
        return delivery

    async def _reserve(self, station_id: str, desired: int = 0) -> int:
        """Take the next version number for an update about to be sent (recorded first: never reused).
        `desired` is the desired version as read with the content: a change committed since then gets a
        later number of its own."""

        async def op(uow: UnitOfWork) -> int:
            record = await uow[LOCAL_LISTS].get(station_id)
            if record is None:
                raise NotFound(f"the local list of station {station_id!r} is not managed")
            version = next_version(record, desired)
            record.sent_version = version
            record.desired_version = max(record.desired_version, version)
            record.last_attempt_at = utcnow()
            await uow[LOCAL_LISTS].save(record)
            return version

        return await self._storage.write(op)

    async def _confirm(self, station_id: str, version: int, plan: PlannedUpdate) -> None:
        async def op(uow: UnitOfWork) -> None:
            record = await uow[LOCAL_LISTS].get(station_id)
            if record is None:
                return
            if plan.full:
                await uow[LOCAL_LISTS].replace_entries(station_id, plan.entries)
                record.needs_full = False
            else:
                await uow[LOCAL_LISTS].change_entries(station_id, plan.entries, [e.id_token for e in plan.removals])
            record.station_version = version
            record.last_synced_at = utcnow()
            await uow[LOCAL_LISTS].save(record)

        await self._storage.write(op)

    async def _finish(self, station_id: str, revision: int, skipped: tuple[str, ...]) -> LocalListState:
        """In sync, unless a change arrived since the list was read (then its own update follows)."""

        def done(record: LocalListState) -> None:
            record.skipped = skipped
            if record.revision == revision:
                record.state = SyncState.IN_SYNC
                record.desired_version = record.station_version
                record.last_error = None

        record = await self._update(station_id, done)
        self._events.announce(
            LocalListStateChanged(
                station_id, record.state.value, station_version=record.station_version, skipped=len(skipped)
            )
        )
        return record

    async def _fail(
        self,
        station_id: str,
        error: str,
        *,
        needs_full: bool = False,
        pending: bool = False,
        skipped: tuple[str, ...] | None = None,
    ) -> LocalListState:
        def failed(record: LocalListState) -> None:
            record.state = SyncState.PENDING if pending else SyncState.FAILED
            record.last_error = error
            record.needs_full = record.needs_full or needs_full
            if skipped is not None:
                record.skipped = skipped

        record = await self._update(station_id, failed)
        self._events.announce(LocalListStateChanged(station_id, record.state.value, error=error))
        return record

    async def _update(self, station_id: str, change: Callable[[LocalListState], None]) -> LocalListState:
        async def op(uow: UnitOfWork) -> LocalListState | None:
            record = await uow[LOCAL_LISTS].get(station_id)
            if record is None:
                return None
            change(record)
            await uow[LOCAL_LISTS].save(record)
            return await uow[LOCAL_LISTS].get(station_id)

        record = await self._storage.write(op)
        if record is None:
            raise NotFound(f"the local list of station {station_id!r} is not managed")
        return record

    async def _require_managed(self, station_id: str) -> LocalListState:
        record = await self.get(station_id)
        if record is None:
            raise NotFound(f"the local list of station {station_id!r} is not managed")
        return record

    def _lock(self, station_id: str) -> asyncio.Lock:
        lock = self._locks.get(station_id)
        if lock is None:
            lock = self._locks[station_id] = asyncio.Lock()
        return lock

    # ---------------------------------------------------------------- token changes (TokenChanged)

    async def token_changed(self, tx: Transaction, event: TokenChanged) -> None:
        """In-transaction subscriber: inside the token change's own transaction, the affected stations get
        their next desired version and become pending (LocalListsPending, whose after-commit subscriber
        `lists_pending` then updates the online ones)."""
        before, after = event.before, event.after
        if before is not None and after is not None and LocalListEntry.of(before) == LocalListEntry.of(after):
            return
        groups = [token.group_id for token in (before, after) if token is not None]
        affected = await tx[LOCAL_LISTS].mark_changed(groups)
        if affected:
            await tx.publish(LocalListsPending(tuple(affected)))

    def lists_pending(self, event: LocalListsPending) -> None:
        """After-commit subscriber: update the online stations among those now pending."""
        self.schedule_many(event.station_ids)

    # ---------------------------------------------------------------- background updates

    def schedule_many(self, station_ids: Sequence[str]) -> None:
        for station_id in station_ids:
            self.schedule(station_id)

    def schedule(self, station_id: str) -> None:
        """Update the station in the background if it is online (an offline one stays pending until its
        next boot, or the sweep after it is back). Requests for a station already being updated coalesce
        into one more run."""
        if not self._commands.is_online(station_id):
            return
        self._updates.request(station_id, self._update_in_background)

    async def _update_in_background(self, station_id: str) -> None:
        try:
            await self.sync(station_id)
        except NotFound:
            return  # no longer managed (stopped meanwhile): nothing to update

    async def sweep(self) -> None:
        """Timer: update every online station whose list is not in sync: pending (a change it missed while
        away and then came back without a boot), or failed (a timeout, a refusal), except those that said
        they do not support local lists. One snapshot of the records not in sync; nothing for the others."""

        async def op(uow: UnitOfWork) -> list[LocalListState]:
            return [*await uow[LOCAL_LISTS].list(SyncState.PENDING), *await uow[LOCAL_LISTS].list(SyncState.FAILED)]

        for record in await self._storage.read(op):
            if record.reported_version != NOT_SUPPORTED_VERSION:
                self.schedule(record.station_id)

    async def wait_idle(self) -> None:
        """Wait for every background update (tests, graceful stop)."""
        await self._updates.wait_idle()

    async def close(self) -> None:
        await self._updates.close()


__all__ = [
    "GetLocalListVersion",
    "LocalListEntry",
    "LocalListService",
    "LocalListState",
    "Selection",
    "SendLocalList",
    "SyncState",
    "UpdateAnswer",
    "UpdateStatus",
]
