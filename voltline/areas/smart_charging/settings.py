"""Smart-charging settings (VOLTLINE_SMART_CHARGING_*)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SmartChargingSettings(BaseModel):
    # The supply assumed for stations whose own is not known: converting A <-> W and the limit where no
    # profile limits. 3 phases at 230 V line to neutral and a 32 A rating are a common AC charger.
    smart_charging_phases: int = Field(default=3, ge=1, le=3)
    smart_charging_voltage_v: float = Field(default=230.0, gt=0)
    smart_charging_max_current_a: float = Field(default=32.0, gt=0)
    # How long to wait for all the ReportChargingProfiles parts after a station accepted GetChargingProfiles.
    smart_charging_report_timeout: float = Field(default=30.0, gt=0)
