"""API bodies of vendor DataTransfer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from voltline.api.schemas import PRINTABLE, StatusInfoBody, Strict
from voltline.areas.data_transfer.commands import DataTransfer
from voltline.areas.data_transfer.service import DataTransferOutcome


class DataTransferRequest(Strict):
    """A vendor-specific message. `data` may be any JSON value: 2.0.1 stations receive it as is; OCPP
    1.6 carries a string only, so 1.6 stations receive a string as is and any other value as its compact
    JSON text. Null means no data."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"vendor_id": "com.example", "message_id": "ping", "data": "hello"}]},
    )

    vendor_id: str = Field(min_length=1, max_length=255, pattern=PRINTABLE)
    message_id: str | None = Field(default=None, min_length=1, max_length=50, pattern=PRINTABLE)
    data: JsonValue = None

    def to_command(self) -> DataTransfer:
        return DataTransfer(self.vendor_id, self.message_id, self.data)


class DataTransferAnswerBody(BaseModel):
    """The station's answer, as every command's answer is shown (status, status_info, response), and the
    data it sent back."""

    status: str = Field(description="The station's answer status word, as sent.", examples=["Accepted"])
    status_info: StatusInfoBody | None = Field(
        default=None, description="Why the station answered so, when it said (OCPP 2.0.1 only)."
    )
    response: dict[str, Any] = Field(description="The station's answer payload, as received.")
    data: JsonValue = Field(default=None, description="The data the station sent back (a string from 1.6).")

    @classmethod
    def of(cls, outcome: DataTransferOutcome) -> DataTransferAnswerBody:
        answer = outcome.answer
        return cls(
            status=answer.status,
            status_info=StatusInfoBody.of(answer.status_info),
            response=answer.payload,
            data=outcome.data,
        )
