"""OCPP 2.0.1 TransactionEvent and MeterValues."""

from __future__ import annotations

from typing import Any

from voltline.domain.transactions import MeterReport, TransactionEvent
from voltline.protocol.context import StationContext
from voltline.protocol.timestamps import parse_timestamp
from voltline.protocol.v201.convert import id_token_info, sampled_values


async def transaction_event(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    info = payload["transactionInfo"]
    evse = payload.get("evse") or {}
    id_token = payload.get("idToken")
    verdict = await ctx.services.transactions.apply_event(
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


async def meter_values(ctx: StationContext, payload: dict[str, Any]) -> dict[str, Any]:
    await ctx.services.transactions.record_meter_values(
        MeterReport(
            station_id=ctx.station_id,
            evse_id=payload["evseId"],
            station_tx_id=None,
            values=sampled_values(payload["meterValue"]),
        )
    )
    return {}
