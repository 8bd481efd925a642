"""Each supported OCPP version's route table and command encoders, in one place.

A functional area adds its encoder table to the `merge_tables` call of each version it supports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from voltline.domain.commands import Command
from voltline.ocppj import OcppVersion
from voltline.protocol.commands import Encoder, OutboundCall, encode_with, merge_tables
from voltline.protocol.dispatcher import RouteTable
from voltline.protocol.v16 import commands as v16_commands
from voltline.protocol.v16.routes import ROUTES as V16_ROUTES
from voltline.protocol.v201 import commands as v201_commands
from voltline.protocol.v201.routes import ROUTES as V201_ROUTES


@dataclass(slots=True, frozen=True)
class VersionAdapter:
    version: OcppVersion
    routes: RouteTable
    encoders: Mapping[type[Command], Encoder]

    def encode(self, command: Command) -> OutboundCall:
        return encode_with(self.encoders, command, self.version.value)


ADAPTERS: dict[OcppVersion, VersionAdapter] = {
    OcppVersion.V16: VersionAdapter(
        OcppVersion.V16,
        V16_ROUTES,
        merge_tables(
            v16_commands.ENCODERS,
        ),
    ),
    OcppVersion.V201: VersionAdapter(
        OcppVersion.V201,
        V201_ROUTES,
        merge_tables(
            v201_commands.ENCODERS,
        ),
    ),
}
