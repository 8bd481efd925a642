"""Charging profiles kept per station and converged onto it; composite schedules; what stations report.

A profile is stored before it is sent (state pending) and its delivery recorded as the station answers:
accepted, rejected with the station's reason, or still pending when the station could not be reached
(it goes out on the next boot or sweep). What the station holds is converged by `reconcile`, requested
after every Accepted boot: profiles whose validity ended (or whose transaction ended) are retired, and
a station that lost what it accepted gets it again. 2.0.1 stations say what they hold (GetChargingProfiles
-> ReportChargingProfiles); a 1.6 station cannot, so its composite schedule is compared with ours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from voltline.areas.configuration.model import SettingAddress
from voltline.areas.configuration.service import ConfigurationService
from voltline.areas.remote_control.service import RemoteControlService, RemoteStartOutcome
from voltline.areas.smart_charging.commands import (
    ClearChargingProfile,
    GetChargingProfiles,
    GetCompositeSchedule,
    ProfileAnswer,
    RemoteStartWithProfile,
    SetChargingProfile,
    StationComposite,
)
from voltline.areas.smart_charging.model import (
    ChargingLimit,
    ChargingLimitChanged,
    ChargingProfile,
    ChargingProfileChanged,
    ChargingProfilePurpose,
    DeliveryState,
    LimitKind,
    ProfileKind,
    ProfileSource,
    ProfileTemplate,
    RateUnit,
    ReportedProfile,
    StoredProfile,
    schedule_of,
)
from voltline.areas.smart_charging.plan import StationLimits, check_profile, parse_rate_units
from voltline.areas.smart_charging.ports import CHARGING_PROFILES, PROFILE_TEMPLATES, STATION_VIEWS
from voltline.areas.smart_charging.settings import SmartChargingSettings
from voltline.areas.smart_charging.stack import (
    ActiveTransaction,
    CompositePeriod,
    CompositeSchedule,
    Electrical,
    ScheduleDifference,
    composite_schedule,
    differences,
)
from voltline.areas.stations.ports import STATIONS
from voltline.areas.transactions.ports import TransactionFilter
from voltline.areas.transactions.service import TransactionService
from voltline.kernel.actors import current_actor
from voltline.kernel.clock import utcnow
from voltline.kernel.commands import CommandCompleted, CommandService, StatusInfo
from voltline.kernel.errors import (
    Conflict,
    DomainError,
    InvalidRequest,
    NotFound,
    StationOffline,
    StationRejectedCall,
    StationTimeout,
)
from voltline.kernel.events import EventBus, Transaction
from voltline.kernel.pending_requests import PendingRequests
from voltline.kernel.storage import Storage, UnitOfWork
from voltline.kernel.versions import OcppVersion, capabilities

log = logging.getLogger(__name__)

PROFILE_REPORT = "charging_profiles.report"  # the pending-request kind of GetChargingProfiles
# How far ahead a 1.6 station's composite is compared with ours after a boot.
RECONCILE_WINDOW_S = 3600
_ACTIVE = (DeliveryState.PENDING, DeliveryState.ACCEPTED)


@dataclass(slots=True, frozen=True)
class ProfileDelivery:
    record: StoredProfile
    answer: ProfileAnswer | None = None  # None: not sent (station offline: it stays pending)


@dataclass(slots=True, frozen=True)
class ClearOutcome:
    status: str  # the station's answer (Accepted, Unknown), or "NotSent" for a profile that never left
    cleared: tuple[int, ...]
    status_info: StatusInfo | None = None


@dataclass(slots=True, frozen=True)
class CompositeView:
    """Our composite next to the station's answer, and where they differ."""

    evse_id: int
    ours: CompositeSchedule
    station: CompositeSchedule | None
    station_status: str | None  # the GetCompositeSchedule status; None when the station was not asked
    station_error: str | None = None  # why there is no station answer (offline, timeout, error)
    differences: tuple[ScheduleDifference, ...] = ()

    @property
    def matches(self) -> bool | None:
        return None if self.station is None else not self.differences


@dataclass(slots=True, frozen=True)
class StationProfiles:
    status: str
    profiles: list[ReportedProfile]
    status_info: StatusInfo | None = None


@dataclass(slots=True, frozen=True)
class TemplateApplication:
    station_id: str
    delivery: ProfileDelivery | None = None
    error: str | None = None


def _source_of(actor: str) -> ProfileSource:
    if actor.startswith("user:"):
        return ProfileSource.OPERATOR
    if actor.startswith("key:"):
        return ProfileSource.API_KEY
    return ProfileSource.CONTROLLER


# Stations a template application works on at once.
TEMPLATE_APPLY_CONCURRENCY = 64
# Background delivery states wait this long for company, and go at most this many (stations) per transaction.
STATE_BATCH_DELAY_S = 0.1
# A station that could not tell its limits (keys it does not have) is asked again at most this often, not
# before every profile: a load controller sends one per change.
LIMITS_ASK_INTERVAL_S = 900.0
# The limits as last read are used this long before they are read again (a load controller sends a profile
# per change; the device model values behind them change rarely).
LIMITS_CACHE_S = 60.0
LIMITS_CACHE_MAX = 100_000
STATE_BATCH_MAX = 500


@dataclass(slots=True)
class _UnsavedState:
    """Delivery states waiting for the next batch, with the outcomes of the commands that set them (written
    in the same transaction). `replaced_by` is set only when the retired siblings are still to be read:
    otherwise `records` holds them already, decided when the answer came."""

    records: list[StoredProfile]
    replaced_by: StoredProfile | None
    at: datetime
    outcomes: list[CommandCompleted]


async def _write_states(
    uow: UnitOfWork,
    records: list[StoredProfile],
    replaced_by: StoredProfile | None,
    now: datetime,
    siblings: list[StoredProfile] | None = None,
) -> list[StoredProfile]:
    """Store the records' states and retire what `replaced_by` replaced on the station; all that changed.
    `siblings`: the station's active profiles when the caller has them (else they are read)."""
    changed = list(records)
    if replaced_by is not None:
        if siblings is None:
            siblings = await uow[CHARGING_PROFILES].list(replaced_by.station_id, active_only=True)
        changed += _retire_replaced(siblings, replaced_by, now)
    await uow[CHARGING_PROFILES].set_state(changed)
    return changed


def _retire_replaced(
    siblings: Sequence[StoredProfile], replaced_by: StoredProfile, now: datetime
) -> list[StoredProfile]:
    """Mark cleared the active siblings that `replaced_by` replaced on the station (same EVSE, purpose and
    stack level; for a TxProfile, the same transaction); those marked."""
    new = replaced_by.profile
    retired: list[StoredProfile] = []
    for other in siblings:
        if other.state not in _ACTIVE:
            continue
        old = other.profile
        if (
            old.profile_id != new.profile_id
            and (old.evse_id, old.purpose, old.stack_level) == (new.evse_id, new.purpose, new.stack_level)
            and (old.purpose is not ChargingProfilePurpose.TX or old.transaction_id == new.transaction_id)
        ):
            other.state = DeliveryState.CLEARED
            other.status_reason = f"replaced on the station by profile {new.profile_id}"
            other.updated_at = now
            retired.append(other)
    return retired


class _SaveProfiles:
    """Bulk operation: the profiles of one commit group (of different stations: a station stores one at a
    time, under its lock) stored with one statement; each comes back with its station's active profiles
    after it, the held ones taken as they are at that moment, the others read once."""

    def __init__(self, held: Callable[[str], list[StoredProfile] | None]) -> None:
        self._held = held

    async def apply(self, uow: UnitOfWork, records: Sequence[StoredProfile]) -> list[list[StoredProfile]]:
        await uow[CHARGING_PROFILES].save_many(records)
        result: list[list[StoredProfile]] = []
        for record in records:
            held = self._held(record.station_id)
            if held is None:
                held = await uow[CHARGING_PROFILES].list(record.station_id, active_only=True)
            result.append(_with_record(held, record))
        return result


def _reason(answer: ProfileAnswer) -> str:
    return f"{answer.status}: {answer.status_info}" if answer.status_info is not None else answer.status


def _with_record(held: Sequence[StoredProfile], record: StoredProfile) -> list[StoredProfile]:
    """The station's active profiles after `record` was stored: it replaces the one of its id, in the
    store's order (EVSE, purpose, stack level, id)."""
    profile_id = record.profile.profile_id
    active = [r for r in held if r.profile.profile_id != profile_id]
    active.append(record)
    active.sort(key=lambda r: (r.profile.evse_id, r.profile.purpose.value, r.profile.stack_level, r.profile.profile_id))
    return active


def same_content(ours: ChargingProfile, theirs: ChargingProfile) -> bool:
    """Whether a station's report describes the profile we sent (schedule ids we left to the wire aside,
    limits to the one decimal both versions keep)."""

    def key(p: ChargingProfile) -> tuple[object, ...]:
        schedules = tuple(
            (
                s.unit,
                s.start,
                s.duration,
                tuple((q.start_offset, round(q.limit, 1), q.number_phases, q.phase_to_use) for q in s.periods),
            )
            for s in p.schedules
        )
        return (
            p.profile_id,
            p.purpose,
            p.stack_level,
            p.kind,
            p.evse_id,
            p.recurrency,
            p.valid_from,
            p.valid_to,
            schedules,
        )

    return key(ours) == key(theirs)


def _external_profiles(limits: Sequence[ChargingLimit]) -> list[ChargingProfile]:
    """External constraints a station reported, as ChargingStationExternalConstraints profiles."""
    profiles: list[ChargingProfile] = []
    for index, limit in enumerate(limits):
        documents = limit.detail.get("schedules")
        if not isinstance(documents, list) or not documents:
            continue
        for schedule in [schedule_of(documents[0])]:
            profiles.append(
                ChargingProfile(
                    profile_id=-(index + 1),
                    purpose=ChargingProfilePurpose.EXTERNAL_CONSTRAINTS,
                    stack_level=0,
                    kind=ProfileKind.ABSOLUTE if schedule.start is not None else ProfileKind.RELATIVE,
                    schedules=(schedule,),
                    evse_id=limit.evse_id,
                )
            )
    return profiles


class SmartChargingService:
    def __init__(
        self,
        storage: Storage,
        commands: CommandService,
        events: EventBus,
        pending: PendingRequests,
        *,
        transactions: TransactionService,
        configuration: ConfigurationService,
        remote_control: RemoteControlService,
        settings: SmartChargingSettings | None = None,
    ) -> None:
        settings = settings or SmartChargingSettings()
        self._storage = storage
        self._commands = commands
        self._events = events
        self._pending = pending
        self._transactions = transactions
        self._configuration = configuration
        self._remote_control = remote_control
        self.electrical = Electrical(
            phases=settings.smart_charging_phases,
            voltage_v=settings.smart_charging_voltage_v,
            max_current_a=settings.smart_charging_max_current_a,
        )
        self.report_timeout = settings.smart_charging_report_timeout
        self._locks: dict[str, asyncio.Lock] = {}
        self._limits_asked: dict[str, float] = {}  # station -> loop time its missing limits were last asked
        self._limits: dict[str, tuple[float, OcppVersion, StationLimits]] = {}  # station -> (read at, ...)
        # Stations holding an active profile, so that a boot storm costs nothing for the others.
        self._with_profiles: set[str] | None = None
        # The active profiles of stations that hold some, as last read or written here: a boot storm's
        # reconciles read no database. An entry is dropped on any write it does not follow (the next
        # reconcile reads the station again); loaded whole at start.
        self._active: dict[str, list[StoredProfile]] = {}
        self._reporting: dict[str, int] = {}  # station -> the request id whose report parts are arriving
        self._save_profiles = _SaveProfiles(self.known_active)  # a station known to hold none reads nothing
        self._unsaved: list[_UnsavedState] = []  # delivery states of background deliveries, not yet written
        self._flusher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        async def op(uow: UnitOfWork) -> list[StoredProfile]:
            return await uow[CHARGING_PROFILES].all_active()

        active: dict[str, list[StoredProfile]] = {}
        for record in await self._storage.read(op):
            active.setdefault(record.station_id, []).append(record)
        self._active = active
        self._with_profiles = set(active)

    def _forget(self, *station_ids: str) -> None:
        for station_id in station_ids:
            self._active.pop(station_id, None)

    def cached_active(self, station_id: str) -> list[StoredProfile]:
        """The station's active profiles as held in memory ([] when none, or not held now: a controller
        that needs certainty reads `profiles`)."""
        return list(self._active.get(station_id, ()))

    def known_active(self, station_id: str) -> list[StoredProfile] | None:
        """The station's active profiles when memory knows them for sure (none, or held), else None (read
        `profiles`): a boot storm's checks cost no read for stations whose profiles are known."""
        if self._with_profiles is not None and station_id not in self._with_profiles:
            return []
        held = self._active.get(station_id)
        return list(held) if held is not None else None

    def station_removed(self, station_id: str) -> None:
        self._forget(station_id)
        self._limits_asked.pop(station_id, None)
        self._limits.pop(station_id, None)
        if self._with_profiles is not None:
            self._with_profiles.discard(station_id)

    def _lock(self, station_id: str) -> asyncio.Lock:
        return self._locks.setdefault(station_id, asyncio.Lock())

    # ---------------------------------------------------------------- reading

    async def _version_of(self, station_id: str) -> OcppVersion:
        """The station's version: the connected one, else the one it last booted with; NotFound for an
        unknown station, InvalidRequest for one that never booted (its version is not known yet)."""
        online = self._commands.version_of(station_id)
        if online is not None:
            return online  # connected, so registered: no read on the path of every profile

        async def op(uow: UnitOfWork) -> tuple[bool, str | None]:
            station = await uow[STATIONS].get(station_id)
            return (station is not None, station.ocpp_version if station is not None else None)

        known, booted_with = await self._storage.read(op)
        if not known:
            raise NotFound(f"station {station_id!r} is not registered")
        version = online or OcppVersion.parse(booted_with)
        if version is None:
            raise InvalidRequest(f"station {station_id!r} has not connected yet: its OCPP version is not known")
        return version

    async def profiles(self, station_id: str, *, active_only: bool = False) -> list[StoredProfile]:
        await self._version_of(station_id)
        await self.flush_states()

        async def op(uow: UnitOfWork) -> list[StoredProfile]:
            return await uow[CHARGING_PROFILES].list(station_id, active_only=active_only)

        return await self._storage.read(op)

    async def profile(self, station_id: str, profile_id: int) -> StoredProfile:
        await self.flush_states()

        async def op(uow: UnitOfWork) -> StoredProfile | None:
            return await uow[CHARGING_PROFILES].get(station_id, profile_id)

        record = await self._storage.read(op)
        if record is None:
            raise NotFound(f"station {station_id!r} has no charging profile {profile_id}")
        return record

    async def limits(self, station_id: str) -> list[ChargingLimit]:
        await self._version_of(station_id)

        async def op(uow: UnitOfWork) -> list[ChargingLimit]:
            return await uow[STATION_VIEWS].limits(station_id)

        return await self._storage.read(op)

    async def reported(self, station_id: str) -> list[ReportedProfile]:
        async def op(uow: UnitOfWork) -> list[ReportedProfile]:
            return await uow[STATION_VIEWS].reported(station_id)

        return await self._storage.read(op)

    async def station_limits(self, station_id: str, version: OcppVersion) -> StationLimits:
        """The station's announced limits, from its stored device model; those never read are asked for
        once when the station is online (and stored by the configuration area as they come)."""
        cached = self._fresh_limits(station_id, version)
        if cached is not None:
            return cached
        return (await self._read_limits(version, [station_id]))[station_id]

    async def prefetch_limits(self, station_ids: Iterable[str]) -> None:
        """Read the limits of many connected stations at once (one read per version, the asks concurrent),
        so that a controller about to send each of them a profile does not read once per station."""
        by_version: dict[OcppVersion, list[str]] = {}
        for station_id in dict.fromkeys(station_ids):
            version = self._commands.version_of(station_id)
            if version is not None and self._fresh_limits(station_id, version) is None:
                by_version.setdefault(version, []).append(station_id)
        for version, stations in by_version.items():
            await self._read_limits(version, stations)

    def _fresh_limits(self, station_id: str, version: OcppVersion) -> StationLimits | None:
        cached = self._limits.get(station_id)
        now = asyncio.get_running_loop().time()
        if cached is not None and cached[1] is version and now - cached[0] < LIMITS_CACHE_S:
            return cached[2]
        return None

    async def _read_limits(self, version: OcppVersion, station_ids: Sequence[str]) -> dict[str, StationLimits]:
        caps = capabilities(version)
        names = (caps.schedule_max_periods, caps.max_stack_level, caps.rate_units, caps.settings_read_limit)
        addresses = [SettingAddress.of(n) for n in names]
        if version is OcppVersion.V16:
            addresses = [a.as_key() for a in addresses]
        wanted, read_limit = addresses[:3], addresses[3]
        stored = await self._configuration.stored_values(station_ids, addresses)

        async def one(station_id: str) -> tuple[str, StationLimits]:
            mine = stored.get(station_id, {})
            values = {a.identity: (v.value if (v := mine.get(a.identity)) is not None else None) for a in wanted}
            missing = [a for a in wanted if values[a.identity] is None]
            if missing and self._commands.is_online(station_id) and self._may_ask_limits(station_id):
                # Its per-request limit was read with the rest (none stored: the configuration's default).
                known = mine.get(read_limit.identity)
                per_message = _positive(known.value if known is not None else None)
                per_message = per_message or self._configuration.default_items_per_message
                try:
                    for reading in await self._configuration.read(station_id, missing, items_per_message=per_message):
                        if reading.status == "Accepted":
                            values[reading.address.identity] = reading.value
                except DomainError as exc:  # the station could not say: its limits stay unchecked
                    log.info("smart charging: limits of %r not read: %s", station_id, exc)
            periods, stack, units = (values[a.identity] for a in wanted)
            return station_id, StationLimits(_positive(periods), _non_negative(stack), parse_rate_units(units))

        found = dict(await asyncio.gather(*(one(s) for s in station_ids)))
        now = asyncio.get_running_loop().time()
        if len(self._limits) + len(found) > LIMITS_CACHE_MAX:
            self._limits.clear()  # bounded: a cache, refilled as profiles are sent
        for station_id, limits in found.items():
            self._limits[station_id] = (now, version, limits)
        return found

    def _may_ask_limits(self, station_id: str) -> bool:
        """Whether to ask the station for limits it has not told: once per LIMITS_ASK_INTERVAL_S (noted before
        asking, so that profiles sent meanwhile do not ask again)."""
        now = asyncio.get_running_loop().time()
        asked = self._limits_asked.get(station_id)
        if asked is not None and now - asked < LIMITS_ASK_INTERVAL_S:
            return False
        self._limits_asked[station_id] = now
        return True

    # ---------------------------------------------------------------- setting and clearing

    async def set_profile(
        self,
        station_id: str,
        profile: ChargingProfile,
        *,
        template_id: int | None = None,
        transaction_bound: bool = False,
        answer_batched: bool = False,
    ) -> ProfileDelivery:
        """Check, store and send a profile (profile_id 0: the next free id of the station). A TxProfile
        names its transaction by the API id or the station's id; an offline station gets it later.
        `transaction_bound`: the caller follows the station's transactions itself (the load controller) and
        names a running one by the station's id on its EVSE, so it is not looked up again.
        `answer_batched`: the answer's state (and the command's audit record) is written with others soon
        after instead of before this returns (the load controller, which sends one profile per change and
        sends again after a restart: a state lost in a crash costs one more profile, nothing else)."""
        version = await self._version_of(station_id)
        if (
            profile.purpose is ChargingProfilePurpose.TX
            and profile.transaction_id is not None
            and not transaction_bound
        ):
            profile = await self._bind_transaction(station_id, profile)
        check_profile(profile, capabilities(version), await self.station_limits(station_id, version))
        actor = current_actor.get()

        async def op(uow: UnitOfWork) -> tuple[StoredProfile, list[StoredProfile]]:
            chosen = profile
            if chosen.profile_id <= 0:
                chosen = replace(chosen, profile_id=await uow[CHARGING_PROFILES].next_profile_id(station_id))
            now = utcnow()
            record = StoredProfile(
                station_id, chosen, _source_of(actor), actor, now, DeliveryState.PENDING, None, now, template_id
            )
            await uow[CHARGING_PROFILES].save(record)
            held = self._active.get(station_id)  # read here, under the station's lock: what is stored now
            if held is None:  # read once; from then on held (the record itself among them)
                held = await uow[CHARGING_PROFILES].list(station_id, active_only=True)
            return record, _with_record(held, record)

        async with self._lock(station_id):
            if profile.profile_id > 0:  # its id chosen: stored with the others of its commit group (a controller's)
                now = utcnow()
                record = StoredProfile(
                    station_id, profile, _source_of(actor), actor, now, DeliveryState.PENDING, None, now, template_id
                )
                active = await self._storage.submit(self._save_profiles, record)
            else:
                record, active = await self._storage.write(op)
            self._active[station_id] = active
            self._holds_profiles(station_id)
            if not self._commands.is_online(station_id):
                await self._changed(record)
                return ProfileDelivery(record)
            return await self._deliver(record, batched=answer_batched)

    async def _bind_transaction(self, station_id: str, profile: ChargingProfile) -> ChargingProfile:
        reference = profile.transaction_id or ""
        try:
            tx = await self._transactions.find(station_id, reference)
        except NotFound:
            raise InvalidRequest(f"transaction_id: station {station_id!r} has no transaction {reference!r}") from None
        if not tx.active:
            raise InvalidRequest(f"transaction_id: transaction {reference!r} has ended")
        if profile.evse_id not in (0, tx.evse_id):
            raise InvalidRequest(f"evse_id: transaction {reference!r} runs on EVSE {tx.evse_id}, not {profile.evse_id}")
        return replace(profile, transaction_id=tx.station_tx_id, evse_id=tx.evse_id)

    async def _deliver(
        self, record: StoredProfile, *, batched: bool = False, siblings: list[StoredProfile] | None = None
    ) -> ProfileDelivery:
        """Send one stored profile and record the station's answer (under the station's lock). `batched`
        (deliveries after a boot): the answer is written with others in one transaction, soon after."""

        outcomes: list[CommandCompleted] | None = [] if batched else None

        async def save(records: list[StoredProfile], replaced_by: StoredProfile | None = None) -> None:
            if outcomes is not None:
                self._save_state_soon(records, replaced_by, siblings, outcomes)
            else:
                await self._save_state(records, replaced_by)

        try:
            result = await self._commands.send(record.station_id, SetChargingProfile(record.profile), outcomes=outcomes)
        except (StationOffline, StationTimeout) as exc:
            record.status_reason = f"not delivered: {exc}"
            await save([record])
            return ProfileDelivery(record)
        except StationRejectedCall as exc:
            record.state, record.status_reason = DeliveryState.REJECTED, f"CALLERROR {exc.code}: {exc}"
            await save([record])
            return ProfileDelivery(record, ProfileAnswer(f"CALLERROR {exc.code}"))
        answer: ProfileAnswer = result.value
        if answer.status == "Accepted":
            record.state, record.status_reason = DeliveryState.ACCEPTED, None
            await save([record], replaced_by=record)
        else:
            record.state, record.status_reason = DeliveryState.REJECTED, _reason(answer)
            await save([record])
        return ProfileDelivery(record, answer)

    async def _save_state(self, records: Sequence[StoredProfile], replaced_by: StoredProfile | None = None) -> None:
        """Write the records' delivery state; a profile the station accepted also retires the ones it
        replaced there (same EVSE, purpose and stack level: the specs have the station drop those)."""
        now = utcnow()
        for record in records:
            record.updated_at = now

        # A replacing profile retires its siblings: those held in memory are the stored ones (the record is
        # one of them, the same object), so they are not read again and stay held with their new states.
        siblings: list[StoredProfile] | None = None
        if replaced_by is not None:
            held = self._active.get(replaced_by.station_id)
            if held is not None and any(r is replaced_by for r in held):
                siblings = held
        if siblings is not None and replaced_by is not None:
            # Decided once, before the write (which may run again alone if its commit group fails).
            known = [*records, *_retire_replaced(siblings, replaced_by, now)]

            async def op(uow: UnitOfWork) -> list[StoredProfile]:
                await uow[CHARGING_PROFILES].set_state(known)
                return known

        else:

            async def op(uow: UnitOfWork) -> list[StoredProfile]:
                return await _write_states(uow, list(records), replaced_by, now)

        try:
            changed = await self._storage.write(op)
        except BaseException:
            self._forget(*{r.station_id for r in records})  # the held records' states are not what is stored
            raise
        for station_id in {r.station_id for r in changed}:
            if siblings is not None and replaced_by is not None and station_id == replaced_by.station_id:
                self._active[station_id] = [r for r in siblings if r.state in _ACTIVE]
            else:
                self._forget(station_id)
        for record in changed:
            await self._changed(record)

    def _save_state_soon(
        self,
        records: Sequence[StoredProfile],
        replaced_by: StoredProfile | None,
        siblings: list[StoredProfile] | None,
        outcomes: list[CommandCompleted],
    ) -> None:
        """Queue the write for the next batch: a boot storm of thousands of stations with profiles, or a load
        controller's stream of limits, costs one transaction per batch instead of one per profile. Nothing
        here was acknowledged to a station; a state lost in a crash only means the profile is sent again.
        The siblings a replacement retires are decided now, in memory, when the station's active profiles
        are at hand (given, or held with the record among them); else the batch reads them."""
        now = utcnow()
        known = list(records)
        for record in known:
            record.updated_at = now
        if replaced_by is not None:
            if siblings is None:
                held = self._active.get(replaced_by.station_id)
                if held is not None and any(r is replaced_by for r in held):
                    siblings = held
            if siblings is not None:
                known += _retire_replaced(siblings, replaced_by, now)
                replaced_by = None
                held = self._active.get(known[0].station_id)
                if held is siblings:
                    self._active[known[0].station_id] = [r for r in held if r.state in _ACTIVE]
        self._unsaved.append(_UnsavedState(known, replaced_by, now, outcomes))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon(), name="smart-charging-states")

    async def _flush_soon(self) -> None:
        await asyncio.sleep(STATE_BATCH_DELAY_S)
        await self.flush_states()

    async def flush_states(self) -> None:
        """Write the queued delivery states now (before a read or a write that must see them, and at
        shutdown), with the audit records of the commands that set them."""
        while self._unsaved:
            batch, self._unsaved = self._unsaved[:STATE_BATCH_MAX], self._unsaved[STATE_BATCH_MAX:]

            async def op(tx: Transaction, batch: list[_UnsavedState] = batch) -> list[StoredProfile]:
                # Plain database work (storage may run it again alone): nothing decided here is kept in memory
                # but what the read siblings say, and those are read again on a second run.
                decided = [r for entry in batch if entry.replaced_by is None for r in entry.records]
                await tx[CHARGING_PROFILES].set_state(decided)
                changed = list(decided)
                for entry in batch:
                    if entry.replaced_by is not None:
                        changed += await _write_states(tx, entry.records, entry.replaced_by, entry.at)
                await tx.publish_all([event for entry in batch for event in entry.outcomes])
                return changed

            try:
                written = await self._events.write(op)
            except Exception:
                log.exception("smart charging: %d delivery states not written", len(batch))
                self._forget(*{r.station_id for entry in batch for r in entry.records})
                continue
            for station_id in {r.station_id for r in written}:  # the cached records are those written
                if (cached := self._active.get(station_id)) is not None:
                    self._active[station_id] = [r for r in cached if r.state in _ACTIVE]
            for record in written:
                await self._changed(record)

    async def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
        await self.flush_states()

    async def _changed(self, record: StoredProfile) -> None:
        await self._events.publish(
            ChargingProfileChanged(
                record.station_id,
                record.profile.profile_id,
                record.profile.evse_id,
                record.state.value,
                record.status_reason,
            )
        )

    def _holds_profiles(self, station_id: str) -> None:
        if self._with_profiles is not None:
            self._with_profiles.add(station_id)

    async def delete_profile(self, station_id: str, profile_id: int) -> ClearOutcome:
        """Clear one profile on the station (ClearChargingProfile by id) and mark it cleared. One the
        station never accepted is cleared here alone when the station is offline."""
        async with self._lock(station_id):
            record = await self.profile(station_id, profile_id)
            if record.state not in _ACTIVE:
                return ClearOutcome("NotSent", ())
            if record.state is DeliveryState.PENDING and not self._commands.is_online(station_id):
                record.state, record.status_reason = DeliveryState.CLEARED, "cleared before delivery"
                await self._save_state([record])
                return ClearOutcome("NotSent", (profile_id,))
            self._commands.require_online(station_id)
            return await self._clear(station_id, ClearChargingProfile(profile_id=profile_id))

    async def clear(self, station_id: str, criteria: ClearChargingProfile) -> ClearOutcome:
        """ClearChargingProfile by id or by EVSE / purpose / stack level; the stored profiles it matched
        are marked cleared once the station answered Accepted (or Unknown: it holds none of them)."""
        version = await self._version_of(station_id)
        if criteria.purpose is ChargingProfilePurpose.EXTERNAL_CONSTRAINTS:
            raise InvalidRequest("purpose: external constraints are the station's own and cannot be cleared")
        if criteria.purpose is not None and criteria.purpose not in capabilities(version).charging_profile_purposes:
            raise InvalidRequest(f"purpose: OCPP {version.number} has no {criteria.purpose.value} profiles")
        self._commands.require_online(station_id)
        async with self._lock(station_id):
            return await self._clear(station_id, criteria)

    async def _clear(self, station_id: str, criteria: ClearChargingProfile) -> ClearOutcome:
        result = await self._commands.send(station_id, criteria)
        answer: ProfileAnswer = result.value
        if answer.status not in ("Accepted", "Unknown"):
            return ClearOutcome(answer.status, (), answer.status_info)

        def matches(p: ChargingProfile) -> bool:
            if criteria.profile_id is not None and p.profile_id != criteria.profile_id:
                return False
            if criteria.evse_id is not None and p.evse_id != criteria.evse_id:
                return False
            if criteria.purpose is not None and p.purpose is not criteria.purpose:
                return False
            return criteria.stack_level is None or p.stack_level == criteria.stack_level

        await self.flush_states()  # a queued answer written after this would undo the clearing

        async def op(uow: UnitOfWork) -> list[StoredProfile]:
            matched = [r for r in await uow[CHARGING_PROFILES].list(station_id, active_only=True) if matches(r.profile)]
            for record in matched:
                record.state, record.status_reason, record.updated_at = DeliveryState.CLEARED, "cleared", utcnow()
            await uow[CHARGING_PROFILES].set_state(matched)
            return matched

        cleared = await self._storage.write(op)
        self._forget(station_id)
        for record in cleared:
            await self._changed(record)
        return ClearOutcome(answer.status, tuple(r.profile.profile_id for r in cleared), answer.status_info)

    async def remote_start_with_profile(
        self,
        station_id: str,
        id_token: str,
        evse_id: int,
        profile: ChargingProfile,
        *,
        check_token: bool = True,
        wait: float = 0.0,
    ) -> tuple[RemoteStartOutcome, StoredProfile | None]:
        """A remote start carrying the TxProfile its transaction charges under; the profile is kept once
        the station accepted the start (with the transaction's id when `wait` saw it begin)."""
        version = self._commands.require_online(station_id)
        profile = replace(profile, purpose=ChargingProfilePurpose.TX, evse_id=evse_id, transaction_id=None)
        check_profile(
            profile, capabilities(version), await self.station_limits(station_id, version), needs_transaction=False
        )

        async def next_id(uow: UnitOfWork) -> int:
            return await uow[CHARGING_PROFILES].next_profile_id(station_id)

        if profile.profile_id <= 0:
            profile = replace(profile, profile_id=await self._storage.read(next_id))
        chosen = profile
        outcome = await self._remote_control.remote_start(
            station_id,
            id_token,
            evse_id,
            check_token=check_token,
            wait=wait,
            command_for=lambda start: RemoteStartWithProfile(start, chosen),
        )
        if not outcome.accepted:
            return outcome, None
        tx = outcome.transaction
        actor = current_actor.get()
        now = utcnow()
        record = StoredProfile(
            station_id,
            replace(chosen, transaction_id=tx.station_tx_id if tx is not None else None),
            _source_of(actor),
            actor,
            now,
            DeliveryState.ACCEPTED,
            None,
            now,
        )

        async def op(uow: UnitOfWork) -> None:
            await uow[CHARGING_PROFILES].save(record)

        await self._storage.write(op)
        self._forget(station_id)
        self._holds_profiles(station_id)
        await self._changed(record)
        return outcome, record

    # ---------------------------------------------------------------- composite schedules

    async def active_transaction(self, station_id: str, evse_id: int) -> ActiveTransaction | None:
        if evse_id == 0:
            return None
        for tx in await self._transactions.list(TransactionFilter(station_id=station_id, active=True, limit=50)):
            if tx.evse_id == evse_id:
                return ActiveTransaction(tx.station_tx_id, tx.started_at)
        return None

    async def expected(
        self, station_id: str, evse_id: int, start: datetime, duration: int, unit: RateUnit
    ) -> CompositeSchedule:
        """Our composite: what the station should follow, from the profiles it accepted and the external
        constraints it reported."""
        await self.flush_states()

        async def op(uow: UnitOfWork) -> tuple[list[StoredProfile], list[ChargingLimit]]:
            return (
                await uow[CHARGING_PROFILES].list(station_id, active_only=True),
                await uow[STATION_VIEWS].limits(station_id),
            )

        records, limits = await self._storage.read(op)
        transaction = await self.active_transaction(station_id, evse_id)
        return self._composite_of(records, limits, evse_id, start, duration, unit, transaction)

    def _composite_of(
        self,
        records: Sequence[StoredProfile],
        limits: Sequence[ChargingLimit],
        evse_id: int,
        start: datetime,
        duration: int,
        unit: RateUnit,
        transaction: ActiveTransaction | None,
    ) -> CompositeSchedule:
        profiles = [r.profile for r in records if r.state is DeliveryState.ACCEPTED]
        profiles += _external_profiles([x for x in limits if x.kind is LimitKind.EXTERNAL])
        return composite_schedule(
            profiles,
            evse_id=evse_id,
            start=start,
            duration=duration,
            unit=unit,
            electrical=self.electrical,
            transaction=transaction,
        )

    async def composite(
        self, station_id: str, evse_id: int, duration: int, unit: RateUnit, *, ask_station: bool = True
    ) -> CompositeView:
        """Ours and the station's GetCompositeSchedule answer (when online) over the same window."""
        if duration <= 0:
            raise InvalidRequest("duration: must be positive")
        if evse_id < 0:
            raise InvalidRequest("evse_id: must be 0 (the station) or an EVSE id")
        await self._version_of(station_id)
        station: StationComposite | None = None
        error: str | None = None
        if ask_station:
            try:
                result = await self._commands.send(station_id, GetCompositeSchedule(evse_id, duration, unit))
                station = result.value
            except DomainError as exc:
                error = f"{type(exc).__name__}: {exc}"
        start = (
            station.schedule_start
            if station is not None and station.schedule_start is not None
            else utcnow().replace(microsecond=0)
        )
        ours = await self.expected(station_id, evse_id, start, duration, unit)
        if station is None or station.schedule is None:
            return CompositeView(evse_id, ours, None, station.status if station else None, error)
        theirs = CompositeSchedule(
            evse_id=evse_id,
            start=start,
            duration=station.schedule.duration or duration,
            unit=station.schedule.unit,
            periods=tuple(CompositePeriod(p.start_offset, p.limit, p.number_phases) for p in station.schedule.periods),
        )
        return CompositeView(
            evse_id, ours, theirs, station.status, None, differences(ours, theirs, electrical=self.electrical)
        )

    # ---------------------------------------------------------------- the station's view (2.0.1)

    async def station_profiles(self, station_id: str, evse_id: int | None = None) -> StationProfiles:
        """Ask a 2.0.1 station which profiles it holds (GetChargingProfiles, then its ReportChargingProfiles
        parts) and store that as its view; StationTimeout when the parts do not all arrive in time."""
        version = self._commands.require_online(station_id)
        if version is OcppVersion.V16:
            raise InvalidRequest("OCPP 1.6 cannot list a station's profiles: compare its composite schedule instead")
        pending = await self._pending.open(station_id, PROFILE_REPORT)
        try:
            result = await self._commands.send(station_id, GetChargingProfiles(pending.request_id, evse_id))
            answer: ProfileAnswer = result.value
            if answer.status != "Accepted":  # NoProfiles
                if evse_id is None:
                    await self._replace_view(station_id, [])
                return StationProfiles(answer.status, [], answer.status_info)
            if not await pending.wait(self.report_timeout):
                raise StationTimeout(
                    f"station {station_id!r} did not report all its charging profiles within "
                    f"{self.report_timeout:g} s ({pending.parts} part(s) arrived)"
                )
            return StationProfiles(answer.status, [p for p in pending.items if isinstance(p, ReportedProfile)])
        finally:
            await self._pending.close(pending)

    async def _replace_view(self, station_id: str, profiles: list[ReportedProfile]) -> None:
        async def op(uow: UnitOfWork) -> None:
            await uow[STATION_VIEWS].replace_reported(station_id, profiles)

        await self._storage.write(op)

    # ---------------------------------------------------------------- what stations report

    async def profiles_reported(
        self, station_id: str, request_id: int, source: str, profiles: Sequence[ChargingProfile], *, more: bool
    ) -> None:
        """One ReportChargingProfiles part: stored as the station's view (the first part of a report
        replaces the view before it) and handed to whoever waits for the report."""
        now = utcnow()
        reported = [ReportedProfile(station_id, source, p, request_id, now) for p in profiles]
        first = self._reporting.get(station_id) != request_id
        if more:
            self._reporting[station_id] = request_id
        else:
            self._reporting.pop(station_id, None)

        async def op(uow: UnitOfWork) -> None:
            if first:
                await uow[STATION_VIEWS].replace_reported(station_id, reported)
            else:
                await uow[STATION_VIEWS].add_reported(reported)

        await self._storage.write(op)
        await self._pending.feed(station_id, PROFILE_REPORT, request_id, reported, more=more)

    async def limit_reported(self, limit: ChargingLimit) -> None:
        """A limit from outside the CSMS (NotifyChargingLimit) or the EV's schedule: kept until replaced or
        cleared; external constraints with a schedule enter our composite as ChargingStationExternalConstraints."""

        async def op(uow: UnitOfWork) -> None:
            await uow[STATION_VIEWS].put_limit(limit)

        await self._storage.write(op)
        await self._events.publish(
            ChargingLimitChanged(limit.station_id, limit.kind.value, limit.source, limit.evse_id, cleared=False)
        )

    async def limit_cleared(self, station_id: str, source: str, evse_id: int | None) -> int:
        async def op(uow: UnitOfWork) -> int:
            return await uow[STATION_VIEWS].clear_limit(station_id, LimitKind.EXTERNAL.value, source, evse_id)

        count = await self._storage.write(op)
        await self._events.publish(
            ChargingLimitChanged(station_id, LimitKind.EXTERNAL.value, source, evse_id or 0, cleared=True)
        )
        return count

    async def ev_needs_reported(self, needs: ChargingLimit) -> str:
        """An EV's charging needs (ISO 15118), kept and shown. The answer says what the CSMS will do: with no
        controller that computes schedules from them (load management, a later area), it does not act on
        them, which 2.0.1 spells Rejected ("service not available"), and the station charges as it is."""
        await self.limit_reported(needs)
        return "Rejected"

    # ---------------------------------------------------------------- templates

    async def templates(self) -> list[ProfileTemplate]:
        async def op(uow: UnitOfWork) -> list[ProfileTemplate]:
            return await uow[PROFILE_TEMPLATES].list()

        return await self._storage.read(op)

    async def template(self, template_id: int) -> ProfileTemplate:
        async def op(uow: UnitOfWork) -> ProfileTemplate | None:
            return await uow[PROFILE_TEMPLATES].get(template_id)

        found = await self._storage.read(op)
        if found is None:
            raise NotFound(f"no charging profile template {template_id}")
        return found

    async def add_template(self, name: str, profile: ChargingProfile) -> ProfileTemplate:
        if profile.purpose is ChargingProfilePurpose.TX:
            raise InvalidRequest("purpose: a TxProfile belongs to one transaction; a template cannot hold one")
        # The 2.0.1 rules, without a station's limits: each station checks its own when it is applied.
        check_profile(replace(profile, profile_id=1), capabilities(OcppVersion.V201), StationLimits())
        actor = current_actor.get()

        async def op(uow: UnitOfWork) -> ProfileTemplate:
            if await uow[PROFILE_TEMPLATES].by_name(name) is not None:
                raise Conflict(f"a charging profile template named {name!r} exists")
            return await uow[PROFILE_TEMPLATES].add(name, replace(profile, profile_id=0), actor)

        return await self._storage.write(op)

    async def delete_template(self, template_id: int) -> None:
        async def op(uow: UnitOfWork) -> bool:
            return await uow[PROFILE_TEMPLATES].delete(template_id)

        if not await self._storage.write(op):
            raise NotFound(f"no charging profile template {template_id}")

    async def apply_template(self, template_id: int, station_ids: Sequence[str]) -> list[TemplateApplication]:
        """Set the template's profile on each station (its own next profile id); each station's outcome."""
        template = await self.template(template_id)
        # Many stations at once, so that their writes share commits (one station after the other would
        # wait for one commit each); the outcomes keep the order asked for.
        gate = asyncio.Semaphore(TEMPLATE_APPLY_CONCURRENCY)

        async def one(station_id: str) -> TemplateApplication:
            async with gate:
                try:
                    delivery = await self.set_profile(station_id, template.profile, template_id=template_id)
                except DomainError as exc:
                    return TemplateApplication(station_id, error=f"{type(exc).__name__}: {exc}")
                return TemplateApplication(station_id, delivery)

        return list(await asyncio.gather(*(one(s) for s in dict.fromkeys(station_ids))))

    # ---------------------------------------------------------------- convergence

    def needs_reconcile(self, station_id: str) -> bool:
        """Whether a boot of this station calls for `reconcile`: it holds profiles (the others, usually
        most of a boot storm, cost a set lookup)."""
        return self._with_profiles is None or station_id in self._with_profiles

    async def reconcile(self, station_id: str) -> None:
        """Retire what ended, and send what the station should hold but does not (idempotent)."""
        async with self._lock(station_id):
            records = await self._retire(station_id)
            if not records:
                self._forget(station_id)
                if self._with_profiles is not None:
                    self._with_profiles.discard(station_id)
                return
            version = self._commands.version_of(station_id)
            if version is None:
                return
            due = [r for r in records if r.state is DeliveryState.PENDING]
            accepted = [r for r in records if r.state is DeliveryState.ACCEPTED]
            if accepted:
                due += await self._missing(station_id, version, accepted)
            for record in sorted(due, key=lambda r: (r.profile.evse_id, r.profile.stack_level, r.profile.profile_id)):
                await self._deliver(record, batched=True, siblings=records)

    async def _retire(self, station_id: str) -> list[StoredProfile]:
        """The station's active profiles, after retiring those whose validity or transaction ended."""
        now = utcnow()

        async def op(uow: UnitOfWork) -> list[StoredProfile]:
            return await uow[CHARGING_PROFILES].list(station_id, active_only=True)

        # Kept in memory, else one read (without flushing the queued states: reconciles of a boot storm
        # must not each force a write; a state still queued at worst sends its profile once more).
        records = self._active.get(station_id)
        if records is None:
            records = self._active[station_id] = await self._storage.read(op)
        running: set[str | None] = set()
        if any(r.profile.purpose is ChargingProfilePurpose.TX for r in records):
            running = {
                tx.station_tx_id
                for tx in await self._transactions.list(TransactionFilter(station_id=station_id, active=True, limit=50))
            }
        ended: list[StoredProfile] = []
        for record in records:
            profile = record.profile
            if profile.valid_to is not None and profile.valid_to <= now:
                record.state, record.status_reason = DeliveryState.CLEARED, "validity ended"
                ended.append(record)
            elif profile.purpose is ChargingProfilePurpose.TX and profile.transaction_id not in running:
                record.state, record.status_reason = DeliveryState.CLEARED, "transaction ended"
                ended.append(record)
        if ended:
            await self._save_state(ended)
        return [r for r in records if r.state in _ACTIVE]

    async def _missing(
        self, station_id: str, version: OcppVersion, accepted: list[StoredProfile]
    ) -> list[StoredProfile]:
        """The accepted profiles the station no longer holds as we sent them."""
        if version is not OcppVersion.V16:
            try:
                report = await self.station_profiles(station_id)
            except DomainError as exc:
                log.info("smart charging: %r did not report its profiles (%s): sending them again", station_id, exc)
                return accepted
            held = {r.profile.profile_id: r.profile for r in report.profiles if r.limit_source == "CSO"}
            return [
                r
                for r in accepted
                if not same_content(r.profile, held.get(r.profile.profile_id, r.profile))
                or r.profile.profile_id not in held
            ]

        # 1.6 cannot list its profiles: where its composite differs from ours, its EVSE gets them again.
        # The limits it reported are read only once it answered a schedule to compare with.
        known: list[list[ChargingLimit]] = []

        async def limits() -> list[ChargingLimit]:
            async def op(uow: UnitOfWork) -> list[ChargingLimit]:
                return await uow[STATION_VIEWS].limits(station_id)

            if not known:
                known.append(await self._storage.read(op))
            return known[0]

        evses = sorted({r.profile.evse_id for r in accepted} | {0})
        differing: set[int] = set()
        for evse_id in evses:
            if await self._station_differs(station_id, evse_id, accepted, limits):
                differing.add(evse_id)
                if evse_id == 0:
                    break
        if 0 in differing:
            return accepted
        return [r for r in accepted if r.profile.evse_id in differing]

    async def _station_differs(
        self,
        station_id: str,
        evse_id: int,
        accepted: list[StoredProfile],
        limits: Callable[[], Awaitable[list[ChargingLimit]]],
    ) -> bool:
        """Whether the station's composite of `evse_id` differs from ours (or it cannot say): `composite`
        without its reads, for the after-boot check."""
        window, unit = RECONCILE_WINDOW_S, RateUnit.AMPERES
        try:
            station: StationComposite = (
                await self._commands.send(station_id, GetCompositeSchedule(evse_id, window, unit))
            ).value
        except DomainError:
            return True
        if station.schedule is None:
            return True
        start = station.schedule_start or utcnow().replace(microsecond=0)
        transaction = await self.active_transaction(station_id, evse_id)
        ours = self._composite_of(accepted, await limits(), evse_id, start, window, unit, transaction)
        theirs = CompositeSchedule(
            evse_id=evse_id,
            start=start,
            duration=station.schedule.duration or window,
            unit=station.schedule.unit,
            periods=tuple(CompositePeriod(p.start_offset, p.limit, p.number_phases) for p in station.schedule.periods),
        )
        return bool(differences(ours, theirs, electrical=self.electrical))

    async def sweep(self) -> list[str]:
        """Timer: retire profiles whose validity ended; the online stations with undelivered profiles (the
        manifest has them reconciled on their after-boot work)."""
        await self.flush_states()  # a queued answer written after this would undo the retiring

        async def op(uow: UnitOfWork) -> list[StoredProfile]:
            return await uow[CHARGING_PROFILES].retire_expired(utcnow())

        retired = await self._storage.write(op)
        self._forget(*{r.station_id for r in retired})
        for record in retired:
            record.state, record.status_reason = DeliveryState.CLEARED, "validity ended"
            await self._changed(record)

        async def pending_op(uow: UnitOfWork) -> list[str]:
            return await uow[CHARGING_PROFILES].stations_with_pending()

        return [s for s in await self._storage.read(pending_op) if self._commands.is_online(s)]


def _positive(text: str | None) -> int | None:
    try:
        value = int(text) if text is not None else 0
    except ValueError:
        return None
    return value if value > 0 else None


def _non_negative(text: str | None) -> int | None:
    try:
        return int(text) if text is not None and int(text) >= 0 else None
    except ValueError:
        return None
