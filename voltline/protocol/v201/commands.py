"""Version-neutral commands -> OCPP 2.0.1 calls."""

from __future__ import annotations

from typing import Any

from voltline.domain.commands import Command, RemoteStart, RemoteStop
from voltline.domain.errors import InvalidRequest


def encode(command: Command) -> tuple[str, dict[str, Any]]:
    match command:
        case RemoteStart(id_token=id_token, evse_id=evse_id, remote_start_id=remote_start_id):
            payload: dict[str, Any] = {
                "idToken": {"idToken": id_token, "type": "Central"},
                "remoteStartId": remote_start_id if remote_start_id is not None else 1,
            }
            if evse_id is not None:
                payload["evseId"] = evse_id
            return "RequestStartTransaction", payload
        case RemoteStop(station_tx_id=tx_id):
            return "RequestStopTransaction", {"transactionId": tx_id}
    raise InvalidRequest(f"{type(command).__name__} is not supported on OCPP 2.0.1")
