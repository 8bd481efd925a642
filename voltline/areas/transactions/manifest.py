"""Transactions: 1.6 start/stop and 2.0.1 events, meter values, energy, and messages set aside for review."""

from __future__ import annotations

from voltline.areas.transactions import api
from voltline.areas.transactions.ocpp import v16, v201
from voltline.areas.transactions.remote_starts import ExpectedStarts
from voltline.areas.transactions.reviews import ReviewService
from voltline.areas.transactions.service import TransactionService
from voltline.areas.transactions.sql import REPOSITORIES
from voltline.kernel.activity import ActivityFeed
from voltline.kernel.area import Area, AreaContext, OcppBinding
from voltline.kernel.live_events import EventHub
from voltline.kernel.versions import OcppVersion


def build(context: AreaContext) -> None:
    services = context.services
    # Remote control records the remote starts it sends here; the transactions they lead to are linked.
    expected = services.provide(ExpectedStarts())
    services.provide(TransactionService(context.storage, services[EventHub], expected, services[ActivityFeed]))
    services.provide(ReviewService(context.storage))


AREA = Area(
    name="transactions",
    build=build,
    ocpp={OcppVersion.V16: OcppBinding(routes=v16.routes), OcppVersion.V201: OcppBinding(routes=v201.routes)},
    api_routers=lambda: [api.router, api.reviews_router],
    repositories=lambda: REPOSITORIES,
)
