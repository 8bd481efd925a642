"""Cars per connector, as site load management sees them: what each draws per phase under the limit the EVSE
offers (Current.Import L1/L2/L3, Current.Offered), a car that is full (SuspendedEV) or offered less than
its 6 A minimum (SuspendedEVSE) reported as a real station reports it, and a schedule's next period taking
effect at its boundary rather than at the next meter sample. Both versions, over real sockets; every frame
is checked against the OCA schemas (by `connected`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.simulator.test_smart_charging import (
    DEFAULT,
    MAX,
    TX,
    a_profile,
    connected,
    iso,
    remote_start,
    set_profile,
    wire_profile,
)
from tests.support.fake_csms import StationLink
from tests.support.waiting import eventually
from voltline.ocppj import OcppVersion
from voltline.simulator import EnergyMeter, SimulatedStation
from voltline.simulator.composite import Limit, next_change
from voltline.simulator.terminal import StationTerminal
from voltline.simulator.vehicle import ElectricVehicle

Payload = dict[str, Any]
V16, V201 = OcppVersion.V16, OcppVersion.V201
VERSIONS = [V16, V201]
NOW = datetime(2025, 3, 3, 11, 0, 0, tzinfo=UTC)
# No periodic sample within a test: whatever changes must change without one.
NO_SAMPLES: dict[str, Any] = {"meter_interval": 60.0}


# ---------------------------------------------------------------------------------------------- the car


def test_a_single_phase_car_loads_l1_only() -> None:
    car = ElectricVehicle(max_current_a=16.0, phases=1)
    draw = car.draw(Limit(32.0, 3))
    assert (draw.current_a, draw.phases, draw.state) == (16.0, 1, "Charging")
    assert draw.currents_a == (16.0, 0.0, 0.0)
    assert draw.power_w == pytest.approx(16.0 * 230)
    # Under a lower offer it takes the offer, still on L1 only.
    assert car.draw(Limit(10.0, 3)).currents_a == (10.0, 0.0, 0.0)


def test_a_three_phase_car_on_an_offer_for_one_phase_and_its_power_cap() -> None:
    assert ElectricVehicle().draw(Limit(16.0, 1)).currents_a == (16.0, 0.0, 0.0)
    capped = ElectricVehicle(max_power_w=6900.0).draw(Limit(32.0, 3))
    assert capped.currents_a == pytest.approx((10.0, 10.0, 10.0))
    assert capped.power_w == pytest.approx(6900.0)


def test_below_its_minimum_the_car_pauses_and_a_full_car_draws_nothing() -> None:
    assert ElectricVehicle.min_current_a == 6.0
    car = ElectricVehicle(energy_wanted_wh=5000.0)
    assert car.draw(Limit(6.0, 3)).power_w == pytest.approx(6.0 * 690)  # the minimum itself charges
    paused = car.draw(Limit(5.9, 3))
    assert (paused.power_w, paused.currents_a, paused.state) == (0.0, (0.0, 0.0, 0.0), "SuspendedEVSE")
    assert car.draw(Limit(0.0, 3)).state == "SuspendedEVSE"
    full = car.draw(Limit(32.0, 3), charged_wh=5000.0)
    assert (full.power_w, full.state) == (0.0, "SuspendedEV")
    assert car.draw(Limit(32.0, 3), charged_wh=4999.0).state == "Charging"
    # Offered nothing usable, the EVSE is the one suspending, full or not.
    assert car.draw(Limit(0.0, 3), charged_wh=5000.0).state == "SuspendedEVSE"


@pytest.mark.parametrize(
    "traits",
    [{"phases": 0}, {"phases": 4}, {"max_current_a": 0.0}, {"max_power_w": -1.0}, {"energy_wanted_wh": -1.0}],
)
def test_an_impossible_car_is_refused(traits: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ElectricVehicle(**traits)


# ---------------------------------------------------------------------------------------------- the meter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_meter_reads_per_phase_and_the_offer() -> None:
    clock = FakeClock()
    meter = EnergyMeter(0.0, clock=clock)
    meter.start_charging()
    meter.set_power(16.0 * 230, 1, offered_a=20.0)
    clock.now = 3600.0
    sample = meter.sample()
    assert sample.currents_a == pytest.approx((16.0, 0.0, 0.0))
    assert (sample.offered_a, sample.energy_wh) == (20.0, 3680)
    meter.set_power(11_040.0, 3, offered_a=16.0)
    assert meter.sample().currents_a == pytest.approx((16.0, 16.0, 16.0))
    meter.stop_charging()
    idle = meter.sample()
    assert (idle.power_w, idle.currents_a, idle.offered_a) == (0.0, (0.0, 0.0, 0.0), None)


def test_the_meter_stops_a_full_load_exactly_where_it_is_full() -> None:
    clock = FakeClock()
    meter = EnergyMeter(0.0, initial_wh=100.0, time_scale=60.0, clock=clock)
    meter.start_charging()
    meter.set_power(6000.0, 3, stop_at_wh=1100.0)
    assert meter.seconds_until_stop() == pytest.approx(10.0)  # 1 kWh at 6 kW: 10 min, 10 s at 60x
    clock.now = 30.0  # the station looks long after
    sample = meter.sample()
    assert (sample.energy_wh, sample.power_w, meter.register_wh) == (1100, 0.0, 1100.0)
    assert meter.seconds_until_stop() is None


def test_next_change_of_the_composite() -> None:
    profiles = [a_profile(DEFAULT, (0, 16.0), (3600, 8.0), (7200, 0.0))]
    assert next_change(profiles, evse_id=1, after=NOW) == NOW + timedelta(hours=1)
    assert next_change(profiles, evse_id=1, after=NOW + timedelta(hours=1)) == NOW + timedelta(hours=2)
    assert next_change(profiles, evse_id=1, after=NOW + timedelta(hours=3)) is None  # its last period lasts
    assert next_change(profiles, evse_id=2, after=NOW) is None  # not this EVSE's
    assert next_change([], evse_id=1, after=NOW) is None
    recurring = a_profile(
        DEFAULT,
        (0, 8.0),
        (3 * 3600, 32.0),
        kind="Recurring",
        recurrency="Daily",
        start=datetime(2025, 1, 1, tzinfo=UTC),
    )
    assert next_change([recurring], evse_id=1, after=NOW) == datetime(2025, 3, 4, tzinfo=UTC)  # tonight's 0:00


# ---------------------------------------------------------------------------------------------- the wire


def readings(payload: Payload) -> dict[str, float]:
    """The sampled values of a MeterValues / TransactionEvent payload by measurand (and phase)."""
    values: dict[str, float] = {}
    for meter_value in payload.get("meterValue", []):
        for sampled in meter_value["sampledValue"]:
            name = sampled.get("measurand", "Energy.Active.Import.Register")
            if "phase" in sampled:
                name += " " + sampled["phase"]
            values[name] = float(sampled["value"])
    return values


def currents(payload: Payload) -> tuple[float, float, float]:
    got = readings(payload)
    return (got["Current.Import L1"], got["Current.Import L2"], got["Current.Import L3"])


async def a_reading(link: StationLink, connector_id: int = 1) -> Payload:
    """A meter reading the CSMS asks for now (TriggerMessage MeterValues)."""
    v16 = link.version is V16
    seen = len(link.messages("MeterValues"))
    where = {"connectorId": connector_id} if v16 else {"evse": {"id": connector_id}}
    answer = await link.call("TriggerMessage", {"requestedMessage": "MeterValues", **where})
    assert answer["status"] == "Accepted"
    return (await link.wait_for("MeterValues", count=seen + 1))[seen]


async def _holds(condition: bool) -> bool:
    return condition


async def charging_state(link: StationLink, state: str, count: int = 1) -> None:
    """Wait until the station said `count` times that its car's charging state became `state`."""
    if link.version is V16:
        await link.wait_for("StatusNotification", lambda s: s["status"] == state, count=count)
    else:
        await link.wait_for(
            "TransactionEvent",
            lambda e: e["triggerReason"] == "ChargingStateChanged" and e["transactionInfo"]["chargingState"] == state,
            count=count,
        )


def told_states(link: StationLink) -> list[str]:
    """The charging states the station told, in order (1.6: the statuses; 2.0.1: start and changes)."""
    if link.version is V16:
        return [s["status"] for s in link.messages("StatusNotification")]
    return [
        e["transactionInfo"]["chargingState"]
        for e in link.messages("TransactionEvent")
        if e["eventType"] == "Started" or e["triggerReason"] == "ChargingStateChanged"
    ]


@pytest.mark.parametrize("version", VERSIONS)
async def test_cars_per_connector_draw_per_phase_what_is_offered(
    version: OcppVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with connected(version, monkeypatch, connectors=3, **NO_SAMPLES) as (station, link):
        single = ElectricVehicle(max_current_a=16.0, phases=1)
        await station.plug(1, ev=single)
        await station.plug(2)  # the station's default car
        assert station.car(1) == single and station.connectors[1].ev == single
        assert station.car(2) == station.car(3) == station.default_ev == ElectricVehicle()
        # A station max of 20 A: both cars take what they can of it; each reading says what was offered.
        assert (await set_profile(link, 0, wire_profile(version, 1, MAX, limits=[20.0])))["status"] == "Accepted"
        for evse_id in (1, 2):
            assert (await remote_start(link, evse_id=evse_id))["status"] == "Accepted"
        for connector_id in (1, 2):
            await _transaction_on(station, connector_id)

        first, second = await a_reading(link, 1), await a_reading(link, 2)
        assert currents(first) == (16.0, 0.0, 0.0)  # all three reported, the unloaded ones at 0
        assert readings(first)["Power.Active.Import"] == pytest.approx(16.0 * 230)
        assert currents(second) == (20.0, 20.0, 20.0)
        assert readings(first)["Current.Offered"] == readings(second)["Current.Offered"] == 20.0
        offered = [s for s in first["meterValue"][0]["sampledValue"] if s["measurand"] == "Current.Offered"]
        assert len(offered) == 1 and "phase" not in offered[0]

        # A limit above the EVSE's 32 A rating is offered as the rating.
        assert (await set_profile(link, 0, wire_profile(version, 1, MAX, limits=[40.0])))["status"] == "Accepted"
        assert readings(await a_reading(link, 2))["Current.Offered"] == 32.0
        assert currents(await a_reading(link, 2)) == (32.0, 32.0, 32.0)
        assert "Current.Offered" not in readings(await a_reading(link, 3))  # no car charging there: no offer

        # Unplugged, the connector forgets its car.
        await station.unplug(1)
        assert station.connectors[1].ev is None and station.car(1) == station.default_ev


async def _transaction_on(station: SimulatedStation, connector_id: int) -> None:
    """Wait until the connector's transaction runs and its meter counts."""

    async def running() -> bool:
        state = station.connectors[connector_id]
        return state.transaction is not None and state.transaction.station_tx_id is not None and state.meter.charging

    await eventually(running, within=5, every=0.01)


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_full_car_is_suspended_by_the_ev(version: OcppVersion, monkeypatch: pytest.MonkeyPatch) -> None:
    # 22 kW on a fast clock: the 5 kWh the car wants take 0.8 s; samples every 0.05 s.
    async with connected(version, monkeypatch) as (station, link):
        await station.plug(1, ev=ElectricVehicle(energy_wanted_wh=5000.0))
        assert (await remote_start(link))["status"] == "Accepted"
        await charging_state(link, "SuspendedEV")
        action = "MeterValues" if version is V16 else "TransactionEvent"
        seen = len(link.messages(action))
        later = (await link.wait_for(action, count=seen + 1))[seen]
        assert currents(later) == (0.0, 0.0, 0.0) and readings(later)["Power.Active.Import"] == 0.0
        assert readings(later)["Current.Offered"] == 32.0  # offered, not taken
        assert station.energy_wh(1) == 5000  # exactly what it wanted
        if version is V201:
            assert later["transactionInfo"]["chargingState"] == "SuspendedEV"  # periodic events say it too

        # A full car stays full whatever the EVSE offers.
        tx_id = station.transaction_id(1)
        profile = wire_profile(version, 2, TX, limits=[0.0], transaction_id=tx_id)
        assert (await set_profile(link, 1, profile))["status"] == "Accepted"
        await charging_state(link, "SuspendedEVSE")  # the EVSE now offers nothing...
        clear = {"id": 2} if version is V16 else {"chargingProfileId": 2}
        assert (await link.call("ClearChargingProfile", clear))["status"] == "Accepted"
        await charging_state(link, "SuspendedEV", count=2)  # ...and when it offers again, the car is still full
        await asyncio.sleep(0.15)  # time for a wrong Charging to show

        stop = {"transactionId": tx_id}
        await link.call("RemoteStopTransaction" if version is V16 else "RequestStopTransaction", stop)
        await eventually(lambda: _holds(station.transaction_id(1) is None), within=5)
        await station.unplug(1)  # the cable was in: Finishing until the driver takes it
    if version is V16:
        (start,) = link.messages("StartTransaction")
        (ended,) = link.messages("StopTransaction")
        assert ended["meterStop"] - start["meterStart"] == 5000
        assert told_states(link) == [
            "Preparing",
            "Charging",
            "SuspendedEV",
            "SuspendedEVSE",
            "SuspendedEV",
            "Finishing",
            "Available",
        ]
    else:
        assert told_states(link) == ["Charging", "SuspendedEV", "SuspendedEVSE", "SuspendedEV"]
        seq = [e["seqNo"] for e in link.messages("TransactionEvent")]
        assert seq == list(range(len(seq)))


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_offer_below_6_a_pauses_the_car_at_once(version: OcppVersion, monkeypatch: pytest.MonkeyPatch) -> None:
    async with connected(version, monkeypatch, **NO_SAMPLES) as (station, link):
        assert (await remote_start(link))["status"] == "Accepted"
        await _transaction_on(station, 1)
        meter = station.connectors[1].meter
        assert meter.power_w == pytest.approx(32.0 * 690)

        assert (await set_profile(link, 1, wire_profile(version, 1, limits=[5.0])))["status"] == "Accepted"
        assert meter.power_w == 0.0  # drawn no more from the moment the profile is in, no sample needed
        await charging_state(link, "SuspendedEVSE")
        paused = await a_reading(link)
        assert currents(paused) == (0.0, 0.0, 0.0)
        assert readings(paused)["Current.Offered"] == 5.0

        # Back above the minimum: charging again at once, at the new offer.
        assert (await set_profile(link, 1, wire_profile(version, 1, limits=[6.0])))["status"] == "Accepted"
        assert meter.power_w == pytest.approx(6.0 * 690)
        await charging_state(link, "Charging", count=2 if version is V16 else 1)
        assert currents(await a_reading(link)) == (6.0, 6.0, 6.0)
        assert not [e for e in link.messages("TransactionEvent") if e["triggerReason"] == "MeterValuePeriodic"]
        assert not [
            m for m in link.messages("MeterValues") if m["meterValue"][0]["sampledValue"][0]["context"] != "Trigger"
        ]


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_remote_start_with_a_zero_profile_begins_suspended(
    version: OcppVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with connected(version, monkeypatch, **NO_SAMPLES) as (station, link):
        profile = wire_profile(version, 1, TX, kind="Relative", limits=[0.0])
        assert (await remote_start(link, profile))["status"] == "Accepted"
        if version is V16:
            await link.wait_for("StatusNotification", lambda s: s["status"] == "SuspendedEVSE")
            assert told_states(link) == ["Preparing", "SuspendedEVSE"]  # never Charging
        else:
            (started,) = await link.wait_for("TransactionEvent", lambda e: e["eventType"] == "Started")
            assert started["transactionInfo"]["chargingState"] == "SuspendedEVSE"
            await asyncio.sleep(0.1)
            assert told_states(link) == ["SuspendedEVSE"]  # said by the start, not again
        assert station.connectors[1].meter.power_w == 0.0


@pytest.mark.parametrize("version", VERSIONS)
async def test_the_next_period_takes_effect_at_its_boundary(
    version: OcppVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A price-aware schedule: 16 A now, nothing from the next boundary, 10 A a second later; with no meter
    sample in between, the car follows each period when it begins."""
    async with connected(version, monkeypatch, **NO_SAMPLES) as (station, link):
        now = datetime.now(UTC)
        base = now.replace(microsecond=0)
        pause = 2 if (base + timedelta(seconds=2) - now).total_seconds() >= 1.0 else 3  # a second to get ready
        profile = wire_profile(version, 1, limits=[16.0])
        schedule = profile["chargingSchedule"] if version is V16 else profile["chargingSchedule"][0]
        schedule["startSchedule"] = iso(base)
        schedule["chargingSchedulePeriod"] = [
            {"startPeriod": 0, "limit": 16.0},
            {"startPeriod": pause, "limit": 0.0},
            {"startPeriod": pause + 1, "limit": 10.0},
        ]
        assert (await set_profile(link, 1, profile))["status"] == "Accepted"
        assert (await remote_start(link))["status"] == "Accepted"
        await _transaction_on(station, 1)
        meter = station.connectors[1].meter
        assert meter.power_w == pytest.approx(16.0 * 690)

        await charging_state(link, "SuspendedEVSE")
        suspended_at = datetime.now(UTC)
        assert meter.power_w == 0.0
        assert (suspended_at - (base + timedelta(seconds=pause))).total_seconds() == pytest.approx(0.0, abs=0.3)
        await charging_state(link, "Charging", count=2 if version is V16 else 1)
        assert meter.power_w == pytest.approx(10.0 * 690)
        assert (datetime.now(UTC) - (base + timedelta(seconds=pause + 1))).total_seconds() == pytest.approx(
            0.0, abs=0.3
        )
        assert not link.messages("MeterValues")  # no sample did it
        assert all(e["triggerReason"] != "MeterValuePeriodic" for e in link.messages("TransactionEvent"))
        assert currents(await a_reading(link)) == (10.0, 10.0, 10.0)


async def test_the_terminal_plugs_a_given_car(monkeypatch: pytest.MonkeyPatch) -> None:
    async with connected(V16, monkeypatch, connectors=2) as (station, _):
        printed: list[str] = []
        terminal = StationTerminal(station, printed.append)
        await terminal.execute("plug 2 --phases 1 --max-a 16 --kwh=7.5")
        assert station.car(2) == ElectricVehicle(max_current_a=16.0, phases=1, energy_wanted_wh=7500.0)
        assert any("car 1x16 A, 7.5 kWh wanted" in line for line in station.describe())
        await terminal.execute("plug")
        assert station.connectors[1].ev is None  # no option: the station's default car
        printed.clear()
        for bad in ("plug 1 --phases three", "plug 1 --volts 400", "plug 1 2", "plug 1 --phases 5"):
            await terminal.execute(bad)
        assert all(line.startswith("plug: ") for line in printed) and len(printed) == 4
        assert "usage: plug" in printed[0] and "1 to 3 phases" in printed[3]
