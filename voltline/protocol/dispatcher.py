"""Per-connection dispatcher: a version's route table bound to one station's context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from voltline.ocppj import ErrorKind, OcppError
from voltline.protocol.context import StationContext

Handler = Callable[[StationContext, dict[str, Any]], Awaitable[dict[str, Any]]]
RouteTable = Mapping[str, Handler]

# The only request a station may send before its boot was Accepted (OCPP 1.6 4.2, 2.0.1 B02/B03).
_BEFORE_ACCEPTED = frozenset({"BootNotification"})


class StationDispatcher:
    """Implements `voltline.ocppj.Dispatcher` for one station connection."""

    __slots__ = ("_context", "_routes")

    def __init__(self, context: StationContext, routes: RouteTable) -> None:
        self._context = context
        self._routes = routes

    def supports(self, action: str) -> bool:
        return action in self._routes

    async def handle(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        if not self._context.accepted and action not in _BEFORE_ACCEPTED:
            raise OcppError(
                ErrorKind.SECURITY, f"{action} refused: the station's BootNotification has not been Accepted"
            )
        return await self._routes[action](self._context, payload)

    def answered(self, action: str) -> None:
        follow_up = self._context.after_answer
        if follow_up is not None:
            self._context.after_answer = None
            follow_up()
