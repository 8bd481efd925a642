"""Request and response bodies of the operator REST API.

These pydantic models are the API's public contract (they make up /openapi.json); domain records are
mapped onto them explicitly so that nothing internal, such as a station's password hash, can leak.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from voltline.domain.models import (
    AuthorizationStatus,
    ConnectorStatus,
    IdToken,
    Registration,
    SampledValue,
    Station,
    TokenType,
    Transaction,
)

# Printable characters only: identifiers end up in OCPP frames and log lines, where control characters
# (and NUL bytes, which some databases refuse) have no business.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
MAX_DB_INT = 2**63 - 1


def as_utc(value: datetime) -> datetime:
    """Read a datetime without a UTC offset as UTC, so comparisons with stored times are well defined."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
IdTokenValue = Annotated[
    str,
    Field(
        min_length=1,
        max_length=36,
        pattern=PRINTABLE,
        description="The token's identifier (RFID UID, eMAID, key code ...), 1 to 36 characters.",
        examples=["04A2B3C4D5E6F7"],
    ),
]
GroupId = Annotated[
    str,
    Field(min_length=1, max_length=36, pattern=PRINTABLE, description="Group the token belongs to."),
]


class Strict(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error rather than a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    detail: str = Field(description="What went wrong, for a person to read.", examples=["not found"])


class StationCallErrorBody(ErrorBody):
    error_code: str = Field(description="The OCPP CALLERROR code the station answered with.")
    description: str = Field(description="The CALLERROR description the station gave (may be empty).")


class HealthBody(BaseModel):
    status: str = Field(examples=["ok"])


# -- stations -----------------------------------------------------------------------------------------


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


# -- id tokens ----------------------------------------------------------------------------------------


class IdTokenCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id_token": "04A2B3C4D5E6F7",
                    "type": "ISO14443",
                    "status": "Accepted",
                    "group_id": "FLEET-7",
                }
            ]
        },
    )

    id_token: IdTokenValue
    type: TokenType = Field(default=TokenType.ISO14443, description="Kind of token (OCPP 2.0.1 IdTokenEnumType).")
    status: AuthorizationStatus = Field(default=AuthorizationStatus.ACCEPTED)
    expiry: UtcDatetime | None = Field(
        default=None, description="After this instant an Accepted token is reported as Expired."
    )
    group_id: GroupId | None = None

    def to_domain(self) -> IdToken:
        return IdToken(
            id_token=self.id_token,
            type=self.type,
            status=self.status,
            expiry=self.expiry,
            group_id=self.group_id,
        )


class IdTokenPatch(Strict):
    """Change some fields of a token; fields left out keep their value. `expiry` and `group_id` may be
    set to null to clear them."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "Blocked"}, {"expiry": None}]})

    type: TokenType | None = None
    status: AuthorizationStatus | None = None
    expiry: UtcDatetime | None = None
    group_id: GroupId | None = None

    @model_validator(mode="after")
    def _required_fields_not_null(self) -> IdTokenPatch:
        for name in ("type", "status"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class IdTokenBody(BaseModel):
    id_token: str = Field(examples=["04A2B3C4D5E6F7"])
    type: TokenType
    status: AuthorizationStatus
    expiry: datetime | None = None
    group_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, token: IdToken) -> IdTokenBody:
        return cls(
            id_token=token.id_token,
            type=token.type,
            status=token.status,
            expiry=token.expiry,
            group_id=token.group_id,
            created_at=token.created_at,
            updated_at=token.updated_at,
        )


# -- transactions -------------------------------------------------------------------------------------


class MeterValueBody(BaseModel):
    timestamp: datetime
    measurand: str = Field(examples=["Energy.Active.Import.Register"])
    value: float
    unit: str | None = Field(default=None, examples=["Wh"])
    phase: str | None = None
    location: str | None = None
    context: str | None = None

    @classmethod
    def of(cls, sample: SampledValue) -> MeterValueBody:
        return cls(
            timestamp=sample.timestamp,
            measurand=sample.measurand,
            value=sample.value,
            unit=sample.unit,
            phase=sample.phase,
            location=sample.location,
            context=sample.context,
        )


def station_facing_id(tx: Transaction) -> int | str:
    """The transaction id as the station knows it: an integer for OCPP 1.6, a string for 2.0.1.

    The transaction itself tells its generation: only 2.0.1 TransactionEvents carry a sequence number, so
    `last_seq_no` is set exactly for 2.0.1 transactions. This stays right when a station later changes
    its OCPP version, and costs no lookup of the station.
    """
    tx_id = tx.station_tx_id
    if tx.last_seq_no is None and tx_id.isascii() and tx_id.isdigit():
        return int(tx_id)
    return tx_id


class TransactionBody(BaseModel):
    id: int = Field(description="Voltline's own id of the transaction.")
    station_transaction_id: int | str = Field(
        description="The id the station uses: an integer for OCPP 1.6 stations, a string for OCPP 2.0.1."
    )
    station_id: str
    evse_id: int
    connector_id: int
    id_token: str | None = None
    started_at: datetime
    stopped_at: datetime | None = None
    active: bool
    meter_start_wh: float | None = None
    meter_stop_wh: float | None = None
    energy_wh: float | None = Field(default=None, description="Energy delivered so far or in total, in Wh.")
    stop_reason: str | None = None
    charging_state: str | None = None
    remote_start_id: int | None = None

    @classmethod
    def fields_of(cls, tx: Transaction) -> dict[str, Any]:
        return {
            "id": tx.id,
            "station_transaction_id": station_facing_id(tx),
            "station_id": tx.station_id,
            "evse_id": tx.evse_id,
            "connector_id": tx.connector_id,
            "id_token": tx.id_token,
            "started_at": tx.started_at,
            "stopped_at": tx.stopped_at,
            "active": tx.active,
            "meter_start_wh": tx.meter_start_wh,
            "meter_stop_wh": tx.meter_stop_wh,
            "energy_wh": tx.energy_wh,
            "stop_reason": tx.stop_reason,
            "charging_state": tx.charging_state,
            "remote_start_id": tx.remote_start_id,
        }

    @classmethod
    def of(cls, tx: Transaction) -> TransactionBody:
        return cls(**cls.fields_of(tx))


class TransactionDetailBody(TransactionBody):
    meter_values: list[MeterValueBody]

    @classmethod
    def with_meter_values(cls, tx: Transaction) -> TransactionDetailBody:
        return cls(**cls.fields_of(tx), meter_values=[MeterValueBody.of(v) for v in tx.meter_values])


# -- commands -----------------------------------------------------------------------------------------


class RemoteStartRequest(Strict):
    """Ask a station to start charging for a token. `evse_id` and `connector_id` (OCPP 1.6 wording) mean
    the same thing; give either, or neither to let the station choose."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"id_token": "04A2B3C4D5E6F7", "evse_id": 1}]}
    )

    id_token: IdTokenValue
    evse_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    connector_id: int | None = Field(default=None, ge=1, le=2**31 - 1)

    @model_validator(mode="after")
    def _one_evse(self) -> RemoteStartRequest:
        if self.evse_id is not None and self.connector_id is not None and self.evse_id != self.connector_id:
            raise ValueError("evse_id and connector_id name the same thing; give one, or equal values")
        return self

    @property
    def evse(self) -> int | None:
        return self.evse_id if self.evse_id is not None else self.connector_id


class RemoteStopRequest(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"transaction_id": 42}]})

    transaction_id: (
        Annotated[int, Field(ge=0, le=MAX_DB_INT)]
        | Annotated[str, Field(min_length=1, max_length=36, pattern=PRINTABLE)]
    ) = Field(description="The transaction's Voltline id, or the station's own transaction id.")

    @property
    def reference(self) -> str:
        return str(self.transaction_id)


class CommandResultBody(BaseModel):
    status: str = Field(description="The station's answer status word.", examples=["Accepted"])
    response: dict[str, Any] = Field(description="The station's answer payload, as received.")


class RawCallResultBody(BaseModel):
    payload: dict[str, Any] = Field(description="The CALLRESULT payload the station answered with.")
