"""OCPP 2.0.1 display messages: MessageInfo <-> `DisplayMessage`, and the NotifyDisplayMessages handler
that hands the parts of a GetDisplayMessages answer to whoever waits for them.
"""

from __future__ import annotations

from typing import Any

from voltline.areas.remote_control.commands import DisplayMessage, MessageFormat, MessagePriority, MessageState
from voltline.areas.remote_control.service import DISPLAY_MESSAGES
from voltline.kernel.pending_requests import PendingRequests
from voltline.protocol.context import StationContext
from voltline.protocol.timestamps import format_timestamp, parse_timestamp

# The component a message is shown on when it belongs to one EVSE's display.
DISPLAY_COMPONENT = "Display"


def message_info(message: DisplayMessage) -> dict[str, Any]:
    content: dict[str, Any] = {"format": message.format.value, "content": message.content}
    if message.language is not None:
        content["language"] = message.language
    info: dict[str, Any] = {"id": message.id, "priority": message.priority.value, "message": content}
    if message.state is not None:
        info["state"] = message.state.value
    if message.start is not None:
        info["startDateTime"] = format_timestamp(message.start)
    if message.end is not None:
        info["endDateTime"] = format_timestamp(message.end)
    if message.transaction_id is not None:
        info["transactionId"] = message.transaction_id
    if message.evse_id is not None:
        info["display"] = {"name": DISPLAY_COMPONENT, "evse": {"id": message.evse_id}}
    return info


def display_message(info: dict[str, Any]) -> DisplayMessage:
    """A schema-valid MessageInfo as a domain value."""
    content = info["message"]
    state = info.get("state")
    start = info.get("startDateTime")
    end = info.get("endDateTime")
    evse = (info.get("display") or {}).get("evse")
    return DisplayMessage(
        id=info["id"],
        priority=MessagePriority(info["priority"]),
        content=content["content"],
        format=MessageFormat(content["format"]),
        language=content.get("language"),
        state=MessageState(state) if state is not None else None,
        start=parse_timestamp(start) if start is not None else None,
        end=parse_timestamp(end) if end is not None else None,
        transaction_id=info.get("transactionId"),
        evse_id=evse["id"] if evse is not None else None,
    )


async def notify_display_messages(
    pending: PendingRequests, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
    # Parts nobody waits for (a listing that timed out, a station's own initiative) are not kept:
    # Voltline does not store display messages, the station is their source of truth.
    messages = [display_message(info) for info in payload.get("messageInfo", [])]
    more = bool(payload.get("tbc", False))
    await pending.feed(ctx.station_id, DISPLAY_MESSAGES, payload["requestId"], messages, more=more)
    return {}
