"""API bodies of transactions and their meter values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from voltline.areas.transactions.model import (
    ENERGY_REGISTER,
    TRANSACTION_FIELDS,
    ReviewItem,
    ReviewKind,
    SampledValue,
    Transaction,
)


class MeterValueBody(BaseModel):
    timestamp: datetime
    measurand: str = Field(examples=[ENERGY_REGISTER])
    value: float
    unit: str | None = Field(default=None, examples=["Wh"])
    phase: str | None = None
    location: str | None = None
    context: str | None = None

    @classmethod
    def of(cls, sample: SampledValue) -> MeterValueBody:
        return cls(
            timestamp=sample.timestamp,
            measurand=sample.measurand,
            value=sample.value,
            unit=sample.unit,
            phase=sample.phase,
            location=sample.location,
            context=sample.context,
        )


class TransactionBody(BaseModel):
    id: int = Field(description="Voltline's own id of the transaction.")
    station_transaction_id: str = Field(
        description="The id the station uses, always a string (as in the event stream): an OCPP 1.6 "
        "station's integer in decimal (\"42\"), an OCPP 2.0.1 station's own string.",
        examples=["42"],
    )
    station_id: str
    evse_id: int
    connector_id: int
    id_token: str | None = None
    started_at: datetime
    stopped_at: datetime | None = None
    active: bool
    meter_start_wh: float | None = None
    meter_stop_wh: float | None = None
    energy_wh: float | None = Field(default=None, description="Energy delivered so far or in total, in Wh.")
    stop_reason: str | None = None
    charging_state: str | None = None
    remote_start_id: int | None = Field(
        default=None,
        description="The remote start this transaction answers (the `remote_start_id` of POST "
        ".../remote-start): the 2.0.1 remoteStartId, or for 1.6 Voltline's own id, linked by station, "
        "connector and token.",
    )

    @classmethod
    def fields_of(cls, tx: Transaction) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(tx, name) for name in _SHOWN_AS_STORED}
        # One type everywhere (REST, live events, review items): a string holds both versions' ids.
        values["station_transaction_id"] = tx.station_tx_id
        values["active"] = tx.active
        return values

    @classmethod
    def of(cls, tx: Transaction) -> TransactionBody:
        return cls(**cls.fields_of(tx))


# The body's fields that are the record's own, under the same name (the rest are derived above).
_SHOWN_AS_STORED = tuple(name for name in TransactionBody.model_fields if name in TRANSACTION_FIELDS)


class TransactionDetailBody(TransactionBody):
    meter_values: list[MeterValueBody]

    @classmethod
    def with_meter_values(cls, tx: Transaction) -> TransactionDetailBody:
        return cls(**cls.fields_of(tx), meter_values=[MeterValueBody.of(v) for v in tx.meter_values])


class ReviewItemBody(BaseModel):
    id: int
    station_id: str = Field(description="The station that sent the message.")
    kind: ReviewKind = Field(
        description="UnknownTransaction: no such transaction; ForeignTransaction: it belongs to another station."
    )
    detail: dict[str, Any] = Field(description="What the message said: its action and the transaction id it named.")
    created_at: datetime

    @classmethod
    def of(cls, item: ReviewItem) -> ReviewItemBody:
        return cls(
            id=item.id, station_id=item.station_id, kind=item.kind, detail=item.detail, created_at=item.created_at
        )
