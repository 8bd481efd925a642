"""Per-connection dispatcher: a version's route table bound to one station's context.

Boot acceptance is decided here once for every version: a BootNotification answered with status Accepted
opens the station's other actions, and once that answer is on the wire the `on_boot_accepted` callback
runs (after-boot work must not reach the station before the answer it follows).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from voltline.ocppj import ErrorKind, OcppError
from voltline.protocol.context import StationContext

Handler = Callable[[StationContext, dict[str, Any]], Awaitable[dict[str, Any]]]
RouteTable = Mapping[str, Handler]
BootAccepted = Callable[[str], None]

# The only request a station may send before its boot was Accepted (OCPP 1.6 4.2, 2.0.1 B02/B03).
_BOOT = "BootNotification"
# Both versions answer a boot with a RegistrationStatus spelled the same way.
_ACCEPTED = "Accepted"


class StationDispatcher:
    """Implements `voltline.ocppj.Dispatcher` for one station connection."""

    __slots__ = ("_boot_answered", "_context", "_on_boot_accepted", "_routes")

    def __init__(
        self, context: StationContext, routes: RouteTable, on_boot_accepted: BootAccepted | None = None
    ) -> None:
        self._context = context
        self._routes = routes
        self._on_boot_accepted = on_boot_accepted
        self._boot_answered = False  # an Accepted boot answer awaits being sent

    def supports(self, action: str) -> bool:
        return action in self._routes

    async def handle(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        context = self._context
        if action == _BOOT:
            response = await self._routes[action](context, payload)
            context.accepted = response.get("status") == _ACCEPTED
            self._boot_answered = context.accepted
            return response
        if not context.accepted:
            raise OcppError(
                ErrorKind.SECURITY, f"{action} refused: the station's BootNotification has not been Accepted"
            )
        return await self._routes[action](context, payload)

    def answered(self, action: str) -> None:
        if self._boot_answered and action == _BOOT:
            self._boot_answered = False
            if self._on_boot_accepted is not None:
                self._on_boot_accepted(self._context.station_id)
