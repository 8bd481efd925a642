"""/api/v1/stations/{station_id}/...: commands sent to a connected station."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from voltline.api.auth import ServicesDep
from voltline.api.errors import error_responses
from voltline.api.params import StationId
from voltline.api.schemas import CommandResultBody, RawCallResultBody, RemoteStartRequest, RemoteStopRequest

router = APIRouter(prefix="/stations/{station_id}", tags=["commands"])

COMMAND_ERRORS = error_responses(404, 409, 502, 504)


@router.post(
    "/remote-start",
    summary="Ask a station to start a transaction",
    description="Sends RemoteStartTransaction (OCPP 1.6) or RequestStartTransaction (2.0.1). The answer "
    "only says whether the station accepted the request; the transaction itself appears once the station "
    "reports it.",
    response_model=CommandResultBody,
    responses=COMMAND_ERRORS,
)
async def remote_start(station_id: StationId, body: RemoteStartRequest, services: ServicesDep) -> CommandResultBody:
    result = await services.remote_control.remote_start(station_id, body.id_token, body.evse)
    return CommandResultBody(status=result.status, response=result.payload)


@router.post(
    "/remote-stop",
    summary="Ask a station to stop a transaction",
    description="Sends RemoteStopTransaction (OCPP 1.6) or RequestStopTransaction (2.0.1) for a "
    "transaction of this station, named by its Voltline id or by the station's own id.",
    response_model=CommandResultBody,
    responses=COMMAND_ERRORS,
)
async def remote_stop(station_id: StationId, body: RemoteStopRequest, services: ServicesDep) -> CommandResultBody:
    result = await services.remote_control.remote_stop(station_id, body.reference)
    return CommandResultBody(status=result.status, response=result.payload)


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
    services: ServicesDep,
) -> RawCallResultBody:
    return RawCallResultBody(payload=await services.remote_control.call(station_id, action, payload))
