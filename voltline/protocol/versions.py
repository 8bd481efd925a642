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
from voltline.protocol.v16 import configuration as v16_configuration
from voltline.protocol.v16 import local_lists as v16_local_lists
from voltline.protocol.v16 import remote_control as v16_remote_control
from voltline.protocol.v16.routes import ROUTES as V16_ROUTES
from voltline.protocol.v201 import commands as v201_commands
from voltline.protocol.v201 import configuration as v201_configuration
from voltline.protocol.v201 import local_lists as v201_local_lists
from voltline.protocol.v201 import remote_control as v201_remote_control
from voltline.protocol.v201.routes import ROUTES as V201_ROUTES


@dataclass(slots=True, frozen=True)
class VersionAdapter:
    version: OcppVersion
    routes: RouteTable
    encoders: Mapping[type[Command], Encoder]

    def encode(self, command: Command) -> OutboundCall:
        return encode_with(self.encoders, command, self.version.value.removeprefix("ocpp"))


ADAPTERS: dict[OcppVersion, VersionAdapter] = {
    OcppVersion.V16: VersionAdapter(
        OcppVersion.V16,
        V16_ROUTES,
        merge_tables(
            v16_commands.ENCODERS,
            v16_configuration.ENCODERS,
            v16_local_lists.ENCODERS,
            v16_remote_control.ENCODERS,
        ),
    ),
    OcppVersion.V201: VersionAdapter(
        OcppVersion.V201,
        V201_ROUTES,
        merge_tables(
            v201_commands.ENCODERS,
            v201_configuration.ENCODERS,
            v201_local_lists.ENCODERS,
            v201_remote_control.ENCODERS,
        ),
    ),
}
