"""Version-neutral domain records.

These are plain dataclasses: storage maps its rows onto them, protocol adapters map OCPP payloads onto
them, and the API serialises them. Nothing here knows OCPP payload shapes or SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Registration(StrEnum):
    """Whether a station may operate; the boot answer follows from it."""

    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


class TokenType(StrEnum):
    ISO14443 = "ISO14443"
    ISO15693 = "ISO15693"
    KEY_CODE = "KeyCode"
    CENTRAL = "Central"
    EMAID = "eMAID"
    MAC_ADDRESS = "MacAddress"
    LOCAL = "Local"
    NO_AUTHORIZATION = "NoAuthorization"


class AuthorizationStatus(StrEnum):
    """Neutral token status; 1.6 and 2.0.1 adapters spell them onto their enums."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"


class ReviewKind(StrEnum):
    """Why a station message was set aside for an operator to look at."""

    UNKNOWN_TRANSACTION = "UnknownTransaction"
    FOREIGN_TRANSACTION = "ForeignTransaction"


@dataclass(slots=True)
class Station:
    id: str
    registration: Registration = Registration.ACCEPTED
    security_profile: int = 0
    password_hash: str | None = None
    description: str | None = None
    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    firmware_version: str | None = None
    boot_reason: str | None = None
    ocpp_version: str | None = None
    online: bool = False
    last_seen: datetime | None = None
    last_boot_at: datetime | None = None
    last_boot_status: Registration | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class ConnectorStatus:
    """Status of one EVSE connector (1.6 connector N is EVSE N, connector 1; connector 0 is EVSE 0)."""

    station_id: str
    evse_id: int
    connector_id: int
    status: str
    error_code: str | None = None
    info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None
    timestamp: datetime | None = None


@dataclass(slots=True)
class IdToken:
    id_token: str
    type: TokenType = TokenType.ISO14443
    status: AuthorizationStatus = AuthorizationStatus.ACCEPTED
    expiry: datetime | None = None
    group_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(slots=True, frozen=True)
class TokenVerdict:
    """The answer to 'may this token charge now?', as every version reports it."""

    status: AuthorizationStatus
    expiry: datetime | None = None
    group_id: str | None = None


@dataclass(slots=True)
class SampledValue:
    timestamp: datetime
    value: float
    measurand: str = "Energy.Active.Import.Register"
    unit: str | None = None
    phase: str | None = None
    location: str | None = None
    context: str | None = None
    signed_data: str | None = None


@dataclass(slots=True)
class Transaction:
    id: int
    station_id: str
    station_tx_id: str
    evse_id: int
    connector_id: int
    id_token: str | None
    started_at: datetime
    meter_start_wh: float | None = None
    stopped_at: datetime | None = None
    meter_stop_wh: float | None = None
    stop_reason: str | None = None
    energy_wh: float | None = None
    # 2.0.1: seqNo of the latest event that reported a charging state (orders out-of-order deliveries).
    last_seq_no: int | None = None
    remote_start_id: int | None = None
    charging_state: str | None = None
    auth_status: str | None = None
    meter_values: list[SampledValue] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.stopped_at is None


@dataclass(slots=True)
class ReviewItem:
    id: int
    station_id: str
    kind: ReviewKind
    detail: dict[str, Any]
    created_at: datetime


@dataclass(slots=True)
class StationEvent:
    """A 2.0.1 NotifyEvent entry (device model event), kept as reported."""

    station_id: str
    event_id: int
    timestamp: datetime
    trigger: str
    component: str
    variable: str
    actual_value: str
    event_notification_type: str
    cleared: bool | None = None
    tech_code: str | None = None
    tech_info: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
