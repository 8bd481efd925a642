"""Domain errors as HTTP answers: every error is JSON with a `detail` a person can read."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from voltline.api.schemas import ErrorBody, StationCallErrorBody
from voltline.kernel.errors import (
    Conflict,
    DomainError,
    InvalidRequest,
    NotFound,
    StationOffline,
    StationRejectedCall,
    StationTimeout,
)

# Most specific first: the first class an error is an instance of decides its status.
STATUS_OF: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (InvalidRequest, 422),
    (StationOffline, 409),
    (StationTimeout, 504),
    (StationRejectedCall, 502),
)


def status_of(error: DomainError) -> int:
    for kind, status in STATUS_OF:
        if isinstance(error, kind):
            return status
    return 400


def _detail(error: DomainError) -> str:
    return str(error) or type(error).__name__


async def domain_error_handler(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    body: dict[str, Any] = {"detail": _detail(error)}
    if isinstance(error, StationRejectedCall):
        body["error_code"] = error.code
        body["description"] = error.description
    return JSONResponse(body, status_code=status_of(error))


async def validation_error_handler(_request: Request, error: Exception) -> JSONResponse:
    """FastAPI's 422 shape, minus each error's `input`: echoing it would put secrets (a too short
    password) and arbitrary garbage back into responses and the logs of every proxy in between."""
    assert isinstance(error, RequestValidationError)
    errors = [_without_input(e) for e in error.errors()]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


def _without_input(error: Any) -> dict[str, Any]:
    cleaned: dict[str, Any] = {k: v for k, v in error.items() if k != "input"}
    if isinstance(cleaned.get("ctx"), dict):
        # A validator's exception would otherwise serialise as {}; its message is already in "msg".
        cleaned["ctx"] = {k: v for k, v in cleaned["ctx"].items() if not isinstance(v, BaseException)}
        if not cleaned["ctx"]:
            del cleaned["ctx"]
    return cleaned


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses an endpoint can answer with."""
    descriptions = {
        401: "Missing or invalid bearer token.",
        404: "No such resource.",
        409: "Conflicts with the current state (already exists, or the station is offline).",
        422: "The request is invalid.",
        502: "The station answered with a CALLERROR.",
        504: "The station did not answer in time.",
    }
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        model = StationCallErrorBody if status == 502 else ErrorBody
        responses[status] = {"model": model, "description": descriptions.get(status, "Error.")}
    return responses


# A command sent to a station: offline 409, invalid or not expressible in the station's version 422,
# CALLERROR 502, no answer in time 504. Every area that sends commands documents its endpoints with these.
STATION_COMMAND_ERRORS = error_responses(409, 422, 502, 504)
STATION_ANSWER_NOTE = (
    " Returns the station's answer: its status word as sent, the reason it gave (2.0.1 statusInfo) and the raw payload."
)
