"""Device configuration: settings read and written, the device model kept per station, templates with
drift and apply-on-boot."""

from __future__ import annotations

from voltline.areas.configuration import api
from voltline.areas.configuration.ocpp import v16, v201, v201_reports
from voltline.areas.configuration.service import ConfigurationService
from voltline.areas.configuration.sql import REPOSITORIES
from voltline.areas.configuration.templates import TemplateService
from voltline.kernel.after_boot import AfterBoot
from voltline.kernel.area import Area, AreaContext, OcppBinding
from voltline.kernel.commands import CommandService
from voltline.kernel.pending_requests import PendingRequests
from voltline.kernel.versions import OcppVersion


def build(context: AreaContext) -> None:
    services = context.services
    commands = services[CommandService]
    configuration = services.provide(ConfigurationService(context.storage, commands, services[PendingRequests]))
    templates = services.provide(TemplateService(context.storage, configuration, commands))
    services[AfterBoot].register("configuration_templates", templates.on_boot)


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
