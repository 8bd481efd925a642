"""/api/v1/stations: the station registry and live state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.api.params import StationId
from voltline.areas.stations.schemas import StationBody, StationDetailBody, StationRegistrationRequest
from voltline.areas.stations.service import StationRegistration, StationService
from voltline.kernel.presence import Presence

router = APIRouter(prefix="/stations", tags=["stations"])


@router.get(
    "",
    summary="List stations",
    description="Registered stations by id, a page at a time (`limit`, `offset`), each with whether it is "
    "connected now.",
    response_model=list[StationBody],
)
async def list_stations(
    presence: Annotated[Presence, Provided(Presence)],
    station_service: Annotated[StationService, Provided(StationService)],
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many stations.")] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1, description="Skip this many first.")] = 0,
) -> list[StationBody]:
    stations = await station_service.list(limit, offset)
    return [StationBody.of(s, presence.is_online(s.id)) for s in stations]


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
    summary="Register a station or update its settings",
    description="Creates the station (201) or replaces its operator settings (200). A station registered "
    "this way is Accepted unless the body says otherwise. Omitting `password` keeps the current one.",
    response_model=StationDetailBody,
    responses={201: {"model": StationDetailBody, "description": "The station was created."}},
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


@router.delete(
    "/{station_id}",
    summary="Remove a station",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404),
)
async def delete_station(
    station_id: StationId, station_service: Annotated[StationService, Provided(StationService)]
) -> Response:
    await station_service.delete(station_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
