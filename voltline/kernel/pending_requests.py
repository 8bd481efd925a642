"""Requests whose answer arrives later in parts: GetBaseReport / GetReport -> NotifyReport,
GetDisplayMessages -> NotifyDisplayMessages, and the like (OCPP 2.0.1 "requestId" + "tbc").

The area that sends such a request `open`s a `PendingRequest` (which allocates the requestId), sends the
command, and awaits `wait()`. The protocol handler of the notification calls `feed` with the part's items
(already version-neutral) and whether more parts follow. Parts for a request nobody waits for (a restart,
a timeout, a station's own initiative) are reported as unknown by `feed`, so the area can still store them.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any

MAX_REQUEST_ID = 2**31 - 1


@dataclass(slots=True, eq=False)
class PendingRequest:
    station_id: str
    kind: str
    request_id: int
    items: list[Any] = field(default_factory=list)
    parts: int = 0
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait(self, seconds: float) -> bool:
        """True when the last part arrived within `seconds`; `items` holds what arrived either way."""
        try:
            await asyncio.wait_for(self.complete.wait(), seconds)
        except TimeoutError:
            return False
        return True


class PendingRequests:
    def __init__(self) -> None:
        # Random start: ids stay distinct from those of an earlier process the station may still answer.
        self._ids = itertools.count(secrets.randbelow(MAX_REQUEST_ID // 2) + 1)
        self._open: dict[tuple[str, str, int], PendingRequest] = {}

    def open(self, station_id: str, kind: str) -> PendingRequest:
        request_id = next(self._ids) % MAX_REQUEST_ID or 1
        pending = PendingRequest(station_id, kind, request_id)
        self._open[(station_id, kind, request_id)] = pending
        return pending

    def close(self, pending: PendingRequest) -> None:
        """Stop collecting (call in a `finally` after waiting)."""
        self._open.pop((pending.station_id, pending.kind, pending.request_id), None)

    def feed(self, station_id: str, kind: str, request_id: int, items: list[Any], more: bool) -> bool:
        """Add one part; False when no one waits for this request."""
        pending = self._open.get((station_id, kind, request_id))
        if pending is None:
            return False
        pending.items.extend(items)
        pending.parts += 1
        if not more:
            pending.complete.set()
        return True
