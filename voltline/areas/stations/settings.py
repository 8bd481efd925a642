"""The stations' settings: part of the process's settings (VOLTLINE_<FIELD> or the TOML key <field>)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from voltline.areas.stations.model import UnknownStationPolicy


class StationSettings(BaseModel):
    unknown_stations: UnknownStationPolicy = UnknownStationPolicy.REJECT
    heartbeat_interval: int = Field(default=300, ge=1, description="Seconds, sent in the boot answer")
