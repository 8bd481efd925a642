"""The simulated car: what it draws, per phase, under the limit the EVSE offers it.

A site's load management sees cars through their meters, so the simulator plays them as a real AC car
behaves (IEC 61851): it charges on its own number of phases (a single-phase car loads L1 only), takes at
most what its on-board charger can per phase (`max_current_a`) and in total (`max_power_w`), pauses when the
EVSE offers less than the 6 A it needs to charge at all, and stops drawing once it has what it wanted
(`energy_wanted_wh`, counted over the transaction: "full").

The car does not know OCPP: `ElectricVehicle.draw` turns an offer into a `Draw`, and the station meters it
and reports the charging state the draw implies (simulator/station.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from voltline.simulator.composite import VOLTAGE_V, Limit

# The states a charging connector reports, spelled as 1.6 ChargePointStatus and 2.0.1 ChargingStateEnumType
# both spell them.
ChargingState = Literal["Charging", "SuspendedEV", "SuspendedEVSE"]
CHARGING: ChargingState = "Charging"
SUSPENDED_EV: ChargingState = "SuspendedEV"  # the car takes nothing: it is full
SUSPENDED_EVSE: ChargingState = "SuspendedEVSE"  # the EVSE offers less than the car needs to charge

MAX_PHASES = 3


@dataclass(frozen=True, slots=True)
class Draw:
    """What a car draws at one instant: `current_a` on each of its first `phases` phases (L1 first)."""

    current_a: float  # per loaded phase
    phases: int  # the phases the car is connected on (loaded or not: a paused car still has them)
    power_w: float  # in total
    state: ChargingState

    @property
    def currents_a(self) -> tuple[float, float, float]:
        """L1, L2, L3: a single-phase car loads L1 only."""
        l1, l2, l3 = (self.current_a if n < self.phases else 0.0 for n in range(MAX_PHASES))
        return (l1, l2, l3)


@dataclass(frozen=True, slots=True)
class ElectricVehicle:
    """A car at a connector: what it can draw when nothing limits it, and how much energy it wants."""

    max_current_a: float = 32.0  # per phase: its on-board charger's maximum
    phases: int = 3  # 1 (L1 only) to 3
    max_power_w: float | None = None  # a lower cap in total watts (the station's old `power_w`)
    energy_wanted_wh: float | None = None  # None: it takes whatever it gets until unplugged

    # Below this offer (per phase) a car cannot charge: IEC 61851 signals nothing lower. It pauses instead.
    min_current_a: ClassVar[float] = 6.0

    def __post_init__(self) -> None:
        if not 1 <= self.phases <= MAX_PHASES:
            raise ValueError(f"a car charges on 1 to {MAX_PHASES} phases, not {self.phases}")
        if self.max_current_a <= 0:
            raise ValueError("a car's maximum current must be positive")
        if self.max_power_w is not None and self.max_power_w <= 0:
            raise ValueError("a car's maximum power must be positive")
        if self.energy_wanted_wh is not None and self.energy_wanted_wh < 0:
            raise ValueError("the energy a car wants cannot be negative")

    def full(self, charged_wh: float) -> bool:
        """Whether the car has what it wanted, `charged_wh` having gone into it in this transaction."""
        return self.energy_wanted_wh is not None and charged_wh >= self.energy_wanted_wh

    def draw(self, offer: Limit, charged_wh: float = 0.0) -> Draw:
        """What the car draws when the EVSE offers `offer` (amperes per phase, on `offer.phases` phases at
        most) after `charged_wh` in this transaction.

        An offer below `min_current_a` pauses the car (SuspendedEVSE) even when it is full: it is the EVSE
        that offers nothing usable. A full car draws nothing (SuspendedEV). Otherwise it takes the offer up
        to its own maximum, on its phases (fewer if the offer's period says fewer), capped by its power.
        """
        phases = min(self.phases, offer.phases)
        if offer.value < self.min_current_a:
            return Draw(0.0, phases, 0.0, SUSPENDED_EVSE)
        if self.full(charged_wh):
            return Draw(0.0, phases, 0.0, SUSPENDED_EV)
        current = min(self.max_current_a, offer.value)
        if self.max_power_w is not None:
            current = min(current, self.max_power_w / (VOLTAGE_V * phases))
        return Draw(current, phases, current * VOLTAGE_V * phases, CHARGING)

    def power_w(self, offer: Limit) -> float:
        """What the car draws in total under `offer`, as long as it is not full."""
        return self.draw(offer).power_w

    def describe(self) -> str:
        """The car in a few words, for the terminal's `status`: "1x16 A, 5.0 kWh wanted"."""
        parts = [f"{self.phases}x{self.max_current_a:g} A"]
        if self.max_power_w is not None:
            parts.append(f"max {self.max_power_w / 1000:g} kW")
        if self.energy_wanted_wh is not None:
            parts.append(f"{self.energy_wanted_wh / 1000:g} kWh wanted")
        return ", ".join(parts)
