"""Version-neutral transaction commands -> OCPP 2.0.1 calls."""

from __future__ import annotations

from voltline.areas.remote_control.commands import RemoteStart, RemoteStop
from voltline.protocol.commands import EncoderTable, OutboundCall, Payload


def request_start(command: RemoteStart) -> OutboundCall:
    payload: Payload = {
        "idToken": {"idToken": command.id_token, "type": "Central"},
        "remoteStartId": command.remote_start_id if command.remote_start_id is not None else 1,
    }
    if command.evse_id is not None:
        payload["evseId"] = command.evse_id
    return OutboundCall("RequestStartTransaction", payload)


def request_stop(command: RemoteStop) -> OutboundCall:
    return OutboundCall("RequestStopTransaction", {"transactionId": command.station_tx_id})


ENCODERS: EncoderTable = {RemoteStart: request_start, RemoteStop: request_stop}
