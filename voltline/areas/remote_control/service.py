"""Operator commands to stations: remote start and stop, reset, unlock, availability, trigger, cache,
data transfer, display messages, and raw OCPP calls.

Every command is version-neutral (domain/remote_commands.py); protocol/ maps it onto the station's OCPP
version or refuses it there. Listing display messages is a request whose answer arrives later in parts
(NotifyDisplayMessages), collected through `PendingRequests`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from voltline.areas.authorization.model import AuthorizationStatus, TokenVerdict
from voltline.areas.authorization.service import AuthorizationService
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
    TriggerableMessage,
    TriggerMessage,
)
from voltline.areas.stations.model import StationApproved
from voltline.areas.transactions.model import Transaction
from voltline.areas.transactions.remote_starts import ExpectedStarts
from voltline.areas.transactions.service import TransactionService
from voltline.kernel.background import StationWork
from voltline.kernel.commands import Command, CommandResult, CommandService, StatusInfo
from voltline.kernel.errors import InvalidRequest, StationTimeout
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
    """The answer to a remote start, its remote start id, and the transaction that followed, when it was
    waited for and started in time.

    `remote_start_id` is the 2.0.1 remoteStartId sent with the request, or (1.6, which has none on the
    wire) Voltline's own id for it: either way the transaction that follows carries it as its
    `remote_start_id`, which is how to find that transaction later."""

    answer: StationAnswer
    remote_start_id: int
    transaction: Transaction | None = None

    @property
    def accepted(self) -> bool:
        return self.answer.status == "Accepted"


def _require_chargeable(id_token: str, verdict: TokenVerdict) -> None:
    """InvalidRequest (422) saying why, unless this CSMS would let `id_token` charge now."""
    status = verdict.status
    if status is AuthorizationStatus.ACCEPTED:
        return
    if status is AuthorizationStatus.INVALID:
        why = f"id token {id_token!r} is not registered"
    elif status is AuthorizationStatus.EXPIRED and verdict.expiry is not None:
        why = f"id token {id_token!r} expired at {verdict.expiry.isoformat()}"
    else:
        why = f"id token {id_token!r} is {status.value}"
    raise InvalidRequest(
        f"{why}: the station would be told so and end the transaction at once, so nothing was sent. "
        'Send "check_token": false to ask the station anyway (for a token it knows locally).'
    )


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
        *,
        authorization: AuthorizationService,
        expected_starts: ExpectedStarts,
    ) -> None:
        self._commands = commands
        self._transactions = transactions
        self._pending = pending
        self._authorization = authorization
        self._expected = expected_starts
        # How long the parts of a listing may take after the station accepted the request.
        self._parts_timeout = parts_timeout

    async def remote_start(
        self,
        station_id: str,
        id_token: str,
        evse_id: int | None,
        *,
        check_token: bool = True,
        wait: float = 0.0,
        command_for: Callable[[RemoteStart], Command] | None = None,
    ) -> RemoteStartOutcome:
        """Ask the station to start a transaction for `id_token`; with `wait` > 0, also wait up to that
        many seconds for the transaction to start (the outcome's `transaction`; None when it did not).

        `check_token`: refuse (InvalidRequest) a token this CSMS would not accept, before anything is sent.
        The station asks the CSMS about the token (Authorize, or the start's own answer), hears Invalid,
        Blocked or Expired, and ends the transaction at once: an Accepted remote start would only hide
        that. Off for tokens the station may know locally (its local list or cache) while the CSMS does not.
        """
        # Offline first: 409 rather than a token refusal that would not matter anyway.
        self._commands.require_online(station_id)
        if check_token:
            _require_chargeable(id_token, await self._authorization.verdict(id_token))
        # Expected before it is sent: the station may report the transaction before its answer is read.
        expected = self._expected.expect(station_id, id_token, evse_id)
        # 2.0.1 sends the id (remoteStartId) and gets it back in the transaction; 1.6 keeps it to itself.
        start = RemoteStart(id_token, evse_id, remote_start_id=expected.remote_start_id)
        # `command_for`: an area above wraps the start (smart charging sends a TxProfile with it).
        command = command_for(start) if command_for is not None else start
        try:
            answer = StationAnswer.of(await self._commands.send(station_id, command))
        except BaseException:
            self._expected.withdraw(expected)
            raise
        outcome = RemoteStartOutcome(answer, expected.remote_start_id)
        if not outcome.accepted:
            self._expected.withdraw(expected)
            return outcome
        if wait > 0:
            return replace(outcome, transaction=await self._expected.wait(expected, wait))
        return outcome

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


class ApprovalBoots:
    """Makes an approval count at once: a Pending station that an operator approves while it is connected
    is asked to boot again (TriggerMessage BootNotification, both versions; OCPP lets the CSMS trigger
    a boot of a Pending station), and its boot is then answered Accepted. Without this it stays Pending
    until its own next boot retry, up to a heartbeat interval later.

    `approved` is an after-commit subscriber of the stations area's `StationApproved`, so the station is
    asked only once the approval is stored (its boot must find it). The call runs in the background on
    per-station work: the operator's request does not wait for the station, and approvals in a burst
    coalesce into one trigger. An offline station is left alone: it boots when it connects anyway."""

    def __init__(self, remote_control: RemoteControlService, commands: CommandService) -> None:
        self._remote_control = remote_control
        self._commands = commands
        self._work = StationWork("approval-boot")

    def approved(self, event: StationApproved) -> None:
        if self._commands.is_online(event.station_id):
            self._work.request(event.station_id, self._trigger_boot)

    async def _trigger_boot(self, station_id: str) -> None:
        await self._remote_control.send(station_id, TriggerMessage(TriggerableMessage.BOOT_NOTIFICATION))

    async def wait_idle(self) -> None:
        """Until every requested trigger was answered (tests)."""
        await self._work.wait_idle()

    async def close(self) -> None:
        await self._work.close()
