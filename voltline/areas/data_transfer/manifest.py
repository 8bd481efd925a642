"""Vendor-specific DataTransfer, both ways: handlers per vendor id for what stations send, and the command
operators send through the API."""

from __future__ import annotations

from voltline.areas.data_transfer import api
from voltline.areas.data_transfer.ocpp import v16, v201
from voltline.areas.data_transfer.service import DataTransferRegistry, DataTransferService
from voltline.kernel.area import Area, AreaContext, OcppBinding
from voltline.kernel.commands import CommandService
from voltline.kernel.versions import OcppVersion


def build(context: AreaContext) -> None:
    context.services.provide(DataTransferRegistry())
    context.services.provide(DataTransferService(context.services[CommandService]))


AREA = Area(
    name="data_transfer",
    build=build,
    ocpp={
        OcppVersion.V16: OcppBinding(routes=v16.routes, encoders=v16.ENCODERS),
        OcppVersion.V201: OcppBinding(routes=v201.routes, encoders=v201.ENCODERS),
    },
    api_routers=lambda: [api.router],
)
