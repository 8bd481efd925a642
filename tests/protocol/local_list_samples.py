"""Sample local authorization list commands (merged into COMMAND_SAMPLES)."""

from __future__ import annotations

from datetime import UTC, datetime

from voltline.areas.authorization.model import AuthorizationStatus, TokenType
from voltline.areas.local_lists.commands import GetLocalListVersion, SendLocalList
from voltline.areas.local_lists.model import LocalListEntry
from voltline.kernel.commands import Command

_ACCEPTED = LocalListEntry("TAG-1", TokenType.ISO14443, AuthorizationStatus.ACCEPTED)
_FULL_INFO = LocalListEntry(
    "TAG-2", TokenType.EMAID, AuthorizationStatus.BLOCKED, datetime(2027, 1, 1, tzinfo=UTC), "FLEET-A"
)

LOCAL_LIST_SAMPLES: dict[type[Command], list[Command]] = {
    SendLocalList: [
        SendLocalList(1, full=True, entries=(_ACCEPTED, _FULL_INFO)),
        SendLocalList(2, full=True),  # an empty Full list clears the station's list
        SendLocalList(3, full=False, entries=(_FULL_INFO,), removals=(_ACCEPTED,)),
        SendLocalList(4, full=False),
    ],
    GetLocalListVersion: [GetLocalListVersion()],
}
