"""Version-neutral transaction commands -> OCPP 1.6 calls."""

from __future__ import annotations

from voltline.areas.remote_control.commands import RemoteStart, RemoteStop
from voltline.kernel.errors import InvalidRequest
from voltline.protocol.commands import EncoderTable, OutboundCall, Payload


def remote_start(command: RemoteStart) -> OutboundCall:
    payload: Payload = {"idTag": command.id_token}
    if command.evse_id is not None:
        payload["connectorId"] = command.evse_id
    return OutboundCall("RemoteStartTransaction", payload)


def remote_stop(command: RemoteStop) -> OutboundCall:
    if not command.station_tx_id.isdigit():
        raise InvalidRequest(f"transaction id {command.station_tx_id!r} is not an OCPP 1.6 transaction id")
    return OutboundCall("RemoteStopTransaction", {"transactionId": int(command.station_tx_id)})


ENCODERS: EncoderTable = {RemoteStart: remote_start, RemoteStop: remote_stop}
