"""What the controller learns from one meter message: the phases a car loads (through the wiring), the current
it was offered, and whether it uses less than it was given (a cap), never capped under the site's minimum."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from voltline.areas.load_management.model import PhaseRotation, StationAssignment
from voltline.areas.load_management.state import EvseState, Reading, follow_meter, reading_of

MIN_A = 6.0


@dataclass(frozen=True)
class Sample:
    value: str
    measurand: str
    phase: str | None = None
    unit: str | None = "A"


def evse(limit_a: float | None = 16.0, rotation: PhaseRotation = PhaseRotation.RST) -> EvseState:
    assignment = StationAssignment("CP1", "site", phase_rotation=rotation)
    return EvseState("CP1", 1, assignment, 1, "tx-1", None, 0.0, limit_a=limit_a, sent_a=limit_a)


def currents(l1: float, l2: float = 0.0, l3: float = 0.0, offered: float | None = None) -> Reading:
    return Reading({0: l1, 1: l2, 2: l3}, None, offered)


def test_a_reading_takes_currents_per_phase_in_a_or_ma_the_offer_and_the_total_power() -> None:
    reading = reading_of(
        [
            Sample("7400", "Power.Active.Import", unit="W"),
            Sample("2.3", "Power.Active.Import", phase="L1", unit="kW"),  # a phase's power: not the total
            Sample("16.0", "Current.Import", phase="L1"),
            Sample("15500", "Current.Import", phase="L2-N", unit="mA"),
            Sample("0", "Current.Import", phase="L3"),
            Sample("16", "Current.Offered"),
            Sample("230", "Voltage", phase="L1-N", unit="V"),
        ]
    )
    assert reading == Reading({0: 16.0, 1: 15.5, 2: 0.0}, 7400.0, 16.0)


def test_a_single_phase_car_on_str_wiring_loads_the_grids_l2() -> None:
    state = evse(rotation=PhaseRotation.STR)
    follow_meter(state, currents(16.0), 230.0, MIN_A)
    assert state.station_phases == (0,)
    assert state.grid_phases() == (1,)
    assert state.measured_a == (0.0, 16.0, 0.0)


def test_a_car_drawing_clearly_less_than_given_is_capped_a_little_above_its_draw() -> None:
    state = evse(limit_a=16.0)
    assert follow_meter(state, currents(10.0, 10.0, 10.0, offered=16.0), 230.0, MIN_A) is True
    assert state.cap_a == pytest.approx(11.0)
    # Drawing at its cap again: it ramps up, so the cap goes.
    assert follow_meter(state, currents(11.0, 11.0, 11.0, offered=11.0), 230.0, MIN_A) is True
    assert state.cap_a is None


def test_a_car_drawing_nothing_is_capped_at_the_minimum_not_below_it() -> None:
    """Capped at 1 A, a car that needs 6 A to charge would never be seen asking for more: paused for good."""
    state = evse(limit_a=16.0)
    follow_meter(state, currents(0.0, 0.0, 0.0, offered=16.0), 230.0, MIN_A)
    assert state.cap_a == MIN_A


def test_a_sample_taken_before_a_raise_took_effect_is_no_reason_for_a_cap() -> None:
    """Given 16 A, but the sample shows the 8 A offered before the raise arrived: the car takes all it is offered."""
    state = evse(limit_a=16.0)
    assert follow_meter(state, currents(8.0, 8.0, 8.0, offered=8.0), 230.0, MIN_A) is False
    assert state.cap_a is None


def test_a_car_offered_less_than_it_can_charge_with_says_nothing_about_what_it_wants() -> None:
    state = evse(limit_a=16.0)
    assert follow_meter(state, currents(0.0, 0.0, 0.0, offered=0.0), 230.0, MIN_A) is False
    assert state.cap_a is None


def test_without_currents_the_power_is_spread_over_the_phases_known_to_be_loaded() -> None:
    state = evse(limit_a=32.0)
    state.station_phases = (0,)
    follow_meter(state, Reading({}, 230.0 * 10.0, None), 230.0, MIN_A)
    assert state.measured_a == (pytest.approx(10.0), 0.0, 0.0)
    assert state.cap_a == pytest.approx(11.0)
    assert follow_meter(state, Reading({}, None, None), 230.0, MIN_A) is False  # nothing to go on
