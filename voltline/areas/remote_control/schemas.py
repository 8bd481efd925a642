"""Request and response bodies of the remote-control endpoints (reset, unlock, availability, trigger,
clear cache, data transfer, display messages). Bodies are version-neutral: the same request works for
OCPP 1.6 and 2.0.1 stations, and one that the station's version cannot express is answered 422.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from voltline.api.schemas import (
    MAX_INT32,
    PRINTABLE,
    AnyCase,
    FreeText,
    IdTokenValue,
    StatusInfoBody,
    Strict,
    UtcDatetime,
)
from voltline.areas.remote_control.commands import (
    ChangeAvailability,
    DisplayMessage,
    MessageFormat,
    MessagePriority,
    MessageState,
    Reset,
    ResetKind,
    TriggerableMessage,
    TriggerMessage,
    UnlockConnector,
)
from voltline.areas.remote_control.service import DisplayMessageListing, RemoteStartOutcome, StationAnswer
from voltline.areas.transactions.model import Transaction


class RemoteStartRequest(Strict):
    """Ask a station to start charging for a token. `evse_id` and `connector_id` (OCPP 1.6 wording) mean
    the same thing; give either, or neither to let the station choose."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"id_token": "04A2B3C4D5E6F7", "evse_id": 1}]}
    )

    id_token: IdTokenValue
    evse_id: int | None = Field(default=None, ge=1, le=MAX_INT32)
    connector_id: int | None = Field(default=None, ge=1, le=MAX_INT32)
    check_token: bool = Field(
        default=True,
        description="Refuse (422, nothing sent) a token Voltline does not know, or knows as blocked or "
        "expired: the station would end the transaction at once. false: send anyway, for a token the "
        "station knows locally (its local list or cache).",
    )

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

    # Voltline's ids (and so OCPP 1.6's) are 32-bit integers; a larger integer could be no one's. Any
    # station's own id can be given as a string.
    transaction_id: (
        Annotated[int, Field(ge=0, le=MAX_INT32)]
        | Annotated[str, Field(min_length=1, max_length=36, pattern=PRINTABLE)]
    ) = Field(description="The transaction's Voltline id, or the station's own transaction id.")

    @property
    def reference(self) -> str:
        return str(self.transaction_id)


class RawCallResultBody(BaseModel):
    payload: dict[str, Any] = Field(description="The CALLRESULT payload the station answered with.")


EvseId = Annotated[int, Field(ge=1, le=MAX_INT32, description="EVSE id; an OCPP 1.6 connector N is EVSE N.")]
StationOrEvseId = Annotated[
    int, Field(ge=0, le=MAX_INT32, description="EVSE id; 0 (or leaving it out) means the whole station.")
]
ConnectorId = Annotated[
    int, Field(ge=1, le=MAX_INT32, description="Connector within the EVSE (OCPP 1.6 stations: only 1).")
]
MessageId = Annotated[int, Field(ge=0, le=MAX_INT32, description="The display message's id.")]


class ResetRequest(Strict):
    """Reset the station, or one EVSE of a 2.0.1 station. OCPP 1.6 knows Soft and Hard resets, 2.0.1
    OnIdle and Immediate: 1.6 stations get OnIdle as Soft and Immediate as Hard, 2.0.1 stations get Soft
    as OnIdle and Hard as Immediate."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"type": "Soft"}]})

    type: AnyCase[ResetKind] = Field(description="Soft / OnIdle: after transactions end; Hard / Immediate: now.")
    evse_id: EvseId | None = Field(default=None, description="Reset only this EVSE (OCPP 2.0.1 only).")

    def to_command(self) -> Reset:
        return Reset(self.type, self.evse_id)


class UnlockRequest(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"evse_id": 1}]})

    evse_id: EvseId
    connector_id: ConnectorId = 1

    def to_command(self) -> UnlockConnector:
        return UnlockConnector(self.evse_id, self.connector_id)


class AvailabilityRequest(Strict):
    """Make the station, one EVSE or one connector operative or inoperative. The station may answer
    Scheduled: it applies the change once its running transactions end."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"operative": False, "evse_id": 1}, {"operative": True}]}
    )

    operative: bool
    evse_id: StationOrEvseId | None = None
    connector_id: ConnectorId | None = Field(default=None, description="One connector of the EVSE (needs evse_id).")

    @model_validator(mode="after")
    def _connector_needs_evse(self) -> AvailabilityRequest:
        if self.connector_id is not None and not self.evse_id:
            raise ValueError("connector_id needs the evse_id it belongs to")
        return self

    def to_command(self) -> ChangeAvailability:
        return ChangeAvailability(self.operative, self.evse_id, self.connector_id)


class TriggerRequest(Strict):
    """Ask the station to send a message now. OCPP 1.6 and 2.0.1 can trigger different messages; a
    message the station's version lacks is refused (422) with the list of those it has."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"message": "StatusNotification", "evse_id": 1}, {"message": "Heartbeat"}]},
    )

    message: AnyCase[TriggerableMessage]
    evse_id: StationOrEvseId | None = None
    connector_id: ConnectorId | None = Field(default=None, description="One connector of the EVSE (needs evse_id).")

    @model_validator(mode="after")
    def _connector_needs_evse(self) -> TriggerRequest:
        if self.connector_id is not None and not self.evse_id:
            raise ValueError("connector_id needs the evse_id it belongs to")
        return self

    def to_command(self) -> TriggerMessage:
        return TriggerMessage(self.message, self.evse_id, self.connector_id)


class MessageContentBody(Strict):
    format: AnyCase[MessageFormat] = MessageFormat.UTF8
    content: FreeText = Field(min_length=1, max_length=512)
    language: str | None = Field(
        default=None, min_length=1, max_length=8, pattern=r"^[A-Za-z0-9-]+$", description="RFC 5646 tag, e.g. en."
    )


class DisplayMessageRequest(Strict):
    """A message for the display of an OCPP 2.0.1 station. Leave out `id` to have one allocated; a message
    with the id of one the station holds replaces it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "priority": "InFront",
                    "state": "Idle",
                    "message": {"format": "UTF8", "content": "Free charging this weekend", "language": "en"},
                    "start": "2026-12-05T00:00:00Z",
                    "end": "2026-12-07T00:00:00Z",
                }
            ]
        },
    )

    id: int | None = Field(default=None, ge=1, le=MAX_INT32)
    priority: AnyCase[MessagePriority]
    state: AnyCase[MessageState] | None = Field(
        default=None, description="Show it only while the station is in this state."
    )
    message: MessageContentBody
    start: UtcDatetime | None = Field(default=None, description="Show it from this instant.")
    end: UtcDatetime | None = Field(default=None, description="Show it until this instant.")
    transaction_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=36,
        pattern=PRINTABLE,
        description="Show it only during this transaction (the station's transaction id).",
    )
    evse_id: EvseId | None = Field(default=None, description="Show it on the display of this EVSE.")

    @model_validator(mode="after")
    def _window(self) -> DisplayMessageRequest:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")
        return self

    def to_domain(self, message_id: int) -> DisplayMessage:
        return DisplayMessage(
            id=message_id,
            priority=self.priority,
            content=self.message.content,
            format=self.message.format,
            language=self.message.language,
            state=self.state,
            start=self.start,
            end=self.end,
            transaction_id=self.transaction_id,
            evse_id=self.evse_id,
        )


class StationAnswerBody(BaseModel):
    status: str = Field(description="The station's answer status word, as sent.", examples=["Accepted"])
    status_info: StatusInfoBody | None = Field(
        default=None, description="Why the station answered so, when it said (OCPP 2.0.1 only)."
    )
    response: dict[str, Any] = Field(description="The station's answer payload, as received.")

    @classmethod
    def fields_of(cls, answer: StationAnswer) -> dict[str, Any]:
        return {
            "status": answer.status,
            "status_info": StatusInfoBody.of(answer.status_info),
            "response": answer.payload,
        }

    @classmethod
    def of(cls, answer: StationAnswer) -> StationAnswerBody:
        return cls(**cls.fields_of(answer))


class StartedTransactionBody(BaseModel):
    """The transaction a remote start led to (all of it: GET /api/v1/transactions/{id})."""

    id: int = Field(description="Voltline's own id of the transaction.")
    station_transaction_id: str = Field(description="The id the station uses (a string, as everywhere).")
    evse_id: int
    connector_id: int
    id_token: str | None = None
    started_at: datetime
    remote_start_id: int | None = None

    @classmethod
    def of(cls, tx: Transaction) -> StartedTransactionBody:
        return cls(
            id=tx.id,
            station_transaction_id=tx.station_tx_id,
            evse_id=tx.evse_id,
            connector_id=tx.connector_id,
            id_token=tx.id_token,
            started_at=tx.started_at,
            remote_start_id=tx.remote_start_id,
        )


class RemoteStartBody(StationAnswerBody):
    remote_start_id: int = Field(
        description="The id of this remote start: OCPP 2.0.1's remoteStartId sent with the request, or for "
        "OCPP 1.6 (which has none on the wire) Voltline's own. The transaction that follows carries it as "
        "its `remote_start_id`: GET /api/v1/transactions?station_id=...&remote_start_id=... finds it.",
        examples=[1804289383],
    )
    transaction: StartedTransactionBody | None = Field(
        default=None,
        description="With `?wait=`: the transaction the station started (201), or null when it had not "
        "started within the wait (202) or the station did not accept.",
    )

    @classmethod
    def of_outcome(cls, outcome: RemoteStartOutcome) -> RemoteStartBody:
        transaction = StartedTransactionBody.of(outcome.transaction) if outcome.transaction is not None else None
        return cls(**cls.fields_of(outcome.answer), remote_start_id=outcome.remote_start_id, transaction=transaction)


class MessageContentOut(BaseModel):
    format: MessageFormat
    content: str
    language: str | None = None


class DisplayMessageBody(BaseModel):
    id: int
    priority: MessagePriority
    state: MessageState | None = None
    message: MessageContentOut
    start: datetime | None = None
    end: datetime | None = None
    transaction_id: str | None = None
    evse_id: int | None = None

    @classmethod
    def of(cls, message: DisplayMessage) -> DisplayMessageBody:
        return cls(
            id=message.id,
            priority=message.priority,
            state=message.state,
            message=MessageContentOut(format=message.format, content=message.content, language=message.language),
            start=message.start,
            end=message.end,
            transaction_id=message.transaction_id,
            evse_id=message.evse_id,
        )


class DisplayMessageSetBody(StationAnswerBody):
    id: int = Field(description="The message's id (allocated when the request gave none).")

    @classmethod
    def with_id(cls, message_id: int, answer: StationAnswer) -> DisplayMessageSetBody:
        return cls(**cls.fields_of(answer), id=message_id)


class DisplayMessageListBody(StationAnswerBody):
    messages: list[DisplayMessageBody] = Field(description="The matching messages, by id; empty when Unknown.")

    @classmethod
    def of_listing(cls, listing: DisplayMessageListing) -> DisplayMessageListBody:
        return cls(**cls.fields_of(listing.answer), messages=[DisplayMessageBody.of(m) for m in listing.messages])
