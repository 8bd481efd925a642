"""The simulated station's display (OCPP 2.0.1 display messages): SetDisplayMessage,
GetDisplayMessages (answered, then reported in NotifyDisplayMessages parts) and ClearDisplayMessage.

The messages live on the station (`SimulatedStation.display_messages`), so they survive reconnects.
The display shows plain text and links: HTML is answered NotSupportedMessageFormat.
"""

from __future__ import annotations

from typing import Any, Protocol

from voltline.simulator.handle import StationHandle

Payload = dict[str, Any]

SUPPORTED_FORMATS = frozenset({"ASCII", "UTF8", "URI"})


class DisplayStation(StationHandle, Protocol):
    """A station that keeps display messages (by id), across reconnects."""

    @property
    def display_messages(self) -> dict[int, Payload]: ...


class Display:
    """Answers the display-message calls of one station."""

    # Messages per NotifyDisplayMessages part; more than that go out in several parts with tbc.
    part_size = 4

    def __init__(self, station: DisplayStation) -> None:
        self.station = station

    async def set_message(self, payload: Payload) -> Payload:
        info = payload["message"]
        if info["message"]["format"] not in SUPPORTED_FORMATS:
            return {"status": "NotSupportedMessageFormat"}
        tx_id = info.get("transactionId")
        if tx_id is not None and not self._transaction_running(tx_id):
            return {"status": "UnknownTransaction"}
        self.station.display_messages[info["id"]] = info  # an existing id is replaced
        return {"status": "Accepted"}

    async def get_messages(self, payload: Payload) -> Payload:
        ids = payload.get("id")
        priority = payload.get("priority")
        state = payload.get("state")
        matching = [
            info
            for message_id, info in sorted(self.station.display_messages.items())
            if (ids is None or message_id in ids)
            and (priority is None or info["priority"] == priority)
            and (state is None or info.get("state") == state)
        ]
        if not matching:
            return {"status": "Unknown"}
        self.station.spawn(self._report(payload["requestId"], matching), "notify-display-messages")
        return {"status": "Accepted"}

    async def clear_message(self, payload: Payload) -> Payload:
        removed = self.station.display_messages.pop(payload["id"], None)
        return {"status": "Accepted" if removed is not None else "Unknown"}

    async def _report(self, request_id: int, messages: list[Payload]) -> None:
        size = self.part_size
        for start in range(0, len(messages), size):
            part = messages[start : start + size]
            more = start + size < len(messages)
            await self.station.call(
                "NotifyDisplayMessages", {"requestId": request_id, "messageInfo": part, "tbc": more}
            )

    def _transaction_running(self, tx_id: str) -> bool:
        return any(
            state.transaction is not None and state.transaction.station_tx_id == tx_id
            for state in self.station.connectors.values()
        )
