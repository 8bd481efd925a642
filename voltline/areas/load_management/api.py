"""/api/v1/sites, /api/v1/demand-response, /api/v1/charging-plans and a session's charging need: load
management."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.api.params import StationId
from voltline.api.schemas import MAX_INT32, UtcDatetime
from voltline.areas.load_management.model import DrState, PriceCurve
from voltline.areas.load_management.prices import parse_price_csv
from voltline.areas.load_management.schemas import (
    SITE_ID_PATTERN,
    AllocationBody,
    AssignmentBody,
    AssignmentFields,
    AssignmentsRequest,
    BaseLoadRequest,
    CircuitBody,
    CircuitsRequest,
    DrEventBody,
    DrEventChange,
    DrEventRequest,
    NeedRequest,
    PlanBody,
    PlanRequest,
    PricesBody,
    PricesRequest,
    SessionPlanBody,
    SiteBody,
    SiteFields,
    SiteLoadBody,
    SiteRequest,
)
from voltline.areas.load_management.service import LoadManagementService
from voltline.areas.load_management.signals import SIGNAL_ADAPTERS
from voltline.kernel.errors import InvalidRequest, NotFound

sites_router = APIRouter(prefix="/sites", tags=["load management"])
dr_router = APIRouter(prefix="/demand-response", tags=["load management"])
plans_router = APIRouter(prefix="/charging-plans", tags=["load management"])
sessions_router = APIRouter(prefix="/transactions/{transaction_id}", tags=["load management"])

Service = Annotated[LoadManagementService, Provided(LoadManagementService)]
SiteId = Annotated[
    str,
    Path(pattern=SITE_ID_PATTERN, description="The site's id.", json_schema_extra={"minLength": 1, "maxLength": 48}),
]
EventId = Annotated[int, Path(ge=1, le=MAX_INT32)]
PlanId = Annotated[int, Path(ge=1, le=MAX_INT32)]
TransactionId = Annotated[int, Path(ge=1, le=MAX_INT32, description="Voltline's transaction id.")]
MAX_PRICE_BODY = 2 * 1024 * 1024


# ---------------------------------------------------------------------------------------- sites


@sites_router.get("", summary="List sites", response_model=list[SiteBody])
async def list_sites(service: Service) -> list[SiteBody]:
    return [SiteBody.of(s) for s in await service.sites()]


@sites_router.post(
    "",
    summary="Create a site",
    description="A grid connection with its limit (A per phase or kW), optional circuits nested under it "
    "(each limit at most its parent's), peak windows in the site's time zone and the sharing strategy. "
    "422 names each problem (a circuit over its parent, a cycle, an unknown parent or zone); nothing is stored then.",
    response_model=SiteBody,
    status_code=201,
    responses=error_responses(409, 422),
)
async def create_site(body: SiteRequest, service: Service, response: Response) -> SiteBody:
    site, _ = await service.put_site(body.to_domain(body.id), create_only=True)
    response.headers["Location"] = f"/api/v1/sites/{site.site_id}"
    return SiteBody.of(site)


@sites_router.get("/{site_id}", summary="View a site", response_model=SiteBody, responses=error_responses(404, 422))
async def get_site(site_id: SiteId, service: Service) -> SiteBody:
    return SiteBody.of(await service.site(site_id))


@sites_router.put(
    "/{site_id}",
    summary="Create or replace a site",
    description="The whole site; circuits that still have stations cannot be removed (422).",
    response_model=SiteBody,
    responses={201: {"description": "Created.", "model": SiteBody}, **error_responses(422)},
)
async def put_site(site_id: SiteId, body: SiteFields, service: Service, response: Response) -> SiteBody:
    site, created = await service.put_site(body.to_domain(site_id))
    if created:
        response.status_code = 201
    return SiteBody.of(site)


@sites_router.delete(
    "/{site_id}",
    summary="Delete a site",
    description="Clears the controller's profiles on its stations first (they keep their own limits), then "
    "removes the site with its assignments, prices and history.",
    status_code=204,
    responses=error_responses(404, 422),
)
async def delete_site(site_id: SiteId, service: Service) -> Response:
    await service.delete_site(site_id)
    return Response(status_code=204)


@sites_router.get(
    "/{site_id}/circuits",
    summary="A site's circuits",
    response_model=list[CircuitBody],
    responses=error_responses(404, 422),
)
async def get_circuits(site_id: SiteId, service: Service) -> list[CircuitBody]:
    return [CircuitBody.of(c) for c in (await service.site(site_id)).circuits]


@sites_router.put(
    "/{site_id}/circuits",
    summary="Replace a site's circuits",
    description="The whole tree at once, checked whole (422 names each problem).",
    response_model=list[CircuitBody],
    responses=error_responses(404, 422),
)
async def put_circuits(site_id: SiteId, body: CircuitsRequest, service: Service) -> list[CircuitBody]:
    site = await service.site(site_id)
    site.circuits = tuple(c.to_domain() for c in body.circuits)
    stored, _ = await service.put_site(site)
    return [CircuitBody.of(c) for c in stored.circuits]


@sites_router.get(
    "/{site_id}/stations",
    summary="The stations of a site",
    response_model=list[AssignmentBody],
    responses=error_responses(404, 422),
)
async def list_assignments(site_id: SiteId, service: Service) -> list[AssignmentBody]:
    return [AssignmentBody.of(a) for a in await service.assignments(site_id)]


@sites_router.post(
    "/{site_id}/stations",
    summary="Assign stations to a site",
    description="Each station (or one EVSE of it) hangs off a circuit with its phase rotation and maximum. "
    "All or none: 422 names every unknown station or circuit. A station of another site moves here.",
    response_model=list[AssignmentBody],
    responses=error_responses(404, 422),
)
async def assign_stations(site_id: SiteId, body: AssignmentsRequest, service: Service) -> list[AssignmentBody]:
    done = await service.assign([a.to_domain(site_id, a.station_id) for a in body.stations])
    return [AssignmentBody.of(a) for a in done]


@sites_router.put(
    "/{site_id}/stations/{station_id}",
    summary="Assign one station to a site",
    response_model=list[AssignmentBody],
    responses=error_responses(404, 422),
)
async def assign_station(
    site_id: SiteId, station_id: StationId, body: AssignmentFields, service: Service
) -> list[AssignmentBody]:
    done = await service.assign([body.to_domain(site_id, station_id)])
    return [AssignmentBody.of(a) for a in done if a.station_id == station_id]


@sites_router.delete(
    "/{site_id}/stations/{station_id}",
    summary="Take a station off a site",
    status_code=204,
    responses=error_responses(404, 422),
)
async def unassign_station(
    site_id: SiteId,
    station_id: StationId,
    service: Service,
    evse_id: Annotated[int | None, Query(ge=0, le=MAX_INT32, description="Only this EVSE's assignment.")] = None,
) -> Response:
    await service.unassign(site_id, station_id, evse_id)
    return Response(status_code=204)


@sites_router.get(
    "/{site_id}/load",
    summary="A site's load now",
    description="Per phase, per circuit and per EVSE: the limits in force and why, what the meters read, "
    "which EVSEs are paused, and which circuits are overloaded by loads the controller cannot lower.",
    response_model=SiteLoadBody,
    responses=error_responses(404, 422),
)
async def site_load(site_id: SiteId, service: Service) -> SiteLoadBody:
    return SiteLoadBody.of(service.load(site_id))


@sites_router.get(
    "/{site_id}/allocations",
    summary="The history of a site's allocations",
    description="Newest first: when, why, the limit in force, every EVSE's limit, who was paused.",
    response_model=list[AllocationBody],
    responses=error_responses(404, 422),
)
async def allocations(
    site_id: SiteId,
    service: Service,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[UtcDatetime | None, Query(description="Only those before this time.")] = None,
) -> list[AllocationBody]:
    rows = await service.history(site_id, limit=limit, before=before)
    return [AllocationBody.model_construct(at=at, reason=reason, decision=decision) for at, reason, decision in rows]


@sites_router.put(
    "/{site_id}/base-load",
    summary="Feed a site's measured base load",
    description="A meter without a station (the building's consumption): subtracted from the connection's "
    "limit while it is fresh (VOLTLINE_LOAD_MANAGEMENT_BASE_LOAD_MAX_AGE_S), else the fixed base load is.",
    status_code=204,
    responses=error_responses(404, 422),
)
async def base_load(site_id: SiteId, body: BaseLoadRequest, service: Service) -> Response:
    l1, l2, l3 = body.currents_a
    await service.measure_base_load(site_id, (l1, l2, l3), body.measured_at)
    return Response(status_code=204)


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its one level of `$defs` put in place: an operation's inline schema cannot point at
    its own `$defs` (a `#/...` reference means the whole OpenAPI document)."""
    definitions = schema.pop("$defs", {})
    for prop in schema["properties"].values():
        items = prop.get("items", {})
        if "$ref" in items:
            prop["items"] = definitions[items["$ref"].rsplit("/", 1)[1]]
    return schema


# The body is read raw because it is JSON or CSV; the JSON form is still PricesRequest, checked strictly.
_PRICES_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _inlined(PricesRequest.model_json_schema())},
            "text/csv": {
                "schema": {
                    "type": "string",
                    "pattern": r"^start,end,price_per_kwh",
                    "examples": ["start,end,price_per_kwh\n2026-12-06T00:00:00Z,2026-12-06T01:00:00Z,0.21\n"],
                }
            },
        },
    }
}


def _json_prices(body: bytes) -> PriceCurve:
    try:
        return PricesRequest.model_validate_json(body).to_domain()
    except ValidationError as exc:
        raise RequestValidationError([{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]) from None


@sites_router.put(
    "/{site_id}/prices",
    summary="Set a site's energy price curve",
    description='JSON (`{"currency": "EUR", "periods": [{"start", "end", "price_per_kwh"}]}`) or CSV '
    "(`start,end,price_per_kwh` with a header; the currency in the `currency` query). Replaces the curve "
    "whole; 422 names the line or entry that is wrong (unparsable, overlapping, end before start).",
    response_model=PricesBody,
    openapi_extra=_PRICES_OPENAPI,
    responses=error_responses(404, 413, 415, 422),
)
async def put_prices(
    site_id: SiteId,
    request: Request,
    service: Service,
    currency: Annotated[
        str | None, Query(pattern=r"^[A-Z]{3}$", description="CSV: the currency (default EUR).")
    ] = None,
) -> PricesBody:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in ("application/json", "text/csv"):
        raise HTTPException(415, "send the prices as application/json or text/csv")
    if media == "application/json" and currency is not None:
        raise InvalidRequest("currency: the query is for CSV; JSON names its currency in the body")
    body = await request.body()
    if len(body) > MAX_PRICE_BODY:
        raise HTTPException(413, f"prices: at most {MAX_PRICE_BODY} bytes")
    if media == "application/json":
        curve = await service.put_prices(site_id, lambda: _json_prices(body))
    else:
        curve = await service.put_prices(site_id, lambda: parse_price_csv(body, currency or "EUR"))
    return PricesBody.of(curve)


@sites_router.get(
    "/{site_id}/prices",
    summary="A site's energy price curve",
    response_model=PricesBody,
    responses=error_responses(404, 422),
)
async def get_prices(site_id: SiteId, service: Service) -> PricesBody:
    curve = await service.prices(site_id)
    if curve is None:
        raise NotFound(f"site {site_id!r} has no price curve")
    return PricesBody.of(curve)


# ---------------------------------------------------------------------------------------- demand response


@dr_router.get("/events", summary="List demand-response events", response_model=list[DrEventBody])
async def list_events(
    service: Service,
    open: Annotated[bool, Query(description="Only scheduled and active ones.")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DrEventBody]:
    return [DrEventBody.of(e) for e in await service.dr_events(open_only=open, limit=limit)]


@dr_router.post(
    "/events",
    summary="Create a demand-response event",
    description="For a site or a group of sites: a target (kW or A absolute, or a percent reduction of the "
    "site's load when the event begins), a start (default now) and a duration. The controller applies it at "
    "its start and restores at its end; the event shows its compliance per minute. Overlapping events on "
    "one site are refused (422 naming the other one).",
    response_model=DrEventBody,
    status_code=201,
    responses=error_responses(422),
)
async def create_event(body: DrEventRequest, service: Service, response: Response) -> DrEventBody:
    event = await service.add_dr_event(body.to_domain(datetime.now(UTC)))
    response.headers["Location"] = f"/api/v1/demand-response/events/{event.event_id}"
    return DrEventBody.of(event)


@dr_router.get(
    "/events/{event_id}",
    summary="View a demand-response event",
    response_model=DrEventBody,
    responses=error_responses(404, 422),
)
async def get_event(event_id: EventId, service: Service) -> DrEventBody:
    return DrEventBody.of(await service.dr_event(event_id))


@dr_router.patch(
    "/events/{event_id}",
    summary="Change a demand-response event",
    description="Its target, value, duration or priority, also while it is active (the controller follows at once).",
    response_model=DrEventBody,
    responses=error_responses(404, 409, 422),
)
async def change_event(event_id: EventId, body: DrEventChange, service: Service) -> DrEventBody:
    changes: dict[str, Any] = {}
    if body.target is not None:
        changes["target"] = body.target
    if body.value is not None:
        changes["value"] = body.value
    if body.priority is not None:
        changes["priority"] = body.priority
    if body.duration_s is not None:
        event = await service.dr_event(event_id)
        changes["end"] = event.start + timedelta(seconds=body.duration_s)
    return DrEventBody.of(await service.change_dr_event(event_id, changes))


@dr_router.delete(
    "/events/{event_id}",
    summary="Cancel a demand-response event",
    description="A scheduled event never starts; an active one ends now and the site's limit is restored.",
    response_model=DrEventBody,
    responses=error_responses(404, 409, 422),
)
async def cancel_event(event_id: EventId, service: Service) -> DrEventBody:
    return DrEventBody.of(await service.change_dr_event(event_id, {"state": DrState.CANCELLED}))


@dr_router.post(
    "/signals/{adapter}",
    summary="Receive a grid signal",
    description="A webhook for grid signals (`json`: Voltline's own shape; see the README). The adapter turns "
    "the signal into events: a new id creates one, a known id changes it, status `cancelled` cancels it.",
    response_model=list[DrEventBody],
    responses=error_responses(404, 409, 422),
    # Read raw: each adapter owns its sender's shape and checks it itself.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "description": "The adapter's shape."}}},
        }
    },
)
async def receive_signal(
    adapter: Annotated[str, Path(pattern=r"^[a-z0-9_-]{1,32}$")], request: Request, service: Service
) -> list[DrEventBody]:
    parser = SIGNAL_ADAPTERS.get(adapter)
    if parser is None:
        raise NotFound(f"no grid signal adapter {adapter!r} (known: {', '.join(sorted(SIGNAL_ADAPTERS))})")
    signals = parser.parse(await request.body())
    return [DrEventBody.of(e) for e in await parser.apply(signals, service)]


# ---------------------------------------------------------------------------------------- plans and sessions


@plans_router.get("", summary="List charging plans", response_model=list[PlanBody])
async def list_plans(service: Service) -> list[PlanBody]:
    return [PlanBody.of(p) for p in await service.plans()]


@plans_router.post(
    "",
    summary="Create a charging plan",
    description="For a token or a token group: departure by weekday (local time at the site), the energy "
    "wanted (or a target state of charge with the battery's size), a price cap, or charge now.",
    response_model=PlanBody,
    status_code=201,
    responses=error_responses(422),
)
async def create_plan(body: PlanRequest, service: Service, response: Response) -> PlanBody:
    plan = await service.put_plan(body.to_domain())
    response.headers["Location"] = f"/api/v1/charging-plans/{plan.plan_id}"
    return PlanBody.of(plan)


@plans_router.get(
    "/{plan_id}", summary="View a charging plan", response_model=PlanBody, responses=error_responses(404, 422)
)
async def get_plan(plan_id: PlanId, service: Service) -> PlanBody:
    return PlanBody.of(await service.plan(plan_id))


@plans_router.put(
    "/{plan_id}", summary="Replace a charging plan", response_model=PlanBody, responses=error_responses(404, 422)
)
async def put_plan(plan_id: PlanId, body: PlanRequest, service: Service) -> PlanBody:
    return PlanBody.of(await service.put_plan(body.to_domain(plan_id)))


@plans_router.delete(
    "/{plan_id}", summary="Delete a charging plan", status_code=204, responses=error_responses(404, 422)
)
async def delete_plan(plan_id: PlanId, service: Service) -> Response:
    await service.delete_plan(plan_id)
    return Response(status_code=204)


@sessions_router.put(
    "/charging-need",
    summary="Set a session's charging need",
    description="Overrides its plan: the energy wanted and the departure (the controller plans the cheapest "
    "charging where the site has prices), or charge now.",
    status_code=204,
    responses=error_responses(404, 409, 422),
)
async def put_need(transaction_id: TransactionId, body: NeedRequest, service: Service) -> Response:
    await service.set_session_need(transaction_id, body.to_domain())
    return Response(status_code=204)


@sessions_router.delete(
    "/charging-need",
    summary="Drop a session's own need (its plan applies again)",
    status_code=204,
    responses=error_responses(404, 409, 422),
)
async def delete_need(transaction_id: TransactionId, service: Service) -> Response:
    await service.set_session_need(transaction_id, None)
    return Response(status_code=204)


@sessions_router.get(
    "/charging-plan",
    summary="A session's planned charging",
    description="The steps the controller planned for its need, the planned cost against charging at once.",
    response_model=SessionPlanBody,
    responses=error_responses(404, 422),
)
async def session_plan(transaction_id: TransactionId, service: Service) -> SessionPlanBody:
    site_id, plan, need = service.session_plan(transaction_id)
    return SessionPlanBody.of(transaction_id, site_id, plan, need)
