"""The audit trail: who changed what, when, with which result; every station command included."""

from __future__ import annotations

from voltline.areas.audit import api
from voltline.areas.audit.service import AuditService
from voltline.areas.audit.sql import REPOSITORIES
from voltline.kernel.area import Area, AreaContext
from voltline.kernel.commands import CommandCompleted
from voltline.kernel.events import EventBus


def build(context: AreaContext) -> None:
    audit = context.services.provide(AuditService(context.storage))
    # Every command sent to a station is recorded, before its sender learns the outcome.
    context.services[EventBus].subscribe_in_transaction(CommandCompleted, audit.command_completed)


AREA = Area(
    name="audit",
    build=build,
    api_routers=lambda: [api.router],
    repositories=lambda: REPOSITORIES,
)
