"""/api/v1/stations: the station registry and live state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.api.params import StationId
from voltline.api.schemas import NO_NUL, AnyCase
from voltline.areas.stations.model import Registration
from voltline.areas.stations.ports import StationQuery
from voltline.areas.stations.schemas import (
    ConnectorStatusName,
    StationChangeRequest,
    StationDetailBody,
    StationPageBody,
    StationRegistrationRequest,
)
from voltline.areas.stations.service import StationRegistration, StationService
from voltline.kernel.presence import Presence
from voltline.kernel.versions import OcppVersion

router = APIRouter(prefix="/stations", tags=["stations"])


@router.get(
    "",
    summary="List stations",
    description="Registered stations by id, a page at a time (`limit`, `offset`; `total` counts every "
    "match), each as the single-station view shows it: whether it is connected now and the status of its "
    "connectors. Filters combine.",
    response_model=StationPageBody,
)
async def list_stations(
    presence: Annotated[Presence, Provided(Presence)],
    station_service: Annotated[StationService, Provided(StationService)],
    online: Annotated[bool | None, Query(description="Only stations connected now (true) or not (false).")] = None,
    registration: Annotated[
        AnyCase[Registration] | None, Query(description="Only stations with this registration.")
    ] = None,
    ocpp_version: Annotated[
        AnyCase[OcppVersion] | None, Query(description="Only stations that last connected with this OCPP version.")
    ] = None,
    vendor: Annotated[
        str | None,
        Query(min_length=1, max_length=50, pattern=NO_NUL, description="Vendor as booted (exact, any case)."),
    ] = None,
    model: Annotated[
        str | None, Query(min_length=1, max_length=50, pattern=NO_NUL, description="Model as booted (exact, any case).")
    ] = None,
    status: Annotated[
        AnyCase[ConnectorStatusName] | None,
        Query(description="Only stations with at least one connector in this status."),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            pattern=NO_NUL,
            description="Part of the id or the description (any case; `%` and `_` are plain characters).",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many stations.")] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1, description="Skip this many first.")] = 0,
) -> StationPageBody:
    # Online-ness is live presence, not the stored flag (which lags a commit group behind, and after a
    # crash until startup clears it), so the filter, `total` and each item's `online` must all read
    # presence. Filtering on the flag and dropping rows presence contradicts would make short pages and a
    # wrong total; asking presence row by row cannot page at all. So one snapshot of the connected ids
    # goes into the query (one bound parameter, see SqlStationRepository) and answers `online` too.
    connected = frozenset(presence.online_ids()) if online is not None else None
    query = StationQuery(
        registration=registration,
        ocpp_version=ocpp_version.value if ocpp_version is not None else None,
        vendor=vendor,
        model=model,
        status=status,
        text=q,
        online=online,
        connected=connected or frozenset(),
        limit=limit,
        offset=offset,
    )
    is_online = connected.__contains__ if connected is not None else presence.is_online
    return StationPageBody.of(await station_service.search(query), is_online, limit, offset)


@router.get(
    "/{station_id}",
    summary="View a station with the status of its connectors",
    response_model=StationDetailBody,
    responses=error_responses(404),
)
async def view_station(
    station_id: StationId,
    presence: Annotated[Presence, Provided(Presence)],
    station_service: Annotated[StationService, Provided(StationService)],
) -> StationDetailBody:
    view = await station_service.view(station_id)
    # Presence, not the stored flag, is the live truth: the flag can lag after a crash or on another node.
    return StationDetailBody.with_connectors(view.station, presence.is_online(station_id), view.statuses)


@router.put(
    "/{station_id}",
    summary="Register a station or replace its operator record",
    description="Creates the station (201) or replaces its whole operator record (200): a field left out "
    "gets its default (Accepted, security profile 1 with a password else 0, no description), but omitting "
    "`password` keeps the current one. To change some fields only, use PATCH. 422 when a station so "
    "registered could never connect: an id the OCPP endpoint refuses, profile 1 or 2 without a password, "
    "a profile this server cannot serve (2 and 3 need TLS). Approving a connected Pending station asks it "
    "to boot again at once (TriggerMessage BootNotification).",
    response_model=StationDetailBody,
    responses={
        201: {"model": StationDetailBody, "description": "The station was created."},
        **error_responses(422),
    },
)
async def register_station(
    station_id: StationId,
    body: StationRegistrationRequest,
    presence: Annotated[Presence, Provided(Presence)],
    station_service: Annotated[StationService, Provided(StationService)],
    response: Response,
) -> StationDetailBody:
    request = StationRegistration(
        registration=body.registration,
        security_profile=body.security_profile,
        password=body.password,
        description=body.description,
    )
    _, created = await station_service.register(station_id, request)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    view = await station_service.view(station_id)
    return StationDetailBody.with_connectors(view.station, presence.is_online(station_id), view.statuses)


@router.patch(
    "/{station_id}",
    summary="Change some fields of a station's operator record",
    description="Only the fields the body names change (`password` and `description` may be null to remove "
    "them). 422, changing nothing, when the station so changed could never connect (see PUT). Approving a "
    'Pending station (`{"registration": "Accepted"}`) that is connected asks it to boot again at once '
    "(TriggerMessage BootNotification), so it is Accepted within moments, not at its next boot retry.",
    response_model=StationDetailBody,
    responses=error_responses(404, 422),
)
async def change_station(
    station_id: StationId,
    body: StationChangeRequest,
    presence: Annotated[Presence, Provided(Presence)],
    station_service: Annotated[StationService, Provided(StationService)],
) -> StationDetailBody:
    await station_service.change(station_id, body.changes())
    view = await station_service.view(station_id)
    return StationDetailBody.with_connectors(view.station, presence.is_online(station_id), view.statuses)


@router.delete(
    "/{station_id}",
    summary="Remove a station",
    description="Removes the station from the registry, with its connector statuses, device model, local "
    'list and template runs. A connected station is disconnected first (WebSocket close 1008, "station '
    'removed from the CSMS"); the answer comes once its connection has ended. From then on it is an unknown '
    "id: its reconnection is refused (404), or registered anew when VOLTLINE_UNKNOWN_STATIONS says so. What "
    "it did stays as history: its transactions (an open one stays open), meter values, review items and "
    "events.",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404),
)
async def delete_station(
    station_id: StationId, station_service: Annotated[StationService, Provided(StationService)]
) -> Response:
    await station_service.delete(station_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
