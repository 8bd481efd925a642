"""API bodies of the station registry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from voltline.api.schemas import AnyCase, FreeText, NotNull, Strict
from voltline.areas.stations.model import ConnectorStatus, Registration, Station
from voltline.areas.stations.service import KEEP, StationChanges, StationPage

_REGISTRATION = (
    "Accepted stations may operate; Pending ones are asked to boot again later (approving one that is "
    "connected asks it to boot again at once); Rejected ones are refused."
)
_SECURITY_PROFILE = (
    "OCPP security profile: 0 none, 1 Basic auth, 2 TLS + Basic auth, 3 TLS client certificates. 1 and 2 "
    "need a password; 2 and 3 need TLS, which this server does not serve yet (422)."
)
_PASSWORD = "Basic-auth password the station must present (16 to 40 characters), stored hashed and never returned."


class StationRegistrationRequest(Strict):
    """Register a station, or replace the whole operator record of a registered one: a field left out
    gets its default (the password excepted: left out, the current one is kept). To change some fields
    only, PATCH."""

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

    registration: AnyCase[Registration] = Field(default=Registration.ACCEPTED, description=_REGISTRATION)
    security_profile: int | None = Field(
        default=None,
        ge=0,
        le=3,
        description=f"{_SECURITY_PROFILE} Left out: 1 when the station has a password (given, or kept), else 0.",
    )
    password: FreeText | None = Field(
        default=None, min_length=16, max_length=40, description=f"{_PASSWORD} Omit to keep the current one."
    )
    description: FreeText | None = Field(default=None, max_length=500, description="Free text for operators.")


class StationChangeRequest(Strict):
    """Change some fields of a station's operator record: the fields left out keep their value (no
    default applies). `password` and `description` may be null, to remove them."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"registration": "Accepted"}, {"description": "bay 3"}]},
    )

    registration: NotNull[AnyCase[Registration]] = Field(description=_REGISTRATION)
    security_profile: NotNull[Annotated[int, Field(ge=0, le=3)]] = Field(description=_SECURITY_PROFILE)
    password: FreeText | None = Field(
        default=None, min_length=16, max_length=40, description=f"{_PASSWORD} null removes it (then profile 0)."
    )
    description: FreeText | None = Field(default=None, max_length=500, description="Free text for operators.")

    def changes(self) -> StationChanges:
        """The named fields only; every other one is KEEP (`NotNull` refuses null for the first two)."""
        named = self.model_fields_set
        return StationChanges(
            registration=self.registration if self.registration is not None else KEEP,
            security_profile=self.security_profile if self.security_profile is not None else KEEP,
            password=self.password if "password" in named else KEEP,
            description=self.description if "description" in named else KEEP,
        )


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


# The connector statuses stations report, stored as reported: OCPP 1.6 ChargePointStatus and OCPP 2.0.1
# ConnectorStatusEnumType (Available, Reserved, Unavailable and Faulted are in both). A closed list, so a
# misspelt filter is a 422 rather than a silently empty page.
ConnectorStatusName = Literal[
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEVSE",
    "SuspendedEV",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
    "Occupied",
]


class StationPageBody(BaseModel):
    """A page of the station list: the same shape as the other paged lists (`items`, `total`, `limit`,
    `offset`, as the device model's), each item as the single-station view shows it."""

    total: int = Field(description="Stations matching the filters (all pages).")
    limit: int
    offset: int
    items: list[StationDetailBody]

    @classmethod
    def of(cls, page: StationPage, is_online: Callable[[str], bool], limit: int, offset: int) -> StationPageBody:
        return cls(
            total=page.total,
            limit=limit,
            offset=offset,
            items=[
                StationDetailBody.with_connectors(v.station, is_online(v.station.id), v.statuses) for v in page.views
            ],
        )
