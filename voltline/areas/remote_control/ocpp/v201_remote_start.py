"""Version-neutral transaction commands -> OCPP 2.0.1 calls."""

from __future__ import annotations

from voltline.areas.remote_control.commands import RemoteStart, RemoteStartAnswer, RemoteStop
from voltline.protocol.commands import EncoderTable, OutboundCall, Payload, status_info_of


def request_start(command: RemoteStart) -> OutboundCall:
    remote_start_id = command.remote_start_id if command.remote_start_id is not None else 1
    payload: Payload = {
        "idToken": {"idToken": command.id_token, "type": "Central"},
        "remoteStartId": remote_start_id,
    }
    if command.evse_id is not None:
        payload["evseId"] = command.evse_id

    def decode(answer: Payload) -> RemoteStartAnswer:
        return RemoteStartAnswer(remote_start_id, status_info_of(answer))

    return OutboundCall("RequestStartTransaction", payload, decode)


def request_stop(command: RemoteStop) -> OutboundCall:
    return OutboundCall("RequestStopTransaction", {"transactionId": command.station_tx_id}, decode=status_info_of)


ENCODERS: EncoderTable = {RemoteStart: request_start, RemoteStop: request_stop}
