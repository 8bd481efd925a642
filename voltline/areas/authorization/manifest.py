"""Authorization: the id token registry and the verdict every version's Authorize and transactions use."""

from __future__ import annotations

from voltline.areas.authorization import api
from voltline.areas.authorization.ocpp import v16, v201
from voltline.areas.authorization.service import AuthorizationService
from voltline.areas.authorization.sql import REPOSITORIES
from voltline.kernel.area import Area, AreaContext, OcppBinding
from voltline.kernel.events import EventBus
from voltline.kernel.versions import OcppVersion


def build(context: AreaContext) -> None:
    # Publishes TokenChanged in each change's transaction (local lists subscribe).
    context.services.provide(AuthorizationService(context.storage, context.services[EventBus]))


AREA = Area(
    name="authorization",
    build=build,
    ocpp={OcppVersion.V16: OcppBinding(routes=v16.routes), OcppVersion.V201: OcppBinding(routes=v201.routes)},
    api_routers=lambda: [api.router],
    repositories=lambda: REPOSITORIES,
)
