"""The electricity meter of one simulated connector: an energy register that advances while charging."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

NOMINAL_VOLTAGE_V = 230.0
PHASES = 3


@dataclass(frozen=True, slots=True)
class MeterSample:
    """One reading, all values taken at the same instant."""

    energy_wh: int
    power_w: float
    current_a: float  # per phase
    voltage_v: float  # per phase, line to neutral


class EnergyMeter:
    """A three-phase meter. While `charging`, energy grows by `power_w` times elapsed (simulated) time.

    `power_w` may change while charging (`set_power`: the car follows a charging limit).

    `time_scale` is simulated seconds per real second: tests and demos use it to see whole kWh go by quickly.
    """

    def __init__(
        self,
        power_w: float,
        *,
        initial_wh: float = 0.0,
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.power_w = power_w
        self.time_scale = time_scale
        self._register_wh = initial_wh
        self._clock = clock
        self._charging_since: float | None = None

    @property
    def charging(self) -> bool:
        return self._charging_since is not None

    @property
    def energy_wh(self) -> int:
        """The register as last advanced, in whole Wh (what a real meter displays)."""
        return int(self._register_wh)

    def set_power(self, power_w: float) -> None:
        """Draw `power_w` from now on; the energy until now is counted at the power drawn until now."""
        self.advance()
        self.power_w = power_w

    def start_charging(self) -> None:
        if self._charging_since is None:
            self._charging_since = self._clock()

    def stop_charging(self) -> None:
        self.advance()
        self._charging_since = None

    def advance(self) -> int:
        """Account for the energy delivered since the last call; returns the register in Wh."""
        if self._charging_since is not None:
            now = self._clock()
            elapsed = max(0.0, now - self._charging_since) * self.time_scale
            self._register_wh += self.power_w * elapsed / 3600.0
            self._charging_since = now
        return self.energy_wh

    def sample(self) -> MeterSample:
        """Advance, then read every quantity."""
        energy = self.advance()
        power = self.power_w if self.charging else 0.0
        return MeterSample(
            energy_wh=energy,
            power_w=power,
            current_a=power / (PHASES * NOMINAL_VOLTAGE_V),
            voltage_v=NOMINAL_VOLTAGE_V,
        )
