"""API bodies of the station registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from voltline.api.schemas import Strict
from voltline.areas.stations.model import ConnectorStatus, Registration, Station


class StationRegistrationRequest(Strict):
    """Register a station, or replace the operator settings of a registered one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "registration": "Accepted",
                    "security_profile": 1,
                    "password": "a-long-station-secret",
                    "description": "Car park level 2, bay 14",
                }
            ]
        },
    )

    registration: Registration = Field(
        default=Registration.ACCEPTED,
        description="Accepted stations may operate; Pending ones are asked to boot again later; "
        "Rejected ones are refused.",
    )
    security_profile: int = Field(
        default=1,
        ge=0,
        le=3,
        description="OCPP security profile: 0 none, 1 Basic auth, 2 TLS + Basic auth, 3 TLS client certificates.",
    )
    password: str | None = Field(
        default=None,
        min_length=16,
        max_length=40,
        description="Basic-auth password the station must present (16 to 40 characters). "
        "Omit to keep the current one. It is stored hashed and never returned.",
    )
    description: str | None = Field(default=None, max_length=500, description="Free text for operators.")


class ConnectorStatusBody(BaseModel):
    evse_id: int = Field(description="EVSE id; an OCPP 1.6 connector N is EVSE N. 0 means the whole station.")
    connector_id: int = Field(description="Connector id within the EVSE (always 1 for OCPP 1.6 connectors).")
    status: str = Field(examples=["Available"])
    error_code: str | None = Field(default=None, examples=["NoError"])
    info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None
    timestamp: datetime | None = None

    @classmethod
    def of(cls, status: ConnectorStatus) -> ConnectorStatusBody:
        return cls(
            evse_id=status.evse_id,
            connector_id=status.connector_id,
            status=status.status,
            error_code=status.error_code,
            info=status.info,
            vendor_id=status.vendor_id,
            vendor_error_code=status.vendor_error_code,
            timestamp=status.timestamp,
        )


class StationBody(BaseModel):
    """A station as operators see it. Its password (hash) is never part of it."""

    id: str = Field(examples=["CP-0001"])
    registration: Registration
    security_profile: int
    has_password: bool = Field(description="Whether a Basic-auth password is set.")
    description: str | None = None
    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    firmware_version: str | None = None
    boot_reason: str | None = None
    ocpp_version: str | None = Field(default=None, examples=["ocpp1.6"])
    online: bool = Field(description="Whether the station is connected right now.")
    last_seen: datetime | None = None
    last_boot_at: datetime | None = None
    created_at: datetime | None = None

    @classmethod
    def fields_of(cls, station: Station, online: bool) -> dict[str, Any]:
        return {
            "id": station.id,
            "registration": station.registration,
            "security_profile": station.security_profile,
            "has_password": station.password_hash is not None,
            "description": station.description,
            "vendor": station.vendor,
            "model": station.model,
            "serial_number": station.serial_number,
            "firmware_version": station.firmware_version,
            "boot_reason": station.boot_reason,
            "ocpp_version": station.ocpp_version,
            "online": online,
            "last_seen": station.last_seen,
            "last_boot_at": station.last_boot_at,
            "created_at": station.created_at,
        }

    @classmethod
    def of(cls, station: Station, online: bool) -> StationBody:
        return cls(**cls.fields_of(station, online))


class StationDetailBody(StationBody):
    connectors: list[ConnectorStatusBody] = Field(
        description="Last reported status of each EVSE connector, ordered by EVSE and connector."
    )

    @classmethod
    def with_connectors(cls, station: Station, online: bool, statuses: list[ConnectorStatus]) -> StationDetailBody:
        ordered = sorted(statuses, key=lambda s: (s.evse_id, s.connector_id))
        return cls(**cls.fields_of(station, online), connectors=[ConnectorStatusBody.of(s) for s in ordered])
