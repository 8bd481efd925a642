"""The audit trail: who changed what, when, with which result; every station command included."""

from __future__ import annotations

from voltline.areas.audit import api
from voltline.areas.audit.service import AuditConfig, AuditService
from voltline.areas.audit.settings import AuditSettings
from voltline.areas.audit.sql import REPOSITORIES
from voltline.kernel.area import Area, AreaContext
from voltline.kernel.background import Timers
from voltline.kernel.commands import CommandCompleted
from voltline.kernel.events import EventBus
from voltline.kernel.services import ServiceRegistry


def build(context: AreaContext) -> None:
    settings = context.settings_of(AuditSettings)
    config = AuditConfig(
        anonymous_per_minute=settings.audit_anonymous_per_minute, retention_days=settings.audit_retention_days
    )
    audit = context.services.provide(AuditService(context.storage, config))
    # Every command sent to a station is recorded, before its sender learns the outcome.
    context.services[EventBus].subscribe_in_transaction_many(CommandCompleted, audit.commands_completed)

    async def write_suppressed() -> None:
        await audit.write_suppressed()

    # Once a minute is over, what anonymous clients sent beyond their budget: one entry per address.
    context.services[Timers].every(config.summary_interval, "audit-suppressed", write_suppressed)


async def start(services: ServiceRegistry) -> None:
    services[AuditService].start()  # the retention purge: now, then hourly


async def flush(services: ServiceRegistry) -> None:
    await services[AuditService].close()  # after the API stopped: the current minute's suppressed counts


AREA = Area(
    name="audit",
    build=build,
    api_routers=lambda: [api.router],
    repositories=lambda: REPOSITORIES,
    start=start,
    flush=flush,
    settings=AuditSettings,
)
