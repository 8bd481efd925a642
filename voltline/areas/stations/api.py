"""/api/v1/stations: the station registry and live state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status

from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.api.params import StationId
from voltline.areas.stations.schemas import StationBody, StationDetailBody, StationRegistrationRequest
from voltline.areas.stations.service import StationRegistration, StationService
from voltline.kernel.commands import StationLink

router = APIRouter(prefix="/stations", tags=["stations"])


@router.get("", summary="List stations", response_model=list[StationBody])
async def list_stations(
    link: Annotated[StationLink, Provided(StationLink)],
    station_service: Annotated[StationService, Provided(StationService)],
) -> list[StationBody]:
    stations = await station_service.list()
    return [StationBody.of(s, link.is_online(s.id)) for s in stations]


@router.get(
    "/{station_id}",
    summary="View a station with the status of its connectors",
    response_model=StationDetailBody,
    responses=error_responses(404),
)
async def view_station(
    station_id: StationId,
    link: Annotated[StationLink, Provided(StationLink)],
    station_service: Annotated[StationService, Provided(StationService)],
) -> StationDetailBody:
    view = await station_service.view(station_id)
    # The link, not the stored flag, is the live truth: the flag can lag after a crash or on another node.
    return StationDetailBody.with_connectors(view.station, link.is_online(station_id), view.statuses)


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
    link: Annotated[StationLink, Provided(StationLink)],
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
    return StationDetailBody.with_connectors(view.station, link.is_online(station_id), view.statuses)


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
