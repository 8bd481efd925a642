"""The audit trail: who changed what, when, with which result; every station command included."""

from __future__ import annotations

from voltline.areas.audit import api
from voltline.areas.audit.service import AuditService
from voltline.areas.audit.sql import REPOSITORIES
from voltline.kernel.area import Area, AreaContext
from voltline.kernel.commands import CommandService


def build(context: AreaContext) -> None:
    audit = context.services.provide(AuditService(context.storage))
    context.services[CommandService].audit = audit  # every command sent to a station is recorded


AREA = Area(
    name="audit",
    build=build,
    api_routers=lambda: [api.router],
    repositories=lambda: REPOSITORIES,
)
