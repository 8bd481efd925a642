"""OCPP 1.6J DataTransfer, both ways. 1.6 carries data as a string: a string is sent as is, any other JSON
value as its compact JSON text."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from voltline.areas.data_transfer.commands import DataTransfer, DataTransferAnswer
from voltline.areas.data_transfer.service import DataTransferRegistry, DataTransferRequest
from voltline.kernel.services import ServiceRegistry
from voltline.protocol.commands import EncoderTable, OutboundCall, Payload
from voltline.protocol.context import StationContext
from voltline.protocol.dispatcher import RouteTable


async def data_transfer_request(
    vendors: DataTransferRegistry, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
    reply = await vendors.handle(
        DataTransferRequest(ctx.station_id, payload["vendorId"], payload.get("messageId"), payload.get("data"))
    )
    response: dict[str, Any] = {"status": reply.status}
    if reply.data is not None:
        # 1.6 carries data as a string.
        response["data"] = reply.data if isinstance(reply.data, str) else str(reply.data)
    return response


def data_transfer(command: DataTransfer) -> OutboundCall:
    payload: Payload = {"vendorId": command.vendor_id}
    if command.message_id is not None:
        payload["messageId"] = command.message_id
    if command.data is not None:
        data = command.data
        payload["data"] = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return OutboundCall("DataTransfer", payload, decode=_data_transfer_answer)


def _data_transfer_answer(payload: Payload) -> DataTransferAnswer:
    return DataTransferAnswer(payload.get("data"), None)


ENCODERS: EncoderTable = {DataTransfer: data_transfer}


def routes(services: ServiceRegistry) -> RouteTable:
    """The actions this area answers, each handler bound to the services it uses."""
    return {"DataTransfer": partial(data_transfer_request, services[DataTransferRegistry])}
