"""Local-list commands to stations and their answers, version-neutral."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from voltline.areas.local_lists.model import LocalListEntry
from voltline.kernel.commands import Command, StatusInfo


@dataclass(slots=True, frozen=True)
class SendLocalList(Command):
    """A list update. Full: `entries` is the whole list (no removals). Differential: `entries` are added
    or changed, `removals` deleted (sent without their authorization info, which means delete)."""

    version: int
    full: bool
    entries: tuple[LocalListEntry, ...] = ()
    removals: tuple[LocalListEntry, ...] = ()


@dataclass(slots=True, frozen=True)
class GetLocalListVersion(Command):
    """Asks for the station's list version: the encoders decode the answer to an int (0: no list; -1, only
    OCPP 1.6: local lists not supported)."""


class UpdateStatus(StrEnum):
    """The SendLocalList answers of both versions (2.0.1 has no NotSupported)."""

    ACCEPTED = "Accepted"
    FAILED = "Failed"
    NOT_SUPPORTED = "NotSupported"
    VERSION_MISMATCH = "VersionMismatch"


@dataclass(slots=True, frozen=True)
class UpdateAnswer:
    """A SendLocalList answer, decoded: its status and the station's reason (2.0.1 statusInfo), if any."""

    status: str
    status_info: StatusInfo | None = None


NOT_SUPPORTED_VERSION = -1
