"""Sample remote-control commands (tests/protocol/command_samples.py merges them in).

Some samples are beyond OCPP 1.6 (an EVSE reset, display messages); its encoders refuse those, which
tests/protocol/test_remote_control.py pins down.
"""

from __future__ import annotations

from datetime import UTC, datetime

from voltline.areas.data_transfer.commands import DataTransfer
from voltline.areas.remote_control.commands import (
    ChangeAvailability,
    ClearCache,
    ClearDisplayMessage,
    DisplayMessage,
    GetDisplayMessages,
    MessageFormat,
    MessagePriority,
    MessageState,
    Reset,
    ResetKind,
    SetDisplayMessage,
    TriggerableMessage,
    TriggerMessage,
    UnlockConnector,
)
from voltline.kernel.commands import Command

A_FULL_MESSAGE = DisplayMessage(
    id=12,
    priority=MessagePriority.IN_FRONT,
    content="Welcome <b>back</b>",
    format=MessageFormat.HTML,
    language="en-GB",
    state=MessageState.CHARGING,
    start=datetime(2026, 12, 5, tzinfo=UTC),
    end=datetime(2026, 12, 7, 12, 30, tzinfo=UTC),
    transaction_id="tx-9",
    evse_id=2,
)

REMOTE_CONTROL_SAMPLES: dict[type[Command], list[Command]] = {
    Reset: [Reset(kind) for kind in ResetKind] + [Reset(ResetKind.IMMEDIATE, evse_id=2)],
    UnlockConnector: [UnlockConnector(1), UnlockConnector(2, 1), UnlockConnector(2, 2)],
    ChangeAvailability: [
        ChangeAvailability(True),
        ChangeAvailability(False, 0),
        ChangeAvailability(False, 2),
        ChangeAvailability(True, 2, 1),
        ChangeAvailability(True, 2, 3),
    ],
    TriggerMessage: [TriggerMessage(message) for message in TriggerableMessage]
    + [
        TriggerMessage(TriggerableMessage.STATUS_NOTIFICATION, 2),
        TriggerMessage(TriggerableMessage.METER_VALUES, 1, 1),
    ],
    ClearCache: [ClearCache()],
    DataTransfer: [
        DataTransfer("com.example"),
        DataTransfer("com.example", "ping", "text"),
        DataTransfer("com.example", "ping", {"a": [1, 2.5, None, True]}),
        DataTransfer("com.example", None, 42),
    ],
    SetDisplayMessage: [
        SetDisplayMessage(A_FULL_MESSAGE),
        SetDisplayMessage(DisplayMessage(1, MessagePriority.NORMAL_CYCLE, "Hello")),
    ],
    GetDisplayMessages: [
        GetDisplayMessages(7),
        GetDisplayMessages(7, (1, 2), MessagePriority.ALWAYS_FRONT, MessageState.IDLE),
    ],
    ClearDisplayMessage: [ClearDisplayMessage(3)],
}
