"""Each supported OCPP version's route table and command encoder, in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from voltline.domain.commands import Command
from voltline.ocppj import OcppVersion
from voltline.protocol import v16, v201  # noqa: F401  (packages, for the explicit imports below)
from voltline.protocol.dispatcher import RouteTable
from voltline.protocol.v16 import commands as v16_commands
from voltline.protocol.v16.routes import ROUTES as V16_ROUTES
from voltline.protocol.v201 import commands as v201_commands
from voltline.protocol.v201.routes import ROUTES as V201_ROUTES


@dataclass(slots=True, frozen=True)
class VersionAdapter:
    version: OcppVersion
    routes: RouteTable
    encode: Callable[[Command], tuple[str, dict[str, Any]]]


ADAPTERS: dict[OcppVersion, VersionAdapter] = {
    OcppVersion.V16: VersionAdapter(OcppVersion.V16, V16_ROUTES, v16_commands.encode),
    OcppVersion.V201: VersionAdapter(OcppVersion.V201, V201_ROUTES, v201_commands.encode),
}
