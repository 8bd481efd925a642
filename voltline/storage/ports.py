"""Storage contract: what the domain needs from persistence, and nothing about how it is done.

A domain operation is a coroutine function over a `UnitOfWork`; `Storage.write` runs it inside a database
transaction that may be shared with other operations (group commit) and returns only once that
transaction has committed, so a caller can acknowledge a station only after its data is durable.
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from voltline.domain.account_records import (
    AuditEntry,
    AuditQuery,
    NewAuditEntry,
    NewUser,
    Role,
    User,
    UserSecrets,
    UserSession,
)
from voltline.domain.device_model import (
    ConfigurationTemplate,
    DeviceModelInfo,
    DeviceModelQuery,
    DeviceVariable,
    SettingAddress,
    TemplateRun,
)
from voltline.domain.local_list_models import LocalListEntry, LocalListState, Selection, SyncState
from voltline.domain.message_records import FrameRecord, LoggedFrame, MessageLogQuery
from voltline.domain.models import (
    ConnectorStatus,
    IdToken,
    Registration,
    ReviewItem,
    ReviewKind,
    SampledValue,
    Station,
    StationEvent,
    Transaction,
)

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - the item type of a bulk submission
ItemT = TypeVar("ItemT", contravariant=True)
ResultT = TypeVar("ResultT", covariant=True)


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
class NewTransaction:
    station_id: str
    evse_id: int
    connector_id: int
    id_token: str | None
    started_at: datetime
    meter_start_wh: float | None
    # None: allocate from the transaction's own id (OCPP 1.6 integer ids); else the station's id (2.0.1).
    station_tx_id: str | None = None
    remote_start_id: int | None = None
    auth_status: str | None = None
    last_seq_no: int | None = None
    charging_state: str | None = None


# (station id, EVSE id, id token, meter start Wh, timestamp): what makes a 1.6 StartTransaction a retry.
StartKey = tuple[str, int, str | None, float | None, datetime]


@dataclass(slots=True, frozen=True)
class MeterRows:
    """Samples of one message, to be stored under one station, EVSE and (optionally) transaction."""

    station_id: str
    evse_id: int
    transaction_id: int | None
    values: Sequence[SampledValue]


@dataclass(slots=True, frozen=True)
class TransactionFilter:
    station_id: str | None = None
    active: bool | None = None
    id_token: str | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    limit: int = 100
    offset: int = 0


@dataclass(slots=True, frozen=True)
class ApiKey:
    id: int
    name: str
    role: str
    created_at: datetime
    created_by: str | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class StationRepository(Protocol):
    async def get(self, station_id: str) -> Station | None: ...
    async def get_many(self, station_ids: Sequence[str]) -> dict[str, Station]: ...
    async def list(self) -> list[Station]: ...
    async def save(self, station: Station) -> Station: ...
    async def create_if_absent(self, station_id: str, registration: Registration) -> Station: ...
    async def create_missing(self, wanted: Sequence[tuple[str, Registration]]) -> dict[str, Station]: ...
    async def upsert_many(self, stations: Sequence[Station], /, *, update_existing: bool = True) -> int:
        """Insert these stations (ids unique among them); for ids already stored, replace only the
        operator fields (registration, security profile, description; the password hash when one is
        given) or, if not `update_existing`, leave them alone. Returns how many were created."""
        ...

    async def delete(self, station_id: str) -> bool: ...
    async def record_boot(self, station_id: str, boot: BootRecord) -> None: ...
    async def record_boots(self, boots: Sequence[tuple[str, BootRecord]]) -> None: ...
    async def set_online(self, station_id: str, online: bool, at: datetime, ocpp_version: str | None) -> None: ...
    async def set_online_many(self, changes: Sequence[tuple[str, bool, datetime, str | None]]) -> None: ...
    async def touch(self, seen: dict[str, datetime]) -> None: ...
    async def mark_all_offline(self) -> None: ...
    async def set_status(self, status: ConnectorStatus) -> None: ...
    async def set_statuses(self, statuses: Sequence[ConnectorStatus]) -> None: ...
    async def statuses(self, station_id: str) -> builtins.list[ConnectorStatus]: ...


class IdTokenRepository(Protocol):
    async def get(self, id_token: str) -> IdToken | None: ...
    async def get_many(self, id_tokens: Sequence[str]) -> dict[str, IdToken]: ...
    async def list(self, limit: int = 100, offset: int = 0) -> list[IdToken]: ...
    async def add(self, token: IdToken) -> IdToken: ...
    async def update(self, token: IdToken) -> IdToken: ...
    async def delete(self, id_token: str) -> bool: ...


class TransactionRepository(Protocol):
    async def create(self, new: NewTransaction) -> Transaction: ...
    async def create_many(self, news: Sequence[NewTransaction]) -> builtins.list[Transaction]: ...
    async def get(self, transaction_id: int) -> Transaction | None: ...
    async def by_station_tx_id(self, station_id: str, station_tx_id: str) -> Transaction | None: ...
    async def by_station_tx_ids(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Transaction]: ...
    async def ids_by_station_tx_ids(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]: ...
    async def find_starts(self, keys: Sequence[StartKey]) -> dict[StartKey, Transaction]: ...
    async def find_start(
        self,
        station_id: str,
        connector_id: int,
        id_token: str | None,
        meter_start_wh: float | None,
        started_at: datetime,
    ) -> Transaction | None: ...
    async def update(self, tx: Transaction) -> None: ...
    async def update_many(self, txs: Sequence[Transaction]) -> None: ...
    async def list(self, query: TransactionFilter) -> list[Transaction]: ...
    async def add_meter_values(
        self, station_id: str, evse_id: int, transaction_id: int | None, values: Sequence[SampledValue]
    ) -> int: ...
    async def add_meter_rows(self, batches: Sequence[MeterRows]) -> None:
        """Store many messages' samples in one statement; repeats are ignored (no count: it is cheaper)."""
        ...

    async def meter_values(self, transaction_id: int) -> builtins.list[SampledValue]: ...
    async def energy_register_bounds(self, transaction_id: int) -> tuple[float, float] | None: ...
    async def energy_register_bounds_many(self, transaction_ids: Sequence[int]) -> dict[int, tuple[float, float]]: ...


class ReviewRepository(Protocol):
    async def add(self, station_id: str, kind: ReviewKind, detail: dict[str, Any]) -> None: ...
    async def list(self, station_id: str | None = None) -> list[ReviewItem]: ...
    async def page(
        self, station_id: str | None, kind: ReviewKind | None, limit: int, offset: int
    ) -> builtins.list[ReviewItem]:
        """Newest first."""
        ...


class EventRepository(Protocol):
    async def add(self, events: Sequence[StationEvent]) -> None: ...
    async def list(self, station_id: str, limit: int = 100) -> list[StationEvent]: ...


class ApiKeyRepository(Protocol):
    async def add(self, name: str, role: str, key_hash: str, created_by: str | None = None) -> ApiKey: ...
    async def find(self, key_hash: str) -> ApiKey | None:
        """The key with this digest, unless it was revoked."""
        ...

    async def find_any(self, key_hash: str) -> ApiKey | None:
        """The key with this digest, revoked or not."""
        ...

    async def count(self) -> int: ...
    async def list(self) -> builtins.list[ApiKey]: ...
    async def active_name_taken(self, name: str) -> bool: ...
    async def revoke(self, key_id: int, at: datetime) -> ApiKey | None:
        """Revoke the key (a second revoke keeps the first time); None when there is no such key."""
        ...

    async def mark_used(self, key_id: int, at: datetime) -> None: ...


class UserRepository(Protocol):
    """People's accounts. User names are stored lower-case and are unique."""

    async def add(self, new: NewUser) -> User: ...
    async def get(self, user_id: int) -> User | None: ...
    async def secrets(self, user_id: int) -> UserSecrets | None: ...
    async def secrets_by_username(self, username: str) -> UserSecrets | None: ...
    async def list(self) -> builtins.list[User]: ...
    async def set_role(self, user_id: int, role: Role, at: datetime) -> None: ...
    async def set_disabled(self, user_id: int, disabled: bool, at: datetime) -> None: ...
    async def set_password_hash(self, user_id: int, password_hash: str, at: datetime) -> None: ...
    async def set_pending_mfa_secret(self, user_id: int, secret: str | None, at: datetime) -> None: ...
    async def enable_mfa(self, user_id: int, secret: str, step: int, at: datetime) -> None:
        """The pending secret becomes the secret; `step` counts as spent."""
        ...

    async def reset_mfa(self, user_id: int, at: datetime) -> None:
        """Forget the secrets, the spent step and the recovery codes."""
        ...

    async def spend_mfa_step(self, user_id: int, step: int) -> bool:
        """Record `step` as spent, only if it is later than the last spent one; False means a replay."""
        ...

    async def set_last_login(self, user_id: int, at: datetime) -> None: ...
    async def delete(self, user_id: int) -> bool: ...


class SessionRepository(Protocol):
    """Login sessions, found by the SHA-256 digest of their token."""

    async def add(self, user_id: int, token_hash: str, created_at: datetime, expires_at: datetime) -> None: ...
    async def find(self, token_hash: str, now: datetime) -> UserSession | None:
        """The unexpired session with this digest."""
        ...

    async def delete(self, token_hash: str) -> bool: ...
    async def delete_for_user(self, user_id: int) -> int: ...
    async def delete_expired(self, now: datetime) -> int: ...


class RecoveryCodeRepository(Protocol):
    async def replace(self, user_id: int, code_hashes: Sequence[str]) -> None: ...
    async def spend(self, user_id: int, code_hash: str, at: datetime) -> bool:
        """Mark an unused code as used; False when there is no such unused code."""
        ...

    async def remaining(self, user_id: int) -> int: ...


class AuditRepository(Protocol):
    async def add(self, entries: Sequence[NewAuditEntry]) -> None: ...
    async def list(self, query: AuditQuery) -> builtins.list[AuditEntry]:
        """Matching entries, newest first."""
        ...


class LocalListRepository(Protocol):
    """Managed stations' local list records, their selection groups and the entries they confirmed."""

    async def get(self, station_id: str) -> LocalListState | None: ...
    async def list(self, state: SyncState | None = None) -> builtins.list[LocalListState]: ...
    async def save(self, record: LocalListState) -> None:
        """Insert or replace the record, selection groups included (entry_count is not stored)."""
        ...

    async def delete(self, station_id: str) -> bool: ...
    async def mark_changed(self, groups: Sequence[str | None]) -> builtins.list[str]:
        """Stations selecting every token or one of `groups`: next desired version, pending; their ids."""
        ...

    async def entries(self, station_id: str) -> dict[str, LocalListEntry]: ...
    async def replace_entries(self, station_id: str, entries: Sequence[LocalListEntry]) -> None: ...
    async def change_entries(self, station_id: str, upserts: Sequence[LocalListEntry], removals: Sequence[str]) -> None:
        """Remove the `removals` (token ids), then insert or overwrite the `upserts`."""
        ...

    async def selected_tokens(self, selection: Selection) -> builtins.list[IdToken]:
        """The registry tokens a selection takes in, ordered by id."""
        ...


class DeviceModelRepository(Protocol):
    """Each station's device model: one record per variable attribute."""

    async def replace(self, station_id: str, variables: Sequence[DeviceVariable], source: str, at: datetime) -> None:
        """The station's whole model is `variables` now."""
        ...

    async def store_report(
        self, station_id: str, variables: Sequence[DeviceVariable], report_id: int, at: datetime
    ) -> None:
        """Add or overwrite the variables one report part described (one bulk statement)."""
        ...

    async def finish_inventory(self, station_id: str, report_id: int, source: str, at: datetime) -> int:
        """Remove what full inventory `report_id` did not describe; returns the number of records left."""
        ...

    async def observe(self, station_id: str, variables: Sequence[DeviceVariable], at: datetime) -> None:
        """Values the station confirmed: set value (and mutability when given), keep the rest."""
        ...

    async def search(self, station_id: str, query: DeviceModelQuery) -> tuple[int, builtins.list[DeviceVariable]]: ...
    async def lookup(
        self, station_ids: Sequence[str], addresses: Sequence[SettingAddress]
    ) -> dict[str, dict[str, DeviceVariable]]:
        """Stored variables at these addresses: station id -> address identity -> variable."""
        ...

    async def info(self, station_id: str) -> DeviceModelInfo | None: ...


class ConfigurationTemplateRepository(Protocol):
    async def add(self, template: ConfigurationTemplate, at: datetime) -> ConfigurationTemplate: ...
    async def update(self, template: ConfigurationTemplate, at: datetime) -> ConfigurationTemplate | None: ...
    async def get(self, template_id: int) -> ConfigurationTemplate | None: ...
    async def by_name(self, name: str) -> ConfigurationTemplate | None: ...
    async def list(self) -> builtins.list[ConfigurationTemplate]: ...
    async def delete(self, template_id: int) -> bool: ...
    async def record_runs(self, runs: Sequence[TemplateRun]) -> None:
        """Keep the latest run of each (template, station)."""
        ...

    async def runs(self, template_id: int) -> builtins.list[TemplateRun]: ...


class MessageLogRepository(Protocol):
    """The OCPP message log: frames in and out of stations."""

    async def add_many(self, records: Sequence[FrameRecord]) -> None: ...
    async def page(self, query: MessageLogQuery) -> builtins.list[LoggedFrame]: ...
    async def purge_oldest(self, before: datetime, batch: int) -> int:
        """Delete up to `batch` of the oldest frames stored before `before`; how many were deleted."""
        ...


class UnitOfWork(Protocol):
    """The repositories of one database transaction."""

    @property
    def stations(self) -> StationRepository: ...
    @property
    def id_tokens(self) -> IdTokenRepository: ...
    @property
    def transactions(self) -> TransactionRepository: ...
    @property
    def reviews(self) -> ReviewRepository: ...
    @property
    def events(self) -> EventRepository: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def message_log(self) -> MessageLogRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def sessions(self) -> SessionRepository: ...
    @property
    def recovery_codes(self) -> RecoveryCodeRepository: ...
    @property
    def audit(self) -> AuditRepository: ...
    @property
    def device_model(self) -> DeviceModelRepository: ...
    @property
    def config_templates(self) -> ConfigurationTemplateRepository: ...
    @property
    def local_lists(self) -> LocalListRepository: ...


Operation = Callable[[UnitOfWork], Awaitable[T]]


class BulkOperation(Protocol[ItemT, ResultT]):
    """A kind of write that storage applies to many items at once.

    Every item submitted with the same operation object and caught by the same commit group is handed
    to one `apply` call, so a hot message (meter values, status, authorize) costs a share of a few
    statements instead of statements of its own. `apply` returns one result per item, in order. The
    items come from different stations (a station has one message in flight at a time); `apply` must not
    assume any order between them.
    """

    async def apply(self, uow: UnitOfWork, items: Sequence[ItemT]) -> Sequence[ResultT]: ...


class Storage(Protocol):
    async def write(self, op: Operation[T]) -> T:
        """Run `op` in a transaction and return its result once that transaction has committed."""
        ...

    async def submit(self, operation: BulkOperation[I, T], item: I) -> T:
        """Apply `operation` to `item` together with the other items of its commit group; return once committed."""
        ...

    async def read(self, op: Operation[T]) -> T:
        """Run `op` on a consistent snapshot; it must not write."""
        ...

    async def close(self) -> None:
        """Finish the writes in flight, then release connections."""
        ...
