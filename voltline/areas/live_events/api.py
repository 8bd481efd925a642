"""/api/v1/events: the network's live events as a server-sent events stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field, StringConstraints

from voltline.api.auth import PrincipalDep, bearer_scheme
from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.api.params import STATION_ID_PATTERN
from voltline.areas.access.login import LoginService
from voltline.areas.live_events.service import StreamGuard
from voltline.kernel.errors import InvalidRequest
from voltline.kernel.live_events import KINDS, EventHub, LiveEvent

router = APIRouter(tags=["events"])

# Events a slow reader may fall behind by before the oldest are dropped (and counted in `dropped`).
MAX_QUEUED_EVENTS = 5000
# Sent first, once the subscription is live: a client knows from then on it misses nothing.
LISTENING_COMMENT = "listening"
# Sent last when the stream ends because the credential that opened it ended.
CREDENTIAL_ENDED_COMMENT = "credential ended"

StationFilter = Annotated[str, StringConstraints(min_length=1, max_length=48, pattern=STATION_ID_PATTERN)]
# What a `kind` filter may name: a kind, or a kind's first part ("transaction", "command").
FILTER_KINDS: frozenset[str] = frozenset(KINDS) | {kind.split(".", 1)[0] for kind in KINDS}
# Documented as the enumeration it is; checked by `kind_filter`, whose 422 lists the valid ones.
KindFilter = Annotated[
    str, StringConstraints(min_length=1, max_length=64), Field(json_schema_extra={"enum": sorted(FILTER_KINDS)})
]


class LiveEventBody(BaseModel):
    """The JSON in the `data:` line of each event."""

    station_id: str | None = Field(description="The station the event is about (null for network-wide events).")
    at: datetime = Field(description="When the event was published (UTC).")
    data: dict[str, Any] = Field(description="The event's payload; its fields depend on the kind (see above).")
    dropped: int = Field(description="Events this stream lost just before this one because the client read too slowly.")


EVENTS_DESCRIPTION = """\
A [server-sent events](https://html.spec.whatwg.org/multipage/server-sent-events.html) stream
(`text/event-stream`) of what happens in the network, as it happens. Each event has
`id: <sequence number>`, `event: <kind>` and one `data:` line holding a JSON object
`{"station_id", "at", "data", "dropped"}`. A station's events come out in the order its messages were
handled, and only once their data is stored. A comment `: listening` is sent first, once the stream is
live; a `: ping` comment every 15 s keeps idle connections open. A client that reads too slowly loses the
oldest events rather than the server holding them: the next event's `dropped` says how many were lost.
The stream ends when the server shuts down, and when the credential that opened it ends: a logout, the API
key revoked, the user disabled, their password or MFA reset, or removed (within moments), the session
expired (within 5 s); then a last comment `: credential ended` is sent, and nothing that was still queued.

Filters (both repeatable; none means everything): `station` (station ids), `kind` (a kind, or its first
part: `transaction` matches the three transaction kinds, `command` matches `command.result`); an unknown
kind is a 422 that lists the valid ones.

Kinds and their `data`:

- `connected`: `ocpp_version`, `remote_address`, `replaced` (a newer connection replaced an open one)
- `disconnected`: `ocpp_version`, `close_code`
- `boot`: `vendor`, `model`, `serial_number`, `firmware_version`, `reason` (2.0.1), `ocpp_version`,
  `answer` (Accepted, Pending or Rejected)
- `status`: `evse_id`, `connector_id`, `status`, `error_code` (1.6), `info`, `timestamp`
- `transaction.started`: `transaction_id` (Voltline's), `station_transaction_id`, `evse_id`,
  `connector_id`, `id_token`, `started_at`, `meter_start_wh`, `auth_status`, `remote_start_id`
- `transaction.updated` (2.0.1 TransactionEvent Updated): `transaction_id`, `station_transaction_id`,
  `evse_id`, `trigger_reason`, `seq_no`, `charging_state`, `id_token`
- `transaction.ended`: `transaction_id`, `station_transaction_id`, `evse_id`, `stopped_at`, `stop_reason`,
  `meter_stop_wh`, `energy_wh`
- `meter_values` (1.6 MeterValues, 2.0.1 MeterValues and the samples of TransactionEvents): `evse_id`,
  `transaction_id` (null when not part of one), `station_transaction_id`, `values`: a list of
  `{timestamp, measurand, value, unit, phase, location, context}` (the fields that are set)
- `command.result`: `command`, `outcome` (the station's status word, or the error), `actor`
- `local_list`: `state` (in_sync, pending, failed, unmanaged) and, after an update, `station_version` and
  `skipped` (tokens the station's version cannot carry), or `error`

Example: `curl -N -H "Authorization: Bearer $TOKEN" "http://localhost:8000/api/v1/events?station=CP-1&kind=transaction"`
"""


def _sse_openapi() -> dict[str, Any]:
    """The stream's item schema with the `data` JSON documented (FastAPI documents only the envelope
    when the endpoint yields `ServerSentEvent`s, which it must to set `id` and `event`)."""
    return {
        "responses": {
            "200": {
                "content": {
                    "text/event-stream": {
                        "itemSchema": {
                            "type": "object",
                            "required": ["data"],
                            "properties": {
                                "id": {"type": "string", "description": "The event's sequence number."},
                                "event": {"type": "string", "description": "The event's kind."},
                                "data": {
                                    "type": "string",
                                    "contentMediaType": "application/json",
                                    "contentSchema": LiveEventBody.model_json_schema(),
                                },
                            },
                        }
                    }
                }
            }
        }
    }


def kind_filter(
    kind: Annotated[
        list[KindFilter] | None,
        Query(description="Only events of these kinds, or of kinds starting with `<kind>.` (repeatable)."),
    ] = None,
) -> list[str] | None:
    """The `kind` filter, checked before the stream starts: a typo would otherwise be a silent empty stream."""
    unknown = sorted({k for k in kind or () if k not in FILTER_KINDS})
    if unknown:
        raise InvalidRequest(
            f"unknown event kind{'s' if len(unknown) > 1 else ''} {', '.join(repr(k) for k in unknown)}: "
            f"a kind filter is one of {', '.join(sorted(FILTER_KINDS))}"
        )
    return kind


@router.get(
    "/events",
    summary="Follow the network's live events (server-sent events)",
    description=EVENTS_DESCRIPTION,
    response_class=EventSourceResponse,
    response_description="An endless `text/event-stream`.",
    responses=error_responses(422),
    openapi_extra=_sse_openapi(),
)
async def live_events(
    event_hub: Annotated[EventHub, Provided(EventHub)],
    guard: Annotated[StreamGuard, Provided(StreamGuard)],
    login_service: Annotated[LoginService, Provided(LoginService)],
    principal: PrincipalDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    kind: Annotated[list[str] | None, Depends(kind_filter)],
    station: Annotated[
        list[StationFilter] | None, Query(description="Only events of these stations (repeatable).")
    ] = None,
) -> AsyncIterator[ServerSentEvent]:
    hub = event_hub
    # The token that authenticated this request (require_access checked it): checked again while the
    # stream lasts, on the guard's watch, never per event.
    token = credentials.credentials.strip() if credentials is not None else ""

    async def still_valid() -> bool:
        return bool(token) and await login_service.still_valid(token, principal)

    subscription = hub.subscribe(stations=station, kinds=kind, max_queue=MAX_QUEUED_EVENTS)
    watch = guard.watch(subscription, still_valid)
    try:
        yield ServerSentEvent(comment=LISTENING_COMMENT)
        async for event in subscription:
            yield ServerSentEvent(id=str(event.seq), event=event.kind, raw_data=_data(event))
        if watch.ended:
            yield ServerSentEvent(comment=CREDENTIAL_ENDED_COMMENT)
    finally:
        guard.release(watch)
        hub.unsubscribe(subscription)


def _data(event: LiveEvent) -> str:
    return orjson.dumps(
        {"station_id": event.station_id, "at": event.at, "data": event.data, "dropped": event.dropped}
    ).decode()
