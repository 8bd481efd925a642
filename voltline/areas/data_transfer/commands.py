"""The vendor-specific DataTransfer the CSMS sends, and its decoded answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voltline.kernel.commands import Command, StatusInfo


@dataclass(slots=True, frozen=True)
class DataTransfer(Command):
    vendor_id: str
    message_id: str | None = None
    data: Any = None  # any JSON value; None means no data


@dataclass(slots=True, frozen=True)
class DataTransferAnswer:
    """The decoded answer to a `DataTransfer`: its data (any JSON value; a string from 1.6 stations)."""

    data: Any
    status_info: StatusInfo | None
