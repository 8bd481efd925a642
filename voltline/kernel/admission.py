"""The verdict on a station's request to connect: the gateway asks for it, the stations area decides it.

Neutral types, so that the gateway (which knows no area) and the stations area (which knows no gateway)
agree on them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Refusal(Enum):
    UNKNOWN_STATION = "unknown station"
    BAD_CREDENTIALS = "missing or wrong credentials"


@dataclass(slots=True, frozen=True)
class Admitted:
    station_id: str
    # Whether the station proved who it is; only such a connection may replace a live one.
    authenticated: bool
    # Whether its last boot was Accepted, so a reconnect without a new boot is served at once.
    boot_accepted: bool
