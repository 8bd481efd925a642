"""/api/v1/stations/{id}/local-list and /api/v1/local-lists: the stations' local authorization lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.api.params import StationId
from voltline.api.schemas import AnyCase
from voltline.areas.local_lists.model import SyncState
from voltline.areas.local_lists.schemas import (
    LocalListBody,
    LocalListRequest,
    StopResultBody,
    SyncRequest,
    SyncResultBody,
    VersionCheckBody,
)
from voltline.areas.local_lists.service import LocalListService

router = APIRouter(tags=["local authorization lists"])

STATION_CALL_ERRORS = error_responses(404, 409, 502, 504)


@router.get(
    "/local-lists",
    summary="List the managed local lists",
    description="Every station whose local authorization list Voltline manages, with its versions and sync "
    "state; `state=pending` (or `failed`, `in_sync`) narrows the list.",
    response_model=list[LocalListBody],
)
async def list_local_lists(
    local_list_service: Annotated[LocalListService, Provided(LocalListService)],
    state: Annotated[AnyCase[SyncState] | None, Query(description="Only lists in this sync state.")] = None,
) -> list[LocalListBody]:
    return [LocalListBody.of(r.station_id, r) for r in await local_list_service.list(state)]


@router.get(
    "/stations/{station_id}/local-list",
    summary="View a station's local list",
    description="What the list holds (selection), the desired and the station's confirmed version, the sync "
    "state, the number of confirmed entries and the last error, attempt and sync times. A station whose "
    "list is not managed shows `managed: false`.",
    response_model=LocalListBody,
    responses=error_responses(404),
)
async def get_local_list(
    station_id: StationId, local_list_service: Annotated[LocalListService, Provided(LocalListService)]
) -> LocalListBody:
    return LocalListBody.of(station_id, await local_list_service.get(station_id))


@router.put(
    "/stations/{station_id}/local-list",
    summary="Manage a station's local list",
    description='Sets what the station\'s list holds: every registry token (`{"all": true}`) or the tokens '
    "of some groups. A change gives the list its next version; an online station is updated in the "
    "background at once (Full when it has no confirmed list, else Differential), an offline one after its "
    "next boot. From then on, token changes reach the station the same way.",
    response_model=LocalListBody,
    responses=error_responses(404, 422),
)
async def put_local_list(
    station_id: StationId,
    body: LocalListRequest,
    local_list_service: Annotated[LocalListService, Provided(LocalListService)],
) -> LocalListBody:
    record = await local_list_service.set_selection(station_id, body.selection.to_domain())
    return LocalListBody.of(station_id, record)


@router.delete(
    "/stations/{station_id}/local-list",
    summary="Stop managing a station's local list",
    description="Forgets the station's list. By default the station keeps whatever list it holds; with "
    "`clear=true` an empty Full list is sent first (the station must be online and accept it, else the "
    "list stays managed: 409).",
    response_model=StopResultBody,
    responses=STATION_CALL_ERRORS,
)
async def delete_local_list(
    station_id: StationId,
    local_list_service: Annotated[LocalListService, Provided(LocalListService)],
    clear: Annotated[bool, Query(description="Send an empty Full list before forgetting it.")] = False,
) -> StopResultBody:
    return StopResultBody.of(await local_list_service.stop(station_id, clear))


@router.post(
    "/stations/{station_id}/local-list/sync",
    summary="Send a station its local list now",
    description="Sends what the station misses and returns every SendLocalList sent with the station's "
    "answer. A refused update (Failed, VersionMismatch) is retried once as a Full update; a station that "
    "still refuses, or answers NotSupported, leaves the list `failed` (200, see `local_list.last_error`). "
    "409 when the station is offline, 504 when it does not answer in time, 502 on a CALLERROR.",
    response_model=SyncResultBody,
    responses=STATION_CALL_ERRORS,
)
async def sync_local_list(
    station_id: StationId,
    local_list_service: Annotated[LocalListService, Provided(LocalListService)],
    body: Annotated[SyncRequest | None, Body(description="Optional; `full` forces a Full update.")] = None,
) -> SyncResultBody:
    outcome = await local_list_service.sync(station_id, full=body.full if body is not None else False)
    return SyncResultBody.of(station_id, outcome)


@router.post(
    "/stations/{station_id}/local-list/version",
    summary="Ask a station for its local list version",
    description="Sends GetLocalListVersion and compares the answer with the version Voltline recorded. A "
    "managed station whose answer differs gets a Full update with its next sync.",
    response_model=VersionCheckBody,
    responses=STATION_CALL_ERRORS,
)
async def check_local_list_version(
    station_id: StationId, local_list_service: Annotated[LocalListService, Provided(LocalListService)]
) -> VersionCheckBody:
    return VersionCheckBody.of(station_id, await local_list_service.check_version(station_id))
