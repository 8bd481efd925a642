"""Every error answer of the API has one shape: `{"detail": "<one line>", "errors": [...]}`.

`detail` is a message a person can read; `errors` lists the fields of an invalid request (422), each with
`field` (`body.password`, `path.station_id`), `message` and `type`, and is empty otherwise. Handlers here
apply it to the domain errors, to FastAPI's request validation, and to the HTTP errors routing raises
(404 for an unknown path, 405 for a method a path lacks); a station's CALLERROR (502) adds `error_code`
and `description`. README's API section documents it once; `error_responses` documents it per endpoint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.utils import is_body_allowed_for_status_code
from starlette.exceptions import HTTPException as StarletteHTTPException

from voltline.api.params import PATTERN_RULES
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

# The most field errors an answer lists, and the most its one-line `detail` repeats.
MAX_FIELD_ERRORS = 20
MAX_SUMMARISED_ERRORS = 5

SEND_JSON = "send the body as JSON (Content-Type: application/json)"


def status_of(error: DomainError) -> int:
    for kind, status in STATUS_OF:
        if isinstance(error, kind):
            return status
    return 400


def error_body(detail: str, errors: Sequence[dict[str, str]] = ()) -> dict[str, Any]:
    return {"detail": detail, "errors": list(errors)}


async def domain_error_handler(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    body = error_body(str(error) or type(error).__name__)
    if isinstance(error, StationRejectedCall):
        body["error_code"] = error.code
        body["description"] = error.description
    return JSONResponse(body, status_code=status_of(error))


async def http_error_handler(request: Request, error: Exception) -> Response:
    """HTTPException, ours (401, 403, 429 with their headers) and routing's (404, 405)."""
    assert isinstance(error, StarletteHTTPException)
    headers = getattr(error, "headers", None)
    if error.status_code == 405:
        # Routing names the methods of the one route it tried first; the path may have several routes.
        methods = allowed_methods(request)
        if methods:
            headers = {**(headers or {}), "Allow": ", ".join(methods)}
    if not is_body_allowed_for_status_code(error.status_code):  # 1xx, 204, 304
        return Response(status_code=error.status_code, headers=headers)
    detail = error.detail if isinstance(error.detail, str) else str(error.detail)
    if detail == HTTPStatus(error.status_code).phrase:
        # Raised without a message of its own (routing, static files): say what was asked for.
        detail = _routing_detail(request, error.status_code, headers or {})
    return JSONResponse(error_body(detail), status_code=error.status_code, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the API takes at this path (from /openapi.json's paths), HEAD with GET."""
    table: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(request.app.state, "allowed_methods", None)
    if table is None:
        table = []
        for template, operations in request.app.openapi().get("paths", {}).items():
            template_pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            taken = {method.upper() for method in operations if method.upper() in _HTTP_METHODS}
            if "GET" in taken:
                taken.add("HEAD")
            table.append((re.compile(template_pattern + "$"), frozenset(taken)))
        request.app.state.allowed_methods = table
    found: set[str] = set()
    for compiled, methods in table:
        if compiled.match(request.url.path):
            found |= methods
    return sorted(found, key=_METHOD_ORDER.index)


_METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
_HTTP_METHODS = frozenset(_METHOD_ORDER)


def _routing_detail(request: Request, status: int, headers: dict[str, str]) -> str:
    path = request.url.path
    if status == 404:
        return f"nothing at {path}: see /docs for the endpoints"
    if status == 405:
        allowed = headers.get("Allow") or headers.get("allow")
        return f"{path} does not take {request.method}" + (f"; it takes {allowed}" if allowed else "")
    return HTTPStatus(status).phrase.lower()


async def validation_error_handler(request: Request, error: Exception) -> JSONResponse:
    """FastAPI's validation errors in the one shape. No error's `input` is echoed: it would put secrets (a
    too short password) and arbitrary garbage back into responses and the logs of every proxy in between."""
    assert isinstance(error, RequestValidationError)
    problems = error.errors()
    # FastAPI hands the endpoint the raw bytes when the Content-Type does not say JSON (or is missing), so
    # the body then fails as "not an object": that would blame the content, when the header is what is wrong.
    if isinstance(error.body, bytes | bytearray) and any(_location(p)[:1] == ("body",) for p in problems):
        return JSONResponse(error_body(SEND_JSON), status_code=415)
    # Bounded: a body can be wrong in many thousand places, and the answer need not repeat each.
    fields = [_field_error(problem) for problem in problems[:MAX_FIELD_ERRORS]]
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:MAX_SUMMARISED_ERRORS])
    if len(problems) > MAX_SUMMARISED_ERRORS:
        summary += f" (and {len(problems) - MAX_SUMMARISED_ERRORS} more"
        summary += f"; `errors` lists the first {MAX_FIELD_ERRORS})" if len(problems) > MAX_FIELD_ERRORS else ")"
    return JSONResponse(error_body(f"invalid request: {summary}", fields), status_code=422)


def _location(problem: Any) -> tuple[Any, ...]:
    return tuple(problem.get("loc") or ())


def _field_name(location: tuple[Any, ...]) -> str:
    name = ""
    for part in location:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "request"


def _field_error(problem: Any) -> dict[str, str]:
    kind = str(problem.get("type", ""))
    location = _location(problem)
    message = str(problem.get("msg", ""))
    context = problem.get("ctx") if isinstance(problem.get("ctx"), dict) else {}
    if kind == "json_invalid":
        # The location's second part is the offset in the text, not a field.
        # A negative offset: one of the body guard's rules (duplicate key ...), not a place in the text.
        at = f" at character {location[1]}" if len(location) > 1 and location[1] >= 0 else ""
        return {"field": "body", "message": f"not valid JSON{at}: {context.get('error', message)}", "type": kind}
    if location == ("body",) and kind == "missing":
        message = "a JSON body is required"
    elif location == ("body",) and kind in ("model_attributes_type", "dict_type", "model_type"):
        message = "the body must be a JSON object"
    elif kind == "string_pattern_mismatch" and context.get("pattern") in PATTERN_RULES:
        message = PATTERN_RULES[context["pattern"]]
    else:
        # A validator's ValueError reads "Value error, <our message>": the prefix says nothing to a client.
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    # One line: the summary in `detail` joins these, and a validator's message may span several.
    return {"field": _field_name(location), "message": " ".join(message.split()), "type": kind}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)


DESCRIPTIONS = {
    401: "Missing or invalid bearer token.",
    404: "No such resource.",
    409: "Conflicts with the current state (already exists, or the station is offline).",
    413: "The body is larger than VOLTLINE_HTTP_MAX_BODY (1 MiB by default).",
    415: "The body was not sent as JSON (Content-Type: application/json).",
    422: "The request is invalid: `errors` lists each field that is wrong and why.",
    502: "The station answered with a CALLERROR.",
    504: "The station did not answer in time.",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses an endpoint can answer with."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        model = StationCallErrorBody if status == 502 else ErrorBody
        responses[status] = {"model": model, "description": DESCRIPTIONS.get(status, "Error.")}
    return responses


_SCHEMAS = "#/components/schemas/"
_FASTAPI_422 = {"$ref": _SCHEMAS + "HTTPValidationError"}


def document_error_shape(app: FastAPI) -> None:
    """Make /openapi.json say what the handlers above answer. FastAPI documents a 422 of its own shape (a
    list of errors) on every operation with parameters; it becomes ErrorBody, and an operation that takes a
    body also documents the 415 for a body not sent as JSON."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _rewrite_errors(build())  # build() caches the document in app.openapi_schema: edit it in place
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


def _as_json_error(status: str, response: dict[str, Any]) -> None:
    """An error is JSON whatever the endpoint answers when it succeeds (an event stream documents its
    errors as text/event-stream otherwise), and FastAPI's 422 schema becomes ours."""
    schemas = [media.get("schema") for media in response["content"].values() if isinstance(media, dict)]
    schema = next((found for found in schemas if found), None)
    if schema is None:
        return
    if schema == _FASTAPI_422:
        schema = {"$ref": _SCHEMAS + "ErrorBody"}
        response["description"] = DESCRIPTIONS[422]
    response["content"] = {"application/json": {"schema": schema}}


_BOUNDS = ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum")


def _integer_bounds(node: Any) -> None:
    """An integer's bounds as integers: FastAPI writes some as floats (2147483647.0), which a client's
    generator reads as a float bound, and which past 2**53 would not even be the bound enforced."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for bound in _BOUNDS:
                value = node.get(bound)
                if isinstance(value, float) and value.is_integer():
                    node[bound] = int(value)
        for child in node.values():
            _integer_bounds(child)
    elif isinstance(node, list):
        for child in node:
            _integer_bounds(child)


def _rewrite_errors(document: dict[str, Any]) -> None:
    _integer_bounds(document)
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorBody" not in schemas:
        body = ErrorBody.model_json_schema(ref_template=_SCHEMAS + "{model}")
        schemas.update(body.pop("$defs", {}))
        schemas["ErrorBody"] = body
    ours = {"application/json": {"schema": {"$ref": _SCHEMAS + "ErrorBody"}}}
    for item in document.get("paths", {}).values():
        for operation in item.values():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            if responses is None:
                continue
            for status, response in responses.items():
                if status.startswith("4") and isinstance(response.get("content"), dict):
                    _as_json_error(status, response)
            if "requestBody" in operation:
                responses.setdefault("413", {"description": DESCRIPTIONS[413], "content": ours})
                responses.setdefault("415", {"description": DESCRIPTIONS[415], "content": ours})
    if _FASTAPI_422["$ref"] not in json.dumps(document.get("paths", {})):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)


# A command sent to a station: offline 409, invalid or not expressible in the station's version 422,
# CALLERROR 502, no answer in time 504. Every area that sends commands documents its endpoints with these.
STATION_COMMAND_ERRORS = error_responses(409, 422, 502, 504)
STATION_ANSWER_NOTE = (
    " Returns the station's answer: its status word as sent, the reason it gave (2.0.1 statusInfo) and the raw payload."
)
