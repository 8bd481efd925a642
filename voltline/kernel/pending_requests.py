"""Requests whose answer arrives later in parts: GetBaseReport / GetReport -> NotifyReport,
GetDisplayMessages -> NotifyDisplayMessages, and the like (OCPP 2.0.1 "requestId" + "tbc").

The area that sends such a request `open`s a `PendingRequest` (which allocates the requestId), sends the
command, and awaits `wait()`. The protocol handler of the notification calls `feed` with the part's items
(already version-neutral) and whether more parts follow. Parts for a request nobody waits for (a restart,
a timeout, a station's own initiative) are reported as unknown by `feed`, so the area can still store them.

`PendingRequests` is a port: areas depend on it, the composition root picks the implementation. In one
process that is `InProcessPendingRequests`. With several nodes the parts arrive on the node holding the
station's socket while the request may wait on another, so opening, closing and feeding are coroutines:
an implementation shared between nodes registers and routes requests through the cluster.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

MAX_REQUEST_ID = 2**31 - 1


class PendingRequest(Protocol):
    """One request being answered in parts, as the area that sent it sees it."""

    @property
    def station_id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def request_id(self) -> int:
        """The requestId to send: a positive int32 (OCPP 2.0.1 requestId is an integer)."""
        ...

    @property
    def items(self) -> Sequence[Any]:
        """Every item of the parts received so far, in arrival order."""
        ...

    @property
    def parts(self) -> int:
        """How many parts arrived so far."""
        ...

    async def wait(self, seconds: float) -> bool:
        """True when the last part arrived within `seconds`; `items` holds what arrived either way."""
        ...


class PendingRequests(Protocol):
    async def open(self, station_id: str, kind: str) -> PendingRequest:
        """Start collecting the parts of a new request of `kind` to the station; allocates its requestId."""
        ...

    async def close(self, pending: PendingRequest) -> None:
        """Stop collecting (call in a `finally` after waiting); later parts are unknown."""
        ...

    async def feed(self, station_id: str, kind: str, request_id: int, items: Sequence[Any], more: bool) -> bool:
        """Add one part; False when no one waits for this request."""
        ...


@dataclass(slots=True, eq=False)
class InProcessPendingRequest:
    station_id: str
    kind: str
    request_id: int
    items: list[Any] = field(default_factory=list)
    parts: int = 0
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.complete.wait(), seconds)
        except TimeoutError:
            return False
        return True


class InProcessPendingRequests:
    """`PendingRequests` for one process: the requests wait, and their parts arrive, in this process."""

    def __init__(self) -> None:
        # Random start: ids stay distinct from those of an earlier process the station may still answer.
        self._ids = itertools.count(secrets.randbelow(MAX_REQUEST_ID // 2) + 1)
        self._open: dict[tuple[str, str, int], InProcessPendingRequest] = {}

    async def open(self, station_id: str, kind: str) -> InProcessPendingRequest:
        request_id = next(self._ids) % MAX_REQUEST_ID or 1
        pending = InProcessPendingRequest(station_id, kind, request_id)
        self._open[(station_id, kind, request_id)] = pending
        return pending

    async def close(self, pending: PendingRequest) -> None:
        self._open.pop((pending.station_id, pending.kind, pending.request_id), None)

    async def feed(self, station_id: str, kind: str, request_id: int, items: Sequence[Any], more: bool) -> bool:
        pending = self._open.get((station_id, kind, request_id))
        if pending is None:
            return False
        pending.items.extend(items)
        pending.parts += 1
        if not more:
            pending.complete.set()
        return True
