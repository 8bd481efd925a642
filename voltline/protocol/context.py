"""What a handler knows about the station it is serving (its services are bound into the route table)."""

from __future__ import annotations

from dataclasses import dataclass

from voltline.kernel.versions import OcppVersion


@dataclass(slots=True)
class StationContext:
    station_id: str
    version: OcppVersion
    # Whether the station's last boot was Accepted: until then only BootNotification is served.
    accepted: bool = False
