"""Version-neutral remote-control commands -> OCPP 1.6 calls.

1.6 names EVSE N "connector N" and has one connector per EVSE, so a connector other than 1 within an EVSE
cannot be addressed. Reset knows Soft and Hard only: on_idle is sent as Soft (the station ends its
transactions gracefully first) and immediate as Hard. Display messages do not exist in 1.6.
"""

from __future__ import annotations

from voltline.areas.remote_control.commands import (
    ChangeAvailability,
    ClearCache,
    ClearDisplayMessage,
    GetDisplayMessages,
    Reset,
    ResetKind,
    SetDisplayMessage,
    TriggerableMessage,
    TriggerMessage,
    UnlockConnector,
)
from voltline.kernel.errors import InvalidRequest
from voltline.protocol.commands import EncoderTable, OutboundCall, Payload

RESET_TYPES = {
    ResetKind.SOFT: "Soft",
    ResetKind.ON_IDLE: "Soft",
    ResetKind.HARD: "Hard",
    ResetKind.IMMEDIATE: "Hard",
}

TRIGGERABLE = (
    TriggerableMessage.BOOT_NOTIFICATION,
    TriggerableMessage.DIAGNOSTICS_STATUS_NOTIFICATION,
    TriggerableMessage.FIRMWARE_STATUS_NOTIFICATION,
    TriggerableMessage.HEARTBEAT,
    TriggerableMessage.METER_VALUES,
    TriggerableMessage.STATUS_NOTIFICATION,
)

DISPLAY_MESSAGES_REFUSED = "display messages need OCPP 2.0.1; this station speaks OCPP 1.6"


def _connector_id(evse_id: int | None, connector_id: int | None, what: str) -> int | None:
    """The 1.6 connectorId of EVSE `evse_id` (connector `connector_id` within it, which must be 1)."""
    if connector_id is not None and connector_id != 1:
        raise InvalidRequest(
            f"{what}: OCPP 1.6 has one connector per EVSE (connector_id must be 1; give the 1.6 connector "
            f"number as evse_id)"
        )
    return evse_id


def reset(command: Reset) -> OutboundCall:
    if command.evse_id is not None:
        raise InvalidRequest("reset: OCPP 1.6 can only reset the whole station (leave out evse_id)")
    return OutboundCall("Reset", {"type": RESET_TYPES[command.kind]})


def unlock(command: UnlockConnector) -> OutboundCall:
    connector_id = _connector_id(command.evse_id, command.connector_id, "unlock")
    return OutboundCall("UnlockConnector", {"connectorId": connector_id})


def change_availability(command: ChangeAvailability) -> OutboundCall:
    connector_id = _connector_id(command.evse_id, command.connector_id, "availability")
    return OutboundCall(
        "ChangeAvailability",
        {"connectorId": connector_id or 0, "type": "Operative" if command.operative else "Inoperative"},
    )


def trigger(command: TriggerMessage) -> OutboundCall:
    if command.message not in TRIGGERABLE:
        names = ", ".join(m.value for m in TRIGGERABLE)
        raise InvalidRequest(f"trigger: OCPP 1.6 cannot trigger {command.message.value}; it can trigger {names}")
    payload: Payload = {"requestedMessage": command.message.value}
    connector_id = _connector_id(command.evse_id, command.connector_id, "trigger")
    if connector_id is not None:
        payload["connectorId"] = connector_id
    return OutboundCall("TriggerMessage", payload)


def clear_cache(command: ClearCache) -> OutboundCall:
    return OutboundCall("ClearCache", {})


def refuse_display_messages(command: SetDisplayMessage | GetDisplayMessages | ClearDisplayMessage) -> OutboundCall:
    raise InvalidRequest(DISPLAY_MESSAGES_REFUSED)


ENCODERS: EncoderTable = {
    Reset: reset,
    UnlockConnector: unlock,
    ChangeAvailability: change_availability,
    TriggerMessage: trigger,
    ClearCache: clear_cache,
    SetDisplayMessage: refuse_display_messages,
    GetDisplayMessages: refuse_display_messages,
    ClearDisplayMessage: refuse_display_messages,
}
