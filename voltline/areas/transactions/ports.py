"""What the transactions area needs from storage: transactions, meter rows, review items."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from voltline.areas.transactions.model import ReviewItem, ReviewKind, SampledValue, Transaction
from voltline.kernel.storage import RepositoryKey


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
    remote_start_id: int | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    limit: int = 100
    offset: int = 0


class TransactionRepository(Protocol):
    async def create_many(self, news: Sequence[NewTransaction]) -> builtins.list[Transaction]: ...
    async def get(self, transaction_id: int) -> Transaction | None: ...
    async def by_station_tx_id(self, station_id: str, station_tx_id: str) -> Transaction | None: ...
    async def by_station_tx_ids(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Transaction]: ...
    async def ids_by_station_tx_ids(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]: ...
    async def find_starts(self, keys: Sequence[StartKey]) -> dict[StartKey, Transaction]: ...
    async def update_many(self, txs: Sequence[Transaction]) -> None: ...
    async def list(self, query: TransactionFilter) -> list[Transaction]: ...
    async def add_meter_rows(self, batches: Sequence[MeterRows]) -> None:
        """Store many messages' samples in one statement; repeats are ignored (no count: it is cheaper)."""
        ...

    async def meter_values(self, transaction_id: int) -> builtins.list[SampledValue]: ...
    async def energy_register_bounds(self, transaction_id: int) -> tuple[float, float] | None: ...
    async def energy_register_bounds_many(self, transaction_ids: Sequence[int]) -> dict[int, tuple[float, float]]: ...


class ReviewRepository(Protocol):
    async def add(self, station_id: str, kind: ReviewKind, detail: dict[str, Any]) -> None: ...
    async def page(
        self, station_id: str | None, kind: ReviewKind | None, limit: int, offset: int
    ) -> builtins.list[ReviewItem]:
        """Newest first."""
        ...


TRANSACTIONS: RepositoryKey[TransactionRepository] = RepositoryKey("transactions")
REVIEW_ITEMS: RepositoryKey[ReviewRepository] = RepositoryKey("reviews")
