"""Version-neutral commands -> OCPP 1.6 calls."""

from __future__ import annotations

from typing import Any

from voltline.domain.commands import Command, RemoteStart, RemoteStop
from voltline.domain.errors import InvalidRequest


def encode(command: Command) -> tuple[str, dict[str, Any]]:
    match command:
        case RemoteStart(id_token=id_token, evse_id=evse_id):
            payload: dict[str, Any] = {"idTag": id_token}
            if evse_id is not None:
                payload["connectorId"] = evse_id
            return "RemoteStartTransaction", payload
        case RemoteStop(station_tx_id=tx_id):
            if not tx_id.isdigit():
                raise InvalidRequest(f"transaction id {tx_id!r} is not an OCPP 1.6 transaction id")
            return "RemoteStopTransaction", {"transactionId": int(tx_id)}
    raise InvalidRequest(f"{type(command).__name__} is not supported on OCPP 1.6")
