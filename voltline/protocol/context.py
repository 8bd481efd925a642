"""What a handler knows about the station it is serving."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from voltline.domain.services import Services
from voltline.ocppj import OcppVersion


@dataclass(slots=True)
class StationContext:
    station_id: str
    version: OcppVersion
    services: Services
    # Whether the station's last boot was Accepted: until then only BootNotification is served.
    accepted: bool = False
    # Set by a handler whose answer must reach the station before follow-up work starts (an Accepted
    # boot): the dispatcher runs it once the answer was sent.
    after_answer: Callable[[], None] | None = None
