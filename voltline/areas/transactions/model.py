"""Transactions, their meter samples, and messages set aside for review."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

# The measurand of the meter's total energy register: where a transaction's energy is read from.
ENERGY_REGISTER: Final = "Energy.Active.Import.Register"


class ReviewKind(StrEnum):
    """Why a station message was set aside for an operator to look at."""

    UNKNOWN_TRANSACTION = "UnknownTransaction"
    FOREIGN_TRANSACTION = "ForeignTransaction"


@dataclass(slots=True)
class SampledValue:
    timestamp: datetime
    value: float
    measurand: str = ENERGY_REGISTER
    unit: str | None = None
    phase: str | None = None
    location: str | None = None
    context: str | None = None
    signed_data: str | None = None


@dataclass(slots=True)
class Transaction:
    id: int
    station_id: str
    station_tx_id: str
    evse_id: int
    connector_id: int
    id_token: str | None
    started_at: datetime
    meter_start_wh: float | None = None
    stopped_at: datetime | None = None
    meter_stop_wh: float | None = None
    stop_reason: str | None = None
    energy_wh: float | None = None
    # 2.0.1: seqNo of the latest event that reported a charging state (orders out-of-order deliveries).
    last_seq_no: int | None = None
    remote_start_id: int | None = None
    charging_state: str | None = None
    auth_status: str | None = None
    meter_values: list[SampledValue] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.stopped_at is None


# The stored fields of a transaction, defined once by the dataclass: storage maps rows and writes back by
# these names, and the API body copies those it shows. Meter values are rows of their own.
TRANSACTION_FIELDS: Final = tuple(f.name for f in fields(Transaction) if f.name != "meter_values")
# What a transaction may change after it is created; its id, station and station-facing id never do.
MUTABLE_FIELDS: Final = tuple(name for name in TRANSACTION_FIELDS if name not in ("id", "station_id", "station_tx_id"))


@dataclass(slots=True)
class ReviewItem:
    id: int
    station_id: str
    kind: ReviewKind
    detail: dict[str, Any]
    created_at: datetime
