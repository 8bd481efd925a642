"""Version-neutral remote-control commands -> OCPP 2.0.1 calls.

Reset knows OnIdle and Immediate: soft is sent as OnIdle and hard as Immediate. EVSE 0 (or none) means the
whole station, so it is sent without an `evse`.
"""

from __future__ import annotations

from functools import partial

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
from voltline.areas.remote_control.ocpp.v201_display import message_info, notify_display_messages
from voltline.kernel.errors import InvalidRequest
from voltline.kernel.pending_requests import PendingRequests
from voltline.kernel.services import ServiceRegistry
from voltline.protocol.commands import EncoderTable, OutboundCall, Payload, status_info_of
from voltline.protocol.dispatcher import RouteTable

RESET_TYPES = {
    ResetKind.SOFT: "OnIdle",
    ResetKind.ON_IDLE: "OnIdle",
    ResetKind.HARD: "Immediate",
    ResetKind.IMMEDIATE: "Immediate",
}

TRIGGERABLE = (
    TriggerableMessage.BOOT_NOTIFICATION,
    TriggerableMessage.LOG_STATUS_NOTIFICATION,
    TriggerableMessage.FIRMWARE_STATUS_NOTIFICATION,
    TriggerableMessage.HEARTBEAT,
    TriggerableMessage.METER_VALUES,
    TriggerableMessage.SIGN_CHARGING_STATION_CERTIFICATE,
    TriggerableMessage.SIGN_V2G_CERTIFICATE,
    TriggerableMessage.STATUS_NOTIFICATION,
    TriggerableMessage.TRANSACTION_EVENT,
    TriggerableMessage.SIGN_COMBINED_CERTIFICATE,
    TriggerableMessage.PUBLISH_FIRMWARE_STATUS_NOTIFICATION,
)


def _evse(evse_id: int | None, connector_id: int | None, what: str) -> Payload | None:
    """The EVSEType naming `evse_id` (and a connector on it); None for the whole station."""
    if not evse_id:
        if connector_id is not None:
            raise InvalidRequest(f"{what}: a connector_id needs the evse_id it belongs to")
        return None
    evse: Payload = {"id": evse_id}
    if connector_id is not None:
        evse["connectorId"] = connector_id
    return evse


def reset(command: Reset) -> OutboundCall:
    payload: Payload = {"type": RESET_TYPES[command.kind]}
    if command.evse_id is not None:
        payload["evseId"] = command.evse_id
    return OutboundCall("Reset", payload, decode=status_info_of)


def unlock(command: UnlockConnector) -> OutboundCall:
    return OutboundCall(
        "UnlockConnector", {"evseId": command.evse_id, "connectorId": command.connector_id}, decode=status_info_of
    )


def change_availability(command: ChangeAvailability) -> OutboundCall:
    payload: Payload = {"operationalStatus": "Operative" if command.operative else "Inoperative"}
    evse = _evse(command.evse_id, command.connector_id, "availability")
    if evse is not None:
        payload["evse"] = evse
    return OutboundCall("ChangeAvailability", payload, decode=status_info_of)


def trigger(command: TriggerMessage) -> OutboundCall:
    if command.message not in TRIGGERABLE:
        names = ", ".join(m.value for m in TRIGGERABLE)
        raise InvalidRequest(f"trigger: OCPP 2.0.1 cannot trigger {command.message.value}; it can trigger {names}")
    payload: Payload = {"requestedMessage": command.message.value}
    evse = _evse(command.evse_id, command.connector_id, "trigger")
    if evse is not None:
        payload["evse"] = evse
    return OutboundCall("TriggerMessage", payload, decode=status_info_of)


def clear_cache(command: ClearCache) -> OutboundCall:
    return OutboundCall("ClearCache", {}, decode=status_info_of)


def set_display_message(command: SetDisplayMessage) -> OutboundCall:
    return OutboundCall("SetDisplayMessage", {"message": message_info(command.message)}, decode=status_info_of)


def get_display_messages(command: GetDisplayMessages) -> OutboundCall:
    payload: Payload = {"requestId": command.request_id}
    if command.ids:
        payload["id"] = list(command.ids)
    if command.priority is not None:
        payload["priority"] = command.priority.value
    if command.state is not None:
        payload["state"] = command.state.value
    return OutboundCall("GetDisplayMessages", payload, decode=status_info_of)


def clear_display_message(command: ClearDisplayMessage) -> OutboundCall:
    return OutboundCall("ClearDisplayMessage", {"id": command.message_id}, decode=status_info_of)


ENCODERS: EncoderTable = {
    Reset: reset,
    UnlockConnector: unlock,
    ChangeAvailability: change_availability,
    TriggerMessage: trigger,
    ClearCache: clear_cache,
    SetDisplayMessage: set_display_message,
    GetDisplayMessages: get_display_messages,
    ClearDisplayMessage: clear_display_message,
}


def routes(services: ServiceRegistry) -> RouteTable:
    """The actions this area answers, each handler bound to the services it uses."""
    pending = services[PendingRequests]
    return {
        "NotifyDisplayMessages": partial(notify_display_messages, pending),
    }
