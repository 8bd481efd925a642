"""OCPP 1.6 transactions: StartTransaction, StopTransaction, MeterValues."""

from __future__ import annotations

from typing import Any

from voltline.domain.transactions import MeterReport, StartRequest, StopRequest
from voltline.protocol.context import StationContext
from voltline.protocol.timestamps import parse_timestamp
from voltline.protocol.v16.convert import id_tag_info, sampled_values


async def start_transaction(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    outcome = await ctx.services.transactions.start(
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


async def stop_transaction(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    verdict = await ctx.services.transactions.stop(
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


async def meter_values(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    tx_id = payload.get("transactionId")
    await ctx.services.transactions.record_meter_values(
        MeterReport(
            station_id=ctx.station_id,
            evse_id=payload["connectorId"],
            station_tx_id=str(tx_id) if tx_id is not None else None,
            values=sampled_values(payload["meterValue"]),
        )
    )
    return {}
