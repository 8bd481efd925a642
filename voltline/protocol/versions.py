"""One OCPP version's route table and command encoders, assembled from the areas' parts.

The protocol layer does not know the areas: the composition root hands each version's parts over (every
area's routes, bound to its services, and its encoder table), and this module merges them, refusing an
action or a command type that two areas claim.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from voltline.kernel.commands import Command
from voltline.kernel.versions import OcppVersion
from voltline.protocol.commands import Encoder, EncoderTable, OutboundCall, encode_with, merge_tables
from voltline.protocol.dispatcher import Handler, RouteTable


@dataclass(slots=True, frozen=True)
class VersionEncoders:
    version: OcppVersion
    encoders: Mapping[type[Command], Encoder]

    def encode(self, command: Command) -> OutboundCall:
        return encode_with(self.encoders, command, self.version.number)


def merge_routes(tables: Iterable[RouteTable]) -> dict[str, Handler]:
    merged: dict[str, Handler] = {}
    for table in tables:
        for action, handler in table.items():
            if action in merged:
                raise ValueError(f"two handlers for {action}")
            merged[action] = handler
    return merged


def version_encoders(version: OcppVersion, tables: Iterable[EncoderTable]) -> VersionEncoders:
    return VersionEncoders(version, merge_tables(*tables))
