"""OCPP-J protocol versions, as one type every layer shares (the areas, the RPC engine, the gateway)."""

from __future__ import annotations

from enum import StrEnum


class OcppVersion(StrEnum):
    """An OCPP-J version; the value is its WebSocket subprotocol name (RFC 6455 Sec-WebSocket-Protocol)."""

    V16 = "ocpp1.6"
    V201 = "ocpp2.0.1"

    @property
    def schema_folder(self) -> str:
        """The folder holding this version's OCA JSON schemas inside the `ocpp` package."""
        return _SCHEMA_FOLDERS[self]


_SCHEMA_FOLDERS: dict[OcppVersion, str] = {
    OcppVersion.V16: "v16",
    OcppVersion.V201: "v201",
}


def schema_folder(version: OcppVersion) -> str:
    """Function form of `OcppVersion.schema_folder`, for callers that map over versions."""
    return _SCHEMA_FOLDERS[version]
