"""The OCPP message log: every frame in and out of each station, kept for a while, for diagnostics."""

from __future__ import annotations

from voltline.areas.message_log import api
from voltline.areas.message_log.service import MessageLog, MessageLogConfig
from voltline.areas.message_log.settings import MessageLogSettings
from voltline.areas.message_log.sql import REPOSITORIES
from voltline.kernel.area import Area, AreaContext
from voltline.kernel.services import ServiceRegistry


def build(context: AreaContext) -> None:
    settings = context.settings_of(MessageLogSettings)
    config = MessageLogConfig(enabled=settings.message_log, retention_days=settings.message_log_retention_days)
    storage = context.message_log_storage or context.storage
    context.services.provide(MessageLog(storage, config, registry=context.storage))


async def start(services: ServiceRegistry) -> None:
    services[MessageLog].start()


async def flush(services: ServiceRegistry) -> None:
    await services[MessageLog].close()  # writes the frames still queued


AREA = Area(
    name="message_log",
    build=build,
    api_routers=lambda: [api.router],
    repositories=lambda: REPOSITORIES,
    start=start,
    flush=flush,
    settings=MessageLogSettings,
)
