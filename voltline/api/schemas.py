"""Request and response bodies of the operator REST API.

These pydantic models are the API's public contract (they make up /openapi.json); domain records are
mapped onto them explicitly so that nothing internal, such as a station's password hash, can leak.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from voltline.kernel.commands import StatusInfo

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


class StatusInfoBody(BaseModel):
    """Why a station answered as it did (OCPP 2.0.1 StatusInfoType): the one body for it, wherever an
    answer or a result item carries one."""

    reason_code: str = Field(description="The station's reason code (OCPP 2.0.1 reasonCode).", examples=["Busy"])
    additional_info: str | None = Field(default=None, description="The station's further explanation, if any.")

    @classmethod
    def of(cls, info: StatusInfo | None) -> StatusInfoBody | None:
        return None if info is None else cls(reason_code=info.reason_code, additional_info=info.additional_info)


class HealthBody(BaseModel):
    status: str = Field(examples=["ok"])
