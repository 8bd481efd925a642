"""Records of the local authorization lists: what a station should hold, what it holds, and how far apart.

Kept apart from the service (domain/local_lists.py) so that the storage ports can name them without an
import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from voltline.areas.authorization.model import AuthorizationStatus, IdToken, TokenType
from voltline.kernel.events import DomainEvent


class SyncState(StrEnum):
    IN_SYNC = "in_sync"  # the station confirmed the version holding everything it should hold
    PENDING = "pending"  # something changed that the station has not confirmed yet
    FAILED = "failed"  # the last attempt failed (see last_error); retried on demand and after a boot


@dataclass(slots=True, frozen=True)
class Selection:
    """Which registry tokens a station's list holds: every token, or the tokens of some groups."""

    all: bool = False
    groups: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class LocalListEntry:
    """One token as a station's list carries it (the registry's fields that a station sees)."""

    id_token: str
    type: TokenType
    status: AuthorizationStatus
    expiry: datetime | None = None
    group_id: str | None = None

    @classmethod
    def of(cls, token: IdToken) -> LocalListEntry:
        return cls(
            token.id_token, TokenType(token.type), AuthorizationStatus(token.status), token.expiry, token.group_id
        )


@dataclass(slots=True)
class LocalListState:
    """Voltline's record of one managed station's list.

    `station_version` and the stored entries are what the station last confirmed (0: nothing confirmed).
    `desired_version` is the version the station gets with its next successful update. `sent_version` is
    the highest version ever sent, so a version number never goes out twice with different content.
    `revision` grows with every change that affects the list: a sync only declares the station in sync
    when no change arrived while it was sending. `needs_full` is set when what the station holds is not
    known for sure (a timeout, a version it reported that we did not record).
    """

    station_id: str
    selection: Selection
    desired_version: int = 0
    station_version: int = 0
    sent_version: int = 0
    revision: int = 0
    needs_full: bool = True
    state: SyncState = SyncState.PENDING
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    last_synced_at: datetime | None = None
    reported_version: int | None = None  # the station's answer to the last GetLocalListVersion
    skipped: tuple[str, ...] = ()  # tokens left out of the last update: the station's version cannot carry them
    entry_count: int = 0  # entries the station confirmed (filled in by storage when read)
    created_at: datetime | None = None
    updated_at: datetime | None = None


# -- domain events


@dataclass(slots=True, frozen=True)
class LocalListsPending(DomainEvent):
    """A change (of a token) made these stations' lists pending; published in the change's transaction,
    so once it committed their updates can be requested."""

    station_ids: tuple[str, ...]


@dataclass(slots=True, frozen=True)
class LocalListStateChanged(DomainEvent):
    """A station's list reached a state once its record was committed: in_sync, pending or failed after an
    update (with what the station confirmed, or the error), or unmanaged. The fields an outcome does not
    have are None."""

    station_id: str
    state: str  # a SyncState value, or "unmanaged"
    station_version: int | None = None
    skipped: int | None = None  # tokens left out because the station's version cannot carry them
    error: str | None = None
