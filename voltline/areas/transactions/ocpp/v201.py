"""OCPP 2.0.1 TransactionEvent and MeterValues."""

from __future__ import annotations

import math
from functools import partial
from typing import Any

from voltline.areas.authorization.ocpp.v201 import id_token_info
from voltline.areas.transactions.model import ENERGY_REGISTER, SampledValue
from voltline.areas.transactions.service import MeterReport, TransactionEvent, TransactionService
from voltline.kernel.services import ServiceRegistry
from voltline.ocppj import ErrorKind, OcppError
from voltline.protocol.context import StationContext
from voltline.protocol.dispatcher import RouteTable
from voltline.protocol.timestamps import parse_timestamp


def sampled_values(meter_values: list[dict[str, Any]]) -> list[SampledValue]:
    """Flatten 2.0.1 meterValue entries, applying the unit multiplier (value * 10^multiplier)."""
    result: list[SampledValue] = []
    for entry in meter_values:
        timestamp = parse_timestamp(entry["timestamp"])
        for sample in entry["sampledValue"]:
            unit = sample.get("unitOfMeasure") or {}
            multiplier = unit.get("multiplier", 0)
            signed = sample.get("signedMeterValue")
            result.append(
                SampledValue(
                    timestamp=timestamp,
                    value=_scaled(sample["value"], multiplier),
                    measurand=sample.get("measurand", ENERGY_REGISTER),  # OCPP's default
                    unit=unit.get("unit", "Wh"),
                    phase=sample.get("phase"),
                    location=sample.get("location"),
                    context=sample.get("context"),
                    signed_data=signed.get("signedMeterData") if signed else None,
                )
            )
    return result


def _scaled(value: float, multiplier: int) -> float:
    """value * 10^multiplier. The schema bounds neither, so a reading can exceed what a double holds; that
    is a value out of range (PropertyConstraintViolation), not a handler crash (InternalError)."""
    try:
        scaled = float(value) * (10.0**multiplier)
    except OverflowError:
        scaled = math.inf
    if not math.isfinite(scaled):
        raise OcppError(ErrorKind.PROPERTY_CONSTRAINT, f"sampledValue: {value} * 10^{multiplier} is out of range")
    return scaled


async def transaction_event(
    transactions: TransactionService, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
    info = payload["transactionInfo"]
    evse = payload.get("evse") or {}
    id_token = payload.get("idToken")
    verdict = await transactions.apply_event(
        TransactionEvent(
            station_id=ctx.station_id,
            event_type=payload["eventType"],
            timestamp=parse_timestamp(payload["timestamp"]),
            trigger_reason=payload["triggerReason"],
            seq_no=payload["seqNo"],
            station_tx_id=info["transactionId"],
            offline=payload.get("offline", False),
            evse_id=evse.get("id"),
            connector_id=evse.get("connectorId"),
            id_token=id_token["idToken"] if id_token else None,
            id_token_type=id_token["type"] if id_token else None,
            charging_state=info.get("chargingState"),
            stopped_reason=info.get("stoppedReason"),
            remote_start_id=info.get("remoteStartId"),
            meter_values=sampled_values(payload.get("meterValue", [])),
        )
    )
    return {"idTokenInfo": id_token_info(verdict)} if verdict is not None else {}


async def meter_values(
    transactions: TransactionService, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
    await transactions.record_meter_values(
        MeterReport(
            station_id=ctx.station_id,
            evse_id=payload["evseId"],
            station_tx_id=None,
            values=sampled_values(payload["meterValue"]),
        )
    )
    return {}


def routes(services: ServiceRegistry) -> RouteTable:
    """The actions this area answers, each handler bound to the services it uses."""
    transactions = services[TransactionService]
    return {
        "TransactionEvent": partial(transaction_event, transactions),
        "MeterValues": partial(meter_values, transactions),
    }
