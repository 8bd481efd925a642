"""Vendor-specific DataTransfer: handlers registered per vendor id; anything else is UnknownVendorId."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


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
