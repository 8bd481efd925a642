"""Device configuration: read and change station settings, the stored device model, and configuration
templates (desired values for groups of stations, their drift, applying them).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response, status

from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.api.params import StationId
from voltline.api.schemas import MAX_INT32, NO_NUL
from voltline.areas.configuration.model import ComponentRef, DeviceModelQuery, EvseRef, VariableRef
from voltline.areas.configuration.schemas import (
    ApplyRequest,
    ApplyResultBody,
    DeviceModelBody,
    DriftBody,
    ReadingBody,
    ReadRequest,
    ReadResultBody,
    ReportOutcomeBody,
    ReportRequest,
    StationApplyBody,
    TemplateBody,
    TemplateRequest,
    WriteRequest,
    WriteResultBody,
)
from voltline.areas.configuration.service import ConfigurationService, ReportSelection
from voltline.areas.configuration.templates import TemplateService

stations_router = APIRouter(prefix="/stations/{station_id}", tags=["configuration"])
templates_router = APIRouter(prefix="/configuration-templates", tags=["configuration templates"])

COMMAND_ERRORS = error_responses(404, 409, 422, 502, 504)

TemplateId = Annotated[int, Path(ge=1, le=MAX_INT32, description="The template's id.")]


@stations_router.post(
    "/configuration/read",
    summary="Read settings from a station",
    description="Reads the given settings from the connected station: GetConfiguration (OCPP 1.6; an "
    "empty list reads every key) or GetVariables (2.0.1; an empty list is refused with 422, use the "
    "device model inventory). Each item is answered with its own status; values read are kept in the "
    "stored device model.",
    response_model=ReadResultBody,
    responses=COMMAND_ERRORS,
)
async def read_settings(
    station_id: StationId,
    body: ReadRequest,
    configuration_service: Annotated[ConfigurationService, Provided(ConfigurationService)],
) -> ReadResultBody:
    readings = await configuration_service.read(station_id, [a.to_domain() for a in body.addresses])
    return ReadResultBody(station_id=station_id, results=[ReadingBody.of(r) for r in readings])


@stations_router.post(
    "/configuration/write",
    summary="Change settings of a station",
    description="Writes the given values: one ChangeConfiguration per key, in order (OCPP 1.6), or one "
    "SetVariables (2.0.1). Each item gets the station's status (Accepted, Rejected, RebootRequired, "
    "NotSupported / UnknownComponent / UnknownVariable / NotSupportedAttributeType); `reboot_required` "
    "says whether any change waits for a reboot. Values the station took update the stored device model.",
    response_model=WriteResultBody,
    responses=COMMAND_ERRORS,
)
async def write_settings(
    station_id: StationId,
    body: WriteRequest,
    configuration_service: Annotated[ConfigurationService, Provided(ConfigurationService)],
) -> WriteResultBody:
    outcome = await configuration_service.write(station_id, [item.to_domain() for item in body.items])
    return WriteResultBody.of(station_id, outcome)


@stations_router.post(
    "/device-model/refresh",
    summary="Refresh a station's stored device model",
    description="Fetches the station's full inventory and replaces its stored device model with it: "
    "GetConfiguration of all keys (OCPP 1.6), or GetBaseReport(FullInventory) and every NotifyReport part "
    "that follows (2.0.1). Answers once the last part is stored; a station that stops sending parts for "
    "30 s gets a 504 (the parts received are kept). A station that refuses the report is answered 200 "
    "with its status and the model unchanged.",
    response_model=ReportOutcomeBody,
    responses=COMMAND_ERRORS,
)
async def refresh_device_model(
    station_id: StationId, configuration_service: Annotated[ConfigurationService, Provided(ConfigurationService)]
) -> ReportOutcomeBody:
    return ReportOutcomeBody.of(station_id, await configuration_service.refresh(station_id))


@stations_router.post(
    "/device-model/report",
    summary="Ask a 2.0.1 station for part of its device model",
    description="Sends GetReport with the given component criteria and components (or single variables) "
    "and stores the reported variables in the device model, leaving the rest of the model as it is. "
    "OCPP 2.0.1 only (422 for 1.6 stations).",
    response_model=ReportOutcomeBody,
    responses=COMMAND_ERRORS,
)
async def request_report(
    station_id: StationId,
    configuration_service: Annotated[ConfigurationService, Provided(ConfigurationService)],
    body: Annotated[ReportRequest, Body()] = ReportRequest(),  # noqa: B008 - an immutable default body
) -> ReportOutcomeBody:
    selections = [
        ReportSelection(
            ComponentRef(
                s.component.name,
                s.component.instance,
                EvseRef(s.component.evse.id, s.component.evse.connector_id) if s.component.evse else None,
            ),
            VariableRef(s.variable.name, s.variable.instance) if s.variable is not None else None,
        )
        for s in body.components
    ]
    outcome = await configuration_service.report(station_id, body.criteria, selections)
    return ReportOutcomeBody.of(station_id, outcome)


@stations_router.get(
    "/device-model",
    summary="Search a station's stored device model",
    description="The device model as last reported (no station call), one record per variable attribute, "
    "ordered by component, EVSE and variable, with when it was last refreshed. Filters combine.",
    response_model=DeviceModelBody,
    responses=error_responses(404),
)
async def view_device_model(
    station_id: StationId,
    configuration_service: Annotated[ConfigurationService, Provided(ConfigurationService)],
    component: Annotated[
        str | None,
        Query(min_length=1, max_length=50, pattern=NO_NUL, description="Component name (exact, any case)."),
    ] = None,
    variable: Annotated[
        str | None,
        Query(min_length=1, max_length=50, pattern=NO_NUL, description="Part of the variable name (any case)."),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            pattern=NO_NUL,
            description="Part of the component name, variable name or value.",
        ),
    ] = None,
    evse_id: Annotated[int | None, Query(ge=0, le=MAX_INT32, description="Only this EVSE's components.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> DeviceModelBody:
    query = DeviceModelQuery(component, variable, q, evse_id, limit, offset)
    return DeviceModelBody.of(await configuration_service.device_model(station_id, query), limit, offset)


@templates_router.get("", summary="List configuration templates", response_model=list[TemplateBody])
async def list_templates(template_service: Annotated[TemplateService, Provided(TemplateService)]) -> list[TemplateBody]:
    return [TemplateBody.of(t) for t in await template_service.list()]


@templates_router.post(
    "",
    summary="Create a configuration template",
    description="Desired values for the stations the selector picks (every given criterion must hold; an "
    "empty selector picks every station). With `apply_on_boot`, a selected station is brought in line "
    "after each accepted boot. Names are unique (409).",
    status_code=status.HTTP_201_CREATED,
    response_model=TemplateBody,
    responses=error_responses(409, 422),
)
async def create_template(
    body: TemplateRequest, template_service: Annotated[TemplateService, Provided(TemplateService)]
) -> TemplateBody:
    return TemplateBody.of(await template_service.create(body.to_domain()))


@templates_router.get(
    "/{template_id}",
    summary="View a configuration template",
    response_model=TemplateBody,
    responses=error_responses(404),
)
async def view_template(
    template_id: TemplateId, template_service: Annotated[TemplateService, Provided(TemplateService)]
) -> TemplateBody:
    return TemplateBody.of(await template_service.get(template_id))


@templates_router.put(
    "/{template_id}",
    summary="Replace a configuration template",
    description="Replaces name, description, selector, values and apply_on_boot.",
    response_model=TemplateBody,
    responses=error_responses(404, 409, 422),
)
async def update_template(
    template_id: TemplateId,
    body: TemplateRequest,
    template_service: Annotated[TemplateService, Provided(TemplateService)],
) -> TemplateBody:
    return TemplateBody.of(await template_service.update(template_id, body.to_domain()))


@templates_router.delete(
    "/{template_id}",
    summary="Delete a configuration template",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404),
)
async def delete_template(
    template_id: TemplateId, template_service: Annotated[TemplateService, Provided(TemplateService)]
) -> Response:
    await template_service.delete(template_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@templates_router.post(
    "/{template_id}/apply",
    summary="Apply a configuration template",
    description="For each selected station (or the given ones among them): reads the template's settings, "
    "writes those that differ, and reports per item. Offline stations are reported as Offline, stations "
    "the template does not select as NotSelected. Each station's outcome is kept as its last run.",
    response_model=ApplyResultBody,
    responses=error_responses(404, 422),
)
async def apply_template(
    template_id: TemplateId,
    template_service: Annotated[TemplateService, Provided(TemplateService)],
    body: Annotated[ApplyRequest, Body()] = ApplyRequest(),  # noqa: B008 - an immutable default body
) -> ApplyResultBody:
    results = await template_service.apply(template_id, body.station_ids)
    return ApplyResultBody(template_id=template_id, stations=[StationApplyBody.of(r) for r in results])


@templates_router.get(
    "/{template_id}/drift",
    summary="Show where stations differ from a template",
    description="For each selected station, the template's values whose stored device-model value differs "
    "(or is unknown: never read), whether it is online, and its last apply (when, how, per-item results).",
    response_model=DriftBody,
    responses=error_responses(404),
)
async def template_drift(
    template_id: TemplateId, template_service: Annotated[TemplateService, Provided(TemplateService)]
) -> DriftBody:
    return DriftBody.of(await template_service.drift(template_id))
