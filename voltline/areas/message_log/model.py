"""Records of the OCPP message log, shared by the domain service and the storage port."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, NamedTuple

Direction = Literal["in", "out"]
MessageTypeName = Literal["CALL", "CALLRESULT", "CALLERROR"]
Order = Literal["desc", "asc"]


class FrameRecord(NamedTuple):
    """One frame to store (a tuple: the writer builds thousands of them per batch)."""

    at_us: int  # when: microseconds since the Unix epoch (an integer key is cheaper to index than a time)
    station_id: str
    direction: Direction
    message_type: MessageTypeName | None  # None: the frame could not be read as an OCPP-J message
    message_id: str | None
    action: str | None  # for answers: the action of the call they answer, when known
    frame: str  # the text as sent, cut to the capture limit
    truncated: bool


def to_epoch_us(at: datetime) -> int:
    return round(at.timestamp() * 1_000_000)


def from_epoch_us(at_us: int) -> datetime:
    return datetime.fromtimestamp(at_us / 1_000_000, UTC)


@dataclass(slots=True, frozen=True)
class LoggedFrame:
    id: int
    at_us: int
    station_id: str
    direction: Direction
    message_type: MessageTypeName | None
    message_id: str | None
    action: str | None
    frame: str
    truncated: bool

    @property
    def at(self) -> datetime:
        return from_epoch_us(self.at_us)


@dataclass(slots=True, frozen=True)
class MessageLogQuery:
    station_id: str
    action: str | None = None
    direction: Direction | None = None
    message_type: MessageTypeName | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    limit: int = 100
    order: Order = "desc"
    after: tuple[int, int] | None = None  # keyset cursor: (at_us, id) of the last frame already seen
