"""Device configuration: settings read and written, the device model kept per station, templates with
drift and apply-on-boot."""

from __future__ import annotations

from voltline.areas.configuration import api
from voltline.areas.configuration.ocpp import v16, v201, v201_reports
from voltline.areas.configuration.service import ConfigurationService
from voltline.areas.configuration.sql import REPOSITORIES
from voltline.areas.configuration.templates import TemplateService
from voltline.areas.stations.model import StationBootAccepted
from voltline.kernel.after_boot import AfterBoot
from voltline.kernel.area import Area, AreaContext, OcppBinding
from voltline.kernel.background import Timers
from voltline.kernel.commands import CommandService
from voltline.kernel.events import EventBus
from voltline.kernel.pending_requests import PendingRequests
from voltline.kernel.versions import OcppVersion


def build(context: AreaContext) -> None:
    services = context.services
    commands = services[CommandService]
    configuration = services.provide(ConfigurationService(context.storage, commands, services[PendingRequests]))
    templates = services.provide(TemplateService(context.storage, configuration, commands))
    after_boot = services[AfterBoot]
    # Apply-on-boot templates: after each boot (before the local list, whose area comes later) ...
    services[EventBus].subscribe_after_commit(
        StationBootAccepted, lambda event: after_boot.request(event.station_id, templates.reconcile)
    )

    # ... and again from the timer while a run failed; on the same per-station work as the boot's steps, so
    # a retry never overlaps them and a newer boot cancels it.
    async def retry_failed_runs() -> None:
        for station_id in await templates.unconverged():
            after_boot.request(station_id, templates.retry)

    services[Timers].every(context.settings.reconcile_interval, "configuration-templates", retry_failed_runs)


AREA = Area(
    name="configuration",
    build=build,
    ocpp={
        OcppVersion.V16: OcppBinding(encoders=v16.ENCODERS),
        OcppVersion.V201: OcppBinding(routes=v201_reports.routes, encoders=v201.ENCODERS),
    },
    api_routers=lambda: [api.stations_router, api.templates_router],
    repositories=lambda: REPOSITORIES,
)
