"""Vendor-specific DataTransfer, both ways.

From stations: handlers registered per vendor id (`DataTransferRegistry`); anything else is UnknownVendorId.
To stations: `DataTransferService.send`, a `DataTransfer` command through the `CommandService`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from voltline.areas.data_transfer.commands import DataTransfer, DataTransferAnswer
from voltline.areas.remote_control.service import StationAnswer
from voltline.kernel.commands import CommandService


@dataclass(slots=True, frozen=True)
class DataTransferRequest:
    station_id: str
    vendor_id: str
    message_id: str | None
    data: Any


@dataclass(slots=True, frozen=True)
class DataTransferReply:
    status: str  # Accepted | Rejected | UnknownMessageId | UnknownVendorId
    data: Any = None


DataTransferHandler = Callable[[DataTransferRequest], Awaitable[DataTransferReply]]

UNKNOWN_VENDOR = DataTransferReply("UnknownVendorId")


class DataTransferRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, DataTransferHandler] = {}

    def register(self, vendor_id: str, handler: DataTransferHandler) -> None:
        self._handlers[vendor_id] = handler

    async def handle(self, request: DataTransferRequest) -> DataTransferReply:
        handler = self._handlers.get(request.vendor_id)
        if handler is None:
            return UNKNOWN_VENDOR
        return await handler(request)


@dataclass(slots=True, frozen=True)
class DataTransferOutcome:
    """The station's answer to a DataTransfer, and the data it sent back."""

    answer: StationAnswer
    data: Any = None


class DataTransferService:
    def __init__(self, commands: CommandService) -> None:
        self._commands = commands

    async def send(self, station_id: str, command: DataTransfer) -> DataTransferOutcome:
        result = await self._commands.send(station_id, command)
        value = result.value
        if isinstance(value, DataTransferAnswer):
            return DataTransferOutcome(StationAnswer(result.status, result.payload, value.status_info), value.data)
        return DataTransferOutcome(StationAnswer(result.status, result.payload))
