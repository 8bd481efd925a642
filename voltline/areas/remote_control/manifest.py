"""Remote control: remote start and stop, reset, unlock, availability, trigger, cache and display messages."""

from __future__ import annotations

from voltline.areas.authorization.service import AuthorizationService
from voltline.areas.remote_control import api
from voltline.areas.remote_control.ocpp import v16, v16_remote_start, v201, v201_remote_start
from voltline.areas.remote_control.service import ApprovalBoots, RemoteControlService
from voltline.areas.stations.model import StationApproved
from voltline.areas.transactions.remote_starts import ExpectedStarts
from voltline.areas.transactions.service import TransactionService
from voltline.kernel.area import Area, AreaContext, OcppBinding
from voltline.kernel.commands import CommandService
from voltline.kernel.events import EventBus
from voltline.kernel.pending_requests import PendingRequests
from voltline.kernel.services import ServiceRegistry
from voltline.kernel.versions import OcppVersion


def build(context: AreaContext) -> None:
    services = context.services
    remote_control = services.provide(
        RemoteControlService(
            services[CommandService],
            services[TransactionService],
            services[PendingRequests],
            context.settings.call_timeout,
            authorization=services[AuthorizationService],
            expected_starts=services[ExpectedStarts],
        )
    )
    # An approved Pending station that is connected boots again at once (see ApprovalBoots).
    approval_boots = services.provide(ApprovalBoots(remote_control, services[CommandService]))
    services[EventBus].subscribe_after_commit(StationApproved, approval_boots.approved)


async def stop(services: ServiceRegistry) -> None:
    await services[ApprovalBoots].close()


AREA = Area(
    name="remote_control",
    build=build,
    ocpp={
        OcppVersion.V16: OcppBinding(encoders={**v16_remote_start.ENCODERS, **v16.ENCODERS}),
        OcppVersion.V201: OcppBinding(routes=v201.routes, encoders={**v201_remote_start.ENCODERS, **v201.ENCODERS}),
    },
    api_routers=lambda: [api.router],
    stop=stop,
)
