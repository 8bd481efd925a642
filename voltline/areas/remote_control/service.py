"""Operator commands to stations: remote start and stop, reset, unlock, availability, trigger, cache,
data transfer, display messages, and raw OCPP calls.

Every command is version-neutral (domain/remote_commands.py); protocol/ maps it onto the station's OCPP
version or refuses it there. Listing display messages is a request whose answer arrives later in parts
(NotifyDisplayMessages), collected through `PendingRequests`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from voltline.areas.remote_control.commands import (
    ClearDisplayMessage,
    DisplayMessage,
    GetDisplayMessages,
    MessagePriority,
    MessageState,
    RemoteStart,
    RemoteStartAnswer,
    RemoteStop,
    SetDisplayMessage,
)
from voltline.areas.transactions.service import TransactionService
from voltline.kernel.commands import Command, CommandResult, CommandService, StatusInfo
from voltline.kernel.errors import StationTimeout
from voltline.kernel.pending_requests import PendingRequests

# The PendingRequests kind of GetDisplayMessages -> NotifyDisplayMessages.
DISPLAY_MESSAGES = "display-messages"
MAX_INT32 = 2**31 - 1


@dataclass(slots=True, frozen=True)
class StationAnswer:
    """A station's answer to a command: its status word, the reason it gave (if any), the raw payload."""

    status: str
    payload: dict[str, Any]
    status_info: StatusInfo | None = None

    @classmethod
    def of(cls, result: CommandResult) -> StationAnswer:
        value = result.value
        if isinstance(value, RemoteStartAnswer):
            return cls(result.status, result.payload, value.status_info)
        return cls(result.status, result.payload, value if isinstance(value, StatusInfo) else None)


@dataclass(slots=True, frozen=True)
class RemoteStartOutcome:
    """The answer to a remote start and, for OCPP 2.0.1, the remoteStartId sent with it: the transaction
    the station then starts carries it (stored as the transaction's `remote_start_id`). None for 1.6."""

    answer: StationAnswer
    remote_start_id: int | None = None


@dataclass(slots=True, frozen=True)
class DisplayMessageListing:
    """The answer to GetDisplayMessages and the messages the station then reported (none when Unknown)."""

    answer: StationAnswer
    messages: list[DisplayMessage] = field(default_factory=list)


class RemoteControlService:
    def __init__(
        self,
        commands: CommandService,
        transactions: TransactionService,
        pending: PendingRequests,
        parts_timeout: float = 30.0,
    ) -> None:
        self._commands = commands
        self._transactions = transactions
        self._pending = pending
        # How long the parts of a listing may take after the station accepted the request.
        self._parts_timeout = parts_timeout

    async def remote_start(self, station_id: str, id_token: str, evse_id: int | None) -> RemoteStartOutcome:
        # 2.0.1 correlates the resulting transaction by remoteStartId: a random positive int32. Only the
        # 2.0.1 encoder sends it, and only its decoded answer hands it back.
        command = RemoteStart(id_token, evse_id, remote_start_id=secrets.randbelow(MAX_INT32) + 1)
        result = await self._commands.send(station_id, command)
        sent = result.value.remote_start_id if isinstance(result.value, RemoteStartAnswer) else None
        return RemoteStartOutcome(StationAnswer.of(result), sent)

    async def remote_stop(self, station_id: str, transaction_ref: str) -> StationAnswer:
        # Offline first: 409 rather than the 404 of a lookup that would not matter anyway.
        self._commands.require_online(station_id)
        tx = await self._transactions.find(station_id, transaction_ref)
        return await self.send(station_id, RemoteStop(tx.station_tx_id))

    async def send(self, station_id: str, command: Command) -> StationAnswer:
        """Send one remote-control command (Reset, UnlockConnector, ChangeAvailability, TriggerMessage,
        ClearCache, ClearDisplayMessage ...) and return the station's answer."""
        return StationAnswer.of(await self._commands.send(station_id, command))

    @staticmethod
    def allocate_message_id() -> int:
        """An id for a new display message: random, because the CSMS does not know which ids the station
        holds, and a message with the id of one it holds replaces that one."""
        return secrets.randbelow(MAX_INT32) + 1

    async def set_display_message(self, station_id: str, message: DisplayMessage) -> StationAnswer:
        return await self.send(station_id, SetDisplayMessage(message))

    async def display_messages(
        self,
        station_id: str,
        ids: tuple[int, ...] = (),
        priority: MessagePriority | None = None,
        state: MessageState | None = None,
    ) -> DisplayMessageListing:
        """GetDisplayMessages, then the NotifyDisplayMessages parts; StationTimeout when they do not all
        arrive within the parts timeout."""
        self._commands.require_online(station_id)
        pending = await self._pending.open(station_id, DISPLAY_MESSAGES)
        try:
            command = GetDisplayMessages(pending.request_id, ids, priority, state)
            answer = await self.send(station_id, command)
            if answer.status != "Accepted":
                return DisplayMessageListing(answer)  # "Unknown": no message matches
            if not await pending.wait(self._parts_timeout):
                raise StationTimeout(
                    f"station {station_id!r} did not report all its display messages within "
                    f"{self._parts_timeout:g} s ({pending.parts} part(s) arrived)"
                )
            by_id = {m.id: m for m in pending.items if isinstance(m, DisplayMessage)}  # a repeated id: last wins
            return DisplayMessageListing(answer, [by_id[i] for i in sorted(by_id)])
        finally:
            await self._pending.close(pending)

    async def clear_display_message(self, station_id: str, message_id: int) -> StationAnswer:
        return await self.send(station_id, ClearDisplayMessage(message_id))

    async def call(self, station_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._commands.call_raw(station_id, action, payload)
