"""/api/v1/stations/{station_id}/...: commands sent to a connected station."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response

from voltline.api.deps import Provided
from voltline.api.errors import STATION_ANSWER_NOTE, STATION_COMMAND_ERRORS, error_responses
from voltline.api.params import StationId
from voltline.api.schemas import MAX_INT32, AnyCase
from voltline.areas.remote_control.commands import ClearCache, MessagePriority, MessageState
from voltline.areas.remote_control.schemas import (
    AvailabilityRequest,
    DisplayMessageListBody,
    DisplayMessageRequest,
    DisplayMessageSetBody,
    RawCallResultBody,
    RemoteStartBody,
    RemoteStartRequest,
    RemoteStopRequest,
    ResetRequest,
    StationAnswerBody,
    TriggerRequest,
    UnlockRequest,
)
from voltline.areas.remote_control.service import RemoteControlService

router = APIRouter(prefix="/stations/{station_id}", tags=["commands"])

COMMAND_ERRORS = error_responses(404, 409, 502, 504)


# The longest a remote start may wait for its transaction: an HTTP request held open longer than a
# minute is likely cut by a proxy; a caller that needs longer finds the transaction by its remote start id.
MAX_START_WAIT = 60.0


@router.post(
    "/remote-start",
    summary="Ask a station to start a transaction",
    description="Sends RemoteStartTransaction (OCPP 1.6) or RequestStartTransaction (2.0.1). The token is "
    "checked first: one Voltline does not know, or knows as blocked or expired, is a 422 and nothing is "
    'sent (the station would end the transaction at once); `"check_token": false` sends it anyway. '
    "The answer says whether the station accepted, and gives the `remote_start_id` of this start (both "
    "versions): the transaction that follows carries it (GET /api/v1/transactions?station_id=&"
    "remote_start_id=). With `?wait=N` (seconds, at most 60) an accepted start also waits for that "
    "transaction: 201 with it in `transaction` once it started, 202 when it has not within N seconds. "
    "Without a wait, or when the station does not accept, 200." + STATION_ANSWER_NOTE,
    response_model=RemoteStartBody,
    responses={
        201: {"description": "Accepted, and the transaction started within the wait.", "model": RemoteStartBody},
        202: {"description": "Accepted; the transaction had not started within the wait.", "model": RemoteStartBody},
        **COMMAND_ERRORS,
    },
)
async def remote_start(
    station_id: StationId,
    body: RemoteStartRequest,
    response: Response,
    remote_control: Annotated[RemoteControlService, Provided(RemoteControlService)],
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_START_WAIT,
            description="Seconds to wait for the transaction to start (0: answer at once).",
        ),
    ] = 0,
) -> RemoteStartBody:
    outcome = await remote_control.remote_start(
        station_id, body.id_token, body.evse, check_token=body.check_token, wait=wait
    )
    if wait > 0 and outcome.accepted:
        if outcome.transaction is not None:
            response.status_code = 201
            response.headers["Location"] = f"/api/v1/transactions/{outcome.transaction.id}"
        else:
            response.status_code = 202
    return RemoteStartBody.of_outcome(outcome)


@router.post(
    "/remote-stop",
    summary="Ask a station to stop a transaction",
    description="Sends RemoteStopTransaction (OCPP 1.6) or RequestStopTransaction (2.0.1) for a "
    "transaction of this station, named by its Voltline id or by the station's own id." + STATION_ANSWER_NOTE,
    response_model=StationAnswerBody,
    responses=COMMAND_ERRORS,
)
async def remote_stop(
    station_id: StationId,
    body: RemoteStopRequest,
    remote_control: Annotated[RemoteControlService, Provided(RemoteControlService)],
) -> StationAnswerBody:
    return StationAnswerBody.of(await remote_control.remote_stop(station_id, body.reference))


@router.post(
    "/ocpp/{action}",
    summary="Send a raw OCPP call",
    description="Sends `action` with the given payload, as is, in the station's OCPP version. The payload "
    "is checked against that version's schema first (422 when it does not fit); a CALLERROR answer is a "
    "502 carrying its code and description.",
    response_model=RawCallResultBody,
    responses=COMMAND_ERRORS,
)
async def raw_call(
    station_id: StationId,
    action: Annotated[
        str,
        Path(
            min_length=1,
            max_length=64,
            pattern=r"^[A-Za-z][A-Za-z0-9]*$",
            description="The OCPP action name.",
            examples=["TriggerMessage"],
        ),
    ],
    payload: Annotated[
        dict[str, Any],
        Body(
            description="The OCPP request payload (a JSON object).",
            examples=[{"requestedMessage": "Heartbeat"}],
        ),
    ],
    remote_control: Annotated[RemoteControlService, Provided(RemoteControlService)],
) -> RawCallResultBody:
    return RawCallResultBody(payload=await remote_control.call(station_id, action, payload))


@router.post(
    "/reset",
    summary="Reset a station (or one EVSE)",
    description="Sends Reset. OCPP 1.6 stations get Soft (for Soft and OnIdle) or Hard (Hard, Immediate) and "
    "can only be reset whole (evse_id is a 422); 2.0.1 stations get OnIdle (Soft, OnIdle) or Immediate "
    "(Hard, Immediate), optionally for one EVSE. Answers: Accepted, Rejected, Scheduled (2.0.1: after the "
    "running transactions end)." + STATION_ANSWER_NOTE,
    response_model=StationAnswerBody,
    responses=STATION_COMMAND_ERRORS,
)
async def reset(
    station_id: StationId,
    body: ResetRequest,
    remote_control: Annotated[RemoteControlService, Provided(RemoteControlService)],
) -> StationAnswerBody:
    return StationAnswerBody.of(await remote_control.send(station_id, body.to_command()))


@router.post(
    "/unlock",
    summary="Unlock a connector",
    description="Sends UnlockConnector. For OCPP 1.6 stations evse_id is the 1.6 connector number and "
    "connector_id must be 1. Answers: Unlocked, UnlockFailed, NotSupported (1.6), "
    "OngoingAuthorizedTransaction, UnknownConnector (2.0.1)." + STATION_ANSWER_NOTE,
    response_model=StationAnswerBody,
    responses=STATION_COMMAND_ERRORS,
)
async def unlock(
    station_id: StationId,
    body: UnlockRequest,
    remote_control: Annotated[RemoteControlService, Provided(RemoteControlService)],
) -> StationAnswerBody:
    return StationAnswerBody.of(await remote_control.send(station_id, body.to_command()))


@router.post(
    "/availability",
    summary="Change the availability of a station, EVSE or connector",
    description="Sends ChangeAvailability (1.6 connectorId, 0 for the station; 2.0.1 operationalStatus and "
    "evse). Answers: Accepted, Rejected, Scheduled (applied once running transactions end)." + STATION_ANSWER_NOTE,
    response_model=StationAnswerBody,
    responses=STATION_COMMAND_ERRORS,
)
async def availability(
    station_id: StationId,
    body: AvailabilityRequest,
    remote_control: Annotated[RemoteControlService, Provided(RemoteControlService)],
) -> StationAnswerBody:
    return StationAnswerBody.of(await remote_control.send(station_id, body.to_command()))


@router.post(
    "/trigger",
    summary="Ask a station to send a message now",
    description="Sends TriggerMessage. OCPP 1.6 can trigger BootNotification, DiagnosticsStatusNotification, "
    "FirmwareStatusNotification, Heartbeat, MeterValues, StatusNotification; 2.0.1 also LogStatusNotification, "
    "TransactionEvent and the certificate and firmware-publishing messages, but not "
    "DiagnosticsStatusNotification. A message the station's version lacks is a 422 naming those it has. "
    "Answers: Accepted, Rejected, NotImplemented." + STATION_ANSWER_NOTE,
    response_model=StationAnswerBody,
    responses=STATION_COMMAND_ERRORS,
)
async def trigger(
    station_id: StationId,
    body: TriggerRequest,
    remote_control: Annotated[RemoteControlService, Provided(RemoteControlService)],
) -> StationAnswerBody:
    return StationAnswerBody.of(await remote_control.send(station_id, body.to_command()))


@router.post(
    "/clear-cache",
    summary="Clear a station's authorization cache",
    description="Sends ClearCache. Answers: Accepted, Rejected." + STATION_ANSWER_NOTE,
    response_model=StationAnswerBody,
    responses=STATION_COMMAND_ERRORS,
)
async def clear_cache(
    station_id: StationId, remote_control: Annotated[RemoteControlService, Provided(RemoteControlService)]
) -> StationAnswerBody:
    return StationAnswerBody.of(await remote_control.send(station_id, ClearCache()))


@router.post(
    "/display-messages",
    summary="Show a message on a station's display (OCPP 2.0.1)",
    description="Sends SetDisplayMessage; the response carries the message's id (allocated when the request "
    "gave none). OCPP 1.6 stations have no display messages: 422. Answers: Accepted, "
    "NotSupportedMessageFormat, Rejected, NotSupportedPriority, NotSupportedState, UnknownTransaction."
    + STATION_ANSWER_NOTE,
    response_model=DisplayMessageSetBody,
    responses=STATION_COMMAND_ERRORS,
)
async def set_display_message(
    station_id: StationId,
    body: DisplayMessageRequest,
    remote_control: Annotated[RemoteControlService, Provided(RemoteControlService)],
) -> DisplayMessageSetBody:
    remote = remote_control
    message_id = body.id if body.id is not None else remote.allocate_message_id()
    answer = await remote.set_display_message(station_id, body.to_domain(message_id))
    return DisplayMessageSetBody.with_id(message_id, answer)


@router.get(
    "/display-messages",
    summary="List the messages a station displays (OCPP 2.0.1)",
    description="Sends GetDisplayMessages with the filters given, then collects the messages the station "
    "reports in NotifyDisplayMessages (in one or more parts). An Unknown answer (nothing matches) is an "
    "empty list. 504 when the station does not answer, or does not report all parts, within the call "
    "timeout. OCPP 1.6 stations: 422.",
    response_model=DisplayMessageListBody,
    responses=STATION_COMMAND_ERRORS,
)
async def list_display_messages(
    station_id: StationId,
    remote_control: Annotated[RemoteControlService, Provided(RemoteControlService)],
    ids: Annotated[
        list[Annotated[int, Query(ge=0, le=MAX_INT32)]] | None,
        Query(alias="id", max_length=100, description="Only these message ids (repeat the parameter)."),
    ] = None,
    priority: Annotated[AnyCase[MessagePriority] | None, Query(description="Only messages of this priority.")] = None,
    state: Annotated[AnyCase[MessageState] | None, Query(description="Only messages for this station state.")] = None,
) -> DisplayMessageListBody:
    listing = await remote_control.display_messages(station_id, tuple(ids or ()), priority, state)
    return DisplayMessageListBody.of_listing(listing)


@router.delete(
    "/display-messages/{message_id}",
    summary="Remove a message from a station's display (OCPP 2.0.1)",
    description="Sends ClearDisplayMessage. Answers: Accepted, Unknown (no message with that id). OCPP 1.6 "
    "stations: 422." + STATION_ANSWER_NOTE,
    response_model=StationAnswerBody,
    responses=STATION_COMMAND_ERRORS,
)
async def clear_display_message(
    station_id: StationId,
    message_id: Annotated[int, Path(ge=0, le=MAX_INT32, description="The message's id.")],
    remote_control: Annotated[RemoteControlService, Provided(RemoteControlService)],
) -> StationAnswerBody:
    return StationAnswerBody.of(await remote_control.clear_display_message(station_id, message_id))
