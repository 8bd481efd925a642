"""The electricity meter of one simulated connector: an energy register that advances while charging, and
the current on each of the three phases (a CSMS managing a site's load reads them per phase)."""

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
    currents_a: tuple[float, float, float]  # L1, L2, L3; a single-phase load: (I, 0, 0)
    voltage_v: float  # per phase, line to neutral
    offered_a: float | None = None  # per phase: the limit the EVSE offers the car now (None: no car charging)


class EnergyMeter:
    """A three-phase meter. While `charging`, energy grows by `power_w` times elapsed (simulated) time.

    `power_w` may change while charging (`set_power`: the car follows a charging limit); it is spread evenly
    over the first `phases` phases (L1 first), as a car's charger loads them. With `stop_at_wh` the load
    stops drawing once the register reaches it (a car that is full), exactly there, however long the
    station takes to notice.

    `time_scale` is simulated seconds per real second: tests and demos use it to see whole kWh go by quickly.
    """

    def __init__(
        self,
        power_w: float,
        *,
        phases: int = PHASES,
        initial_wh: float = 0.0,
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.power_w = power_w
        self.phases = phases
        self.offered_a: float | None = None
        self.stop_at_wh: float | None = None
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

    @property
    def register_wh(self) -> float:
        """The register as last advanced, unrounded: whether a car is full is decided on this."""
        return self._register_wh

    def set_power(
        self,
        power_w: float,
        phases: int = PHASES,
        *,
        offered_a: float | None = None,
        stop_at_wh: float | None = None,
    ) -> None:
        """Draw `power_w` on `phases` phases from now on, the EVSE offering `offered_a` per phase, until the
        register reaches `stop_at_wh` (None: no such end); the energy until now is counted at the power
        drawn until now."""
        if not 1 <= phases <= PHASES:
            raise ValueError(f"a load is on 1 to {PHASES} phases, not {phases}")
        self.advance()
        self.power_w = power_w
        self.phases = phases
        self.offered_a = offered_a
        self.stop_at_wh = stop_at_wh

    def seconds_until_stop(self) -> float | None:
        """Real seconds until the register reaches `stop_at_wh` at the present power (None: never)."""
        if self.stop_at_wh is None or not self.charging or self.power_w <= 0:
            return None
        remaining_wh = max(0.0, self.stop_at_wh - self._register_wh)
        return remaining_wh * 3600.0 / self.power_w / self.time_scale

    def start_charging(self) -> None:
        if self._charging_since is None:
            self._charging_since = self._clock()

    def stop_charging(self) -> None:
        self.advance()
        self._charging_since = None
        self.offered_a = None
        self.stop_at_wh = None

    def advance(self) -> int:
        """Account for the energy delivered since the last call; returns the register in Wh."""
        if self._charging_since is not None:
            now = self._clock()
            elapsed = max(0.0, now - self._charging_since) * self.time_scale
            before = self._register_wh
            self._register_wh += self.power_w * elapsed / 3600.0
            self._charging_since = now
            if self.stop_at_wh is not None and self._register_wh >= self.stop_at_wh:
                # The load stopped drawing when it got there, not when the station next looked.
                self._register_wh = max(self.stop_at_wh, before)
                self.power_w = 0.0
        return self.energy_wh

    def sample(self) -> MeterSample:
        """Advance, then read every quantity."""
        energy = self.advance()
        power = self.power_w if self.charging else 0.0
        current = power / (self.phases * NOMINAL_VOLTAGE_V)
        l1, l2, l3 = (current if n < self.phases else 0.0 for n in range(PHASES))
        return MeterSample(
            energy_wh=energy,
            power_w=power,
            currents_a=(l1, l2, l3),
            voltage_v=NOMINAL_VOLTAGE_V,
            offered_a=self.offered_a if self.charging else None,
        )
