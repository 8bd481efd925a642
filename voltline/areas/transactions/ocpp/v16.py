"""OCPP 1.6 transactions: StartTransaction, StopTransaction, MeterValues."""

from __future__ import annotations

import math
from functools import partial
from typing import Any

from voltline.areas.authorization.ocpp.v16 import id_tag_info
from voltline.areas.transactions.model import ENERGY_REGISTER, SampledValue
from voltline.areas.transactions.service import MeterReport, StartRequest, StopRequest, TransactionService
from voltline.kernel.services import ServiceRegistry
from voltline.protocol.context import StationContext
from voltline.protocol.dispatcher import RouteTable
from voltline.protocol.timestamps import parse_timestamp


def sampled_values(meter_values: list[dict[str, Any]]) -> list[SampledValue]:
    """Flatten 1.6 meterValue entries; non-numeric (signed) readings keep their data in signed_data."""
    result: list[SampledValue] = []
    for entry in meter_values:
        timestamp = parse_timestamp(entry["timestamp"])
        for sample in entry["sampledValue"]:
            raw = sample["value"]
            signed = sample.get("format") == "SignedData"
            try:
                value = 0.0 if signed else float(raw)
            except ValueError:
                value, signed = 0.0, True
            if not math.isfinite(value):  # "NaN", "inf", "1e999" parse as floats but are no readings
                value, signed = 0.0, True
            result.append(
                SampledValue(
                    timestamp=timestamp,
                    value=value,
                    measurand=sample.get("measurand", ENERGY_REGISTER),  # OCPP's default
                    unit=sample.get("unit", "Wh"),
                    phase=sample.get("phase"),
                    location=sample.get("location"),
                    context=sample.get("context"),
                    signed_data=raw if signed else None,
                )
            )
    return result


async def start_transaction(
    transactions: TransactionService, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
    outcome = await transactions.start(
        StartRequest(
            station_id=ctx.station_id,
            connector_id=payload["connectorId"],
            id_token=payload["idTag"],
            meter_start_wh=float(payload["meterStart"]),
            timestamp=parse_timestamp(payload["timestamp"]),
            reservation_id=payload.get("reservationId"),
        )
    )
    return {"transactionId": outcome.transaction.id, "idTagInfo": id_tag_info(outcome.verdict)}


async def stop_transaction(
    transactions: TransactionService, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
    verdict = await transactions.stop(
        StopRequest(
            station_id=ctx.station_id,
            station_tx_id=str(payload["transactionId"]),
            meter_stop_wh=float(payload["meterStop"]),
            timestamp=parse_timestamp(payload["timestamp"]),
            reason=payload.get("reason"),
            id_token=payload.get("idTag"),
            transaction_data=sampled_values(payload.get("transactionData", [])),
        )
    )
    return {"idTagInfo": id_tag_info(verdict)} if verdict is not None else {}


async def meter_values(
    transactions: TransactionService, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
    tx_id = payload.get("transactionId")
    await transactions.record_meter_values(
        MeterReport(
            station_id=ctx.station_id,
            evse_id=payload["connectorId"],
            station_tx_id=str(tx_id) if tx_id is not None else None,
            values=sampled_values(payload["meterValue"]),
        )
    )
    return {}


def routes(services: ServiceRegistry) -> RouteTable:
    """The actions this area answers, each handler bound to the services it uses."""
    transactions = services[TransactionService]
    return {
        "StartTransaction": partial(start_transaction, transactions),
        "StopTransaction": partial(stop_transaction, transactions),
        "MeterValues": partial(meter_values, transactions),
    }
