"""What the message log needs from storage."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from voltline.areas.message_log.model import FrameRecord, LoggedFrame, MessageLogQuery
from voltline.kernel.storage import RepositoryKey


class MessageLogRepository(Protocol):
    """The OCPP message log: frames in and out of stations."""

    async def add_many(self, records: Sequence[FrameRecord]) -> None: ...
    async def page(self, query: MessageLogQuery) -> builtins.list[LoggedFrame]: ...
    async def purge_oldest(self, before: datetime, batch: int) -> int:
        """Delete up to `batch` of the oldest frames stored before `before`; how many were deleted."""
        ...


MESSAGE_LOG: RepositoryKey[MessageLogRepository] = RepositoryKey("message_log")
