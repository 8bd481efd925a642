"""Live events: the network's events (connects, boots, status, transactions, meter values, commands) as a
server-sent event stream."""

from __future__ import annotations

from voltline.areas.live_events import api
from voltline.kernel.area import Area, AreaContext


def build(context: AreaContext) -> None:
    """The event hub itself is a platform service every area publishes to; this area only serves it."""


AREA = Area(name="live_events", build=build, api_routers=lambda: [api.router])
