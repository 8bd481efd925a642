"""The simulator's smart charging: its own composite schedule, and its answers over the wire in both versions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support import fake_csms
from tests.support.fake_csms import FakeCsms, StationLink
from tests.support.schema_check import assert_server_frames_valid, assert_station_frames_valid
from voltline.ocppj import OcppVersion
from voltline.simulator import EnergyMeter, SimulatedStation
from voltline.simulator.composite import (
    CompositePeriod,
    Limit,
    Period,
    Profile,
    Purpose,
    Schedule,
    composite_schedule,
    limit_at,
)
from voltline.simulator.vehicle import ElectricVehicle

Payload = dict[str, Any]
V16, V201 = OcppVersion.V16, OcppVersion.V201
VERSIONS = [V16, V201]
FAST: dict[str, Any] = {"meter_interval": 0.05, "time_scale": 3600.0, "call_timeout": 5.0}

# ---------------------------------------------------------------------------------------------- composite

NOW = datetime(2025, 3, 3, 11, 0, 0, tzinfo=UTC)  # a Monday


def a_profile(
    purpose: Purpose = Purpose.TX_DEFAULT,
    *limits: tuple[int, float] | tuple[int, float, int],
    profile_id: int = 1,
    evse_id: int = 1,
    level: int = 0,
    unit: str = "A",
    kind: str = "Absolute",
    start: datetime | None = NOW,
    duration: int | None = None,
    recurrency: str | None = None,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
) -> Profile:
    periods = tuple(Period(item[0], item[1], item[2] if len(item) == 3 else None) for item in limits or ((0, 16.0),))
    return Profile(
        profile_id=profile_id,
        evse_id=evse_id,
        stack_level=level,
        purpose=purpose,
        kind=kind,
        schedule=Schedule(unit, periods, None if kind == "Relative" else start, duration),
        received_at=NOW,
        recurrency=recurrency,
        valid_from=valid_from,
        valid_to=valid_to,
    )


MAX, DEFAULT, TX = Purpose.STATION_MAX, Purpose.TX_DEFAULT, Purpose.TX
TEN_MIN_AGO = NOW - timedelta(minutes=10)

# (profiles, evse, duration, unit, transaction start, expected periods as (offset, limit, phases))
COMPOSITE_CASES: dict[str, tuple[list[Profile], int, int, str, datetime | None, list[tuple[int, float, int]]]] = {
    "nothing installed: the EVSE's rating": ([], 1, 3600, "A", None, [(0, 32.0, 3)]),
    "rating in watts": ([], 1, 3600, "W", None, [(0, 22080.0, 3)]),
    "highest stack level wins": (
        [a_profile(DEFAULT, (0, 16.0), level=0), a_profile(DEFAULT, (0, 10.0), profile_id=2, level=1)],
        1,
        3600,
        "A",
        None,
        [(0, 10.0, 3)],
    ),
    "at equal level the EVSE's own beats EVSE 0's": (
        [a_profile(DEFAULT, (0, 10.0), evse_id=0, level=1), a_profile(DEFAULT, (0, 20.0), profile_id=2, level=1)],
        1,
        3600,
        "A",
        None,
        [(0, 20.0, 3)],
    ),
    "a higher level that runs out hands over to the lower": (
        [a_profile(DEFAULT, (0, 16.0)), a_profile(DEFAULT, (0, 6.0), profile_id=2, level=2, duration=600)],
        1,
        3600,
        "A",
        None,
        [(0, 6.0, 3), (600, 16.0, 3)],
    ),
    "a TxProfile replaces every TxDefaultProfile": (
        [a_profile(DEFAULT, (0, 10.0), level=5), a_profile(TX, (0, 20.0), profile_id=2)],
        1,
        3600,
        "A",
        TEN_MIN_AGO,
        [(0, 20.0, 3)],
    ),
    "a TxProfile does not count without a transaction": (
        [a_profile(DEFAULT, (0, 10.0), level=5), a_profile(TX, (0, 20.0), profile_id=2)],
        1,
        3600,
        "A",
        None,
        [(0, 10.0, 3)],
    ),
    "the station max profile caps": (
        [
            a_profile(DEFAULT, (0, 20.0)),
            a_profile(MAX, (0, 12.0), profile_id=2, evse_id=0, start=NOW + timedelta(0, 60)),
        ],
        1,
        3600,
        "A",
        None,
        [(0, 20.0, 3), (60, 12.0, 3)],
    ),
    "the station max profile in watts caps a current": (
        [a_profile(DEFAULT, (0, 20.0)), a_profile(MAX, (0, 6900.0), profile_id=2, evse_id=0, unit="W")],
        1,
        3600,
        "A",
        None,
        [(0, 10.0, 3)],
    ),
    "the rating caps a profile above it": ([a_profile(DEFAULT, (0, 40.0))], 1, 3600, "A", None, [(0, 32.0, 3)]),
    "EVSE 0: only the station max profile and the rating": (
        [a_profile(DEFAULT, (0, 6.0), evse_id=0), a_profile(MAX, (0, 25.0), profile_id=2, evse_id=0)],
        0,
        3600,
        "A",
        None,
        [(0, 25.0, 3)],
    ),
    "an Absolute schedule that starts later": (
        [a_profile(DEFAULT, (0, 10.0), (600, 14.0), start=NOW + timedelta(seconds=300))],
        1,
        3600,
        "A",
        None,
        [(0, 32.0, 3), (300, 10.0, 3), (900, 14.0, 3)],
    ),
    "recurring daily: 8 A until noon, 16 A after": (
        [
            a_profile(
                DEFAULT,
                (0, 8.0),
                (43_200, 16.0),
                kind="Recurring",
                recurrency="Daily",
                start=datetime(2025, 1, 1, tzinfo=UTC),
            )
        ],
        1,
        2 * 86_400,
        "A",
        None,
        [(0, 8.0, 3), (3600, 16.0, 3), (46_800, 8.0, 3), (90_000, 16.0, 3), (133_200, 8.0, 3)],
    ),
    "recurring daily with a duration: limits only within it": (
        [
            a_profile(
                DEFAULT,
                (0, 6.0),
                kind="Recurring",
                recurrency="Daily",
                start=datetime(2025, 1, 1, 10, tzinfo=UTC),
                duration=7200,
            )
        ],
        1,
        86_400,
        "A",
        None,
        [(0, 6.0, 3), (3600, 32.0, 3), (82_800, 6.0, 3)],
    ),
    "recurring weekly: Mondays 10:00 to 12:00": (
        [
            a_profile(
                DEFAULT,
                (0, 6.0),
                kind="Recurring",
                recurrency="Weekly",
                start=datetime(2025, 1, 6, 10, tzinfo=UTC),  # a Monday
                duration=7200,
            )
        ],
        1,
        8 * 86_400,
        "A",
        None,
        [(0, 6.0, 3), (3600, 32.0, 3), (7 * 86_400 - 3600, 6.0, 3), (7 * 86_400 + 3600, 32.0, 3)],
    ),
    "relative: from the transaction's start": (
        [a_profile(DEFAULT, (0, 10.0), (900, 20.0), kind="Relative")],
        1,
        3600,
        "A",
        TEN_MIN_AGO,
        [(0, 10.0, 3), (300, 20.0, 3)],
    ),
    "relative without a transaction: from now": (
        [a_profile(DEFAULT, (0, 10.0), (900, 20.0), kind="Relative")],
        1,
        3600,
        "A",
        None,
        [(0, 10.0, 3), (900, 20.0, 3)],
    ),
    "validFrom and validTo": (
        [
            a_profile(
                DEFAULT,
                (0, 10.0),
                valid_from=NOW + timedelta(seconds=60),
                valid_to=NOW + timedelta(seconds=120),
            )
        ],
        1,
        3600,
        "A",
        None,
        [(0, 32.0, 3), (60, 10.0, 3), (120, 32.0, 3)],
    ),
    "a boundary within a second holds from the next whole second": (
        [a_profile(DEFAULT, (0, 10.0), valid_from=NOW + timedelta(seconds=10, milliseconds=500))],
        1,
        60,
        "A",
        None,
        [(0, 32.0, 3), (11, 10.0, 3)],
    ),
    "watts to amperes on three phases": (
        [a_profile(DEFAULT, (0, 11_040.0), unit="W")],
        1,
        60,
        "A",
        None,
        [(0, 16.0, 3)],
    ),
    "watts to amperes on one phase": (
        [a_profile(DEFAULT, (0, 3680.0, 1), unit="W")],
        1,
        60,
        "A",
        None,
        [(0, 16.0, 1)],
    ),
    "amperes to watts": ([a_profile(DEFAULT, (0, 16.0, 1))], 1, 60, "W", None, [(0, 3680.0, 1)]),
    "limits rounded to one decimal": ([a_profile(DEFAULT, (0, 7000.0), unit="W")], 1, 60, "A", None, [(0, 10.1, 3)]),
    "equal consecutive limits merge": (
        [a_profile(DEFAULT, (0, 10.0), (60, 10.0), (120, 12.0))],
        1,
        3600,
        "A",
        None,
        [(0, 10.0, 3), (120, 12.0, 3)],
    ),
    "the schedule duration ends the profile's limit": (
        [a_profile(DEFAULT, (0, 10.0), duration=1800)],
        1,
        3600,
        "A",
        None,
        [(0, 10.0, 3), (1800, 32.0, 3)],
    ),
}


@pytest.mark.parametrize("case", list(COMPOSITE_CASES))
def test_composite_schedule(case: str) -> None:
    profiles, evse_id, duration, unit, tx_start, expected = COMPOSITE_CASES[case]
    periods = composite_schedule(
        profiles, evse_id=evse_id, start=NOW, duration=duration, unit=unit, transaction_start=tx_start
    )
    assert periods == [CompositePeriod(*item) for item in expected]


def test_composite_ignores_other_evses_and_rejects_an_empty_window() -> None:
    other = a_profile(DEFAULT, (0, 6.0), evse_id=2)
    assert composite_schedule([other], evse_id=1, start=NOW, duration=60) == [CompositePeriod(0, 32.0, 3)]
    with pytest.raises(ValueError, match="duration"):
        composite_schedule([], evse_id=1, start=NOW, duration=0)


def test_limit_at_an_instant_and_what_the_car_draws() -> None:
    profiles = [a_profile(DEFAULT, (0, 10.0), (60, 20.0, 1))]
    assert limit_at(profiles, evse_id=1, at=NOW + timedelta(seconds=30)) == Limit(10.0, 3)
    assert limit_at(profiles, evse_id=1, at=NOW + timedelta(seconds=90)) == Limit(20.0, 1)
    car = ElectricVehicle(max_current_a=16.0)
    assert car.power_w(Limit(10.0, 3)) == pytest.approx(6900.0)
    assert car.power_w(Limit(20.0, 1)) == pytest.approx(16 * 230.0)  # its own maximum, on one phase
    assert ElectricVehicle(max_power_w=5000.0).power_w(Limit(32.0, 3)) == 5000.0


def test_meter_power_can_change_while_charging() -> None:
    now = [0.0]
    meter = EnergyMeter(3600.0, clock=lambda: now[0])
    meter.start_charging()
    now[0] = 3600.0
    meter.set_power(1800.0, 3)  # the first hour is counted at the power drawn then
    now[0] = 7200.0
    sample = meter.sample()
    assert (sample.energy_wh, sample.power_w) == (5400, 1800.0)


# ---------------------------------------------------------------------------------------------- the wire


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


_PURPOSE_NAMES = {
    V16: {MAX: "ChargePointMaxProfile", DEFAULT: "TxDefaultProfile", TX: "TxProfile"},
    V201: {MAX: "ChargingStationMaxProfile", DEFAULT: "TxDefaultProfile", TX: "TxProfile"},
}


def wire_profile(
    version: OcppVersion,
    profile_id: int,
    purpose: Purpose = DEFAULT,
    *,
    level: int = 0,
    limits: list[float] | None = None,
    unit: str = "A",
    kind: str = "Absolute",
    transaction_id: int | str | None = None,
    **extra: Any,
) -> Payload:
    """A profile as the CSMS sends it: one period a minute, from a minute ago (Absolute)."""
    schedule: Payload = {
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": [{"startPeriod": 60 * n, "limit": limit} for n, limit in enumerate(limits or [16.0])],
    }
    if kind != "Relative":
        schedule["startSchedule"] = iso(datetime.now(UTC) - timedelta(minutes=1))
    profile: Payload = {
        "stackLevel": level,
        "chargingProfilePurpose": _PURPOSE_NAMES[version][purpose],
        "chargingProfileKind": kind,
        **extra,
    }
    if transaction_id is not None:
        profile["transactionId"] = transaction_id
    if version is V16:
        return {"chargingProfileId": profile_id, **profile, "chargingSchedule": schedule}
    return {"id": profile_id, **profile, "chargingSchedule": [{"id": profile_id, **schedule}]}


async def set_profile(link: StationLink, evse_id: int, profile: Payload) -> Payload:
    if link.version is V16:
        return await link.call("SetChargingProfile", {"connectorId": evse_id, "csChargingProfiles": profile})
    return await link.call("SetChargingProfile", {"evseId": evse_id, "chargingProfile": profile})


async def composite(link: StationLink, evse_id: int, duration: int = 300, unit: str | None = None) -> Payload:
    """The GetCompositeSchedule answer, the schedule (1.6 chargingSchedule, 2.0.1 schedule) under "schedule"."""
    payload: Payload = {"duration": duration}
    payload["connectorId" if link.version is V16 else "evseId"] = evse_id
    if unit is not None:
        payload["chargingRateUnit"] = unit
    answer = await link.call("GetCompositeSchedule", payload)
    if answer["status"] == "Accepted":
        answer["schedule"] = answer.get("chargingSchedule") or answer["schedule"]
    return answer


def limits_of(answer: Payload) -> list[tuple[int, float]]:
    return [(p["startPeriod"], p["limit"]) for p in answer["schedule"]["chargingSchedulePeriod"]]


@asynccontextmanager
async def connected(
    version: OcppVersion, monkeypatch: pytest.MonkeyPatch, **overrides: Any
) -> AsyncIterator[tuple[SimulatedStation, StationLink]]:
    # The fake CSMS answers ReportChargingProfiles as a CSMS does: with an empty answer.
    monkeypatch.setitem(fake_csms._ANSWERS, "ReportChargingProfiles", lambda csms, link, payload: {})
    async with FakeCsms() as csms:
        station = SimulatedStation(csms.url, "CP1", version, **{**FAST, **overrides})
        await station.connect()
        try:
            link = await csms.link("CP1")
            await station.boot()
            yield station, link
        finally:
            await station.close()
        assert_station_frames_valid(version, station.transcript)
        assert_server_frames_valid(version, station.transcript)


async def remote_start(link: StationLink, profile: Payload | None = None, evse_id: int = 1) -> Payload:
    if link.version is V16:
        request: Payload = {"idTag": "TAG", "connectorId": evse_id}
    else:
        request = {"idToken": {"idToken": "TAG", "type": "ISO14443"}, "remoteStartId": 1, "evseId": evse_id}
    if profile is not None:
        request["chargingProfile"] = profile
    return await link.call("RemoteStartTransaction" if link.version is V16 else "RequestStartTransaction", request)


def meter_current(payload: Payload) -> float | None:
    """Current.Import of phase L1 in a MeterValues / TransactionEvent payload (None: not there)."""
    for meter_value in payload.get("meterValue", []):
        for sampled in meter_value["sampledValue"]:
            if sampled.get("measurand") == "Current.Import" and sampled.get("phase") == "L1":
                return float(sampled["value"])
    return None


def meter_power(payload: Payload) -> float | None:
    for meter_value in payload.get("meterValue", []):
        for sampled in meter_value["sampledValue"]:
            if sampled.get("measurand") == "Power.Active.Import":
                return float(sampled["value"])
    return None


async def wait_for_current(link: StationLink, expected: float) -> Payload:
    """The next meter reading (from now on) whose phase current is `expected`."""
    action = "MeterValues" if link.version is V16 else "TransactionEvent"

    def shows(payload: Payload) -> bool:
        current = meter_current(payload)
        return current is not None and abs(current - expected) < 0.01

    seen = len(link.messages(action, shows))
    return (await link.wait_for(action, shows, count=seen + 1))[seen]


@pytest.mark.parametrize("version", VERSIONS)
async def test_set_profiles_and_the_composite_answer(version: OcppVersion, monkeypatch: pytest.MonkeyPatch) -> None:
    async with connected(version, monkeypatch, connectors=2) as (station, link):
        assert limits_of(await composite(link, 1)) == [(0, 32.0)]
        assert (await set_profile(link, 0, wire_profile(version, 1, limits=[16.0]))) == {"status": "Accepted"}
        assert (await set_profile(link, 1, wire_profile(version, 2, level=1, limits=[10.0])))["status"] == "Accepted"
        assert (await set_profile(link, 0, wire_profile(version, 3, MAX, limits=[11.0])))["status"] == "Accepted"

        answer = await composite(link, 1, 300)
        assert limits_of(answer) == [(0, 10.0)]  # EVSE 1's own default, below the station max
        assert all(p["numberPhases"] == 3 for p in answer["schedule"]["chargingSchedulePeriod"])
        assert answer["schedule"]["duration"] == 300 and answer["schedule"]["chargingRateUnit"] == "A"
        start = answer["scheduleStart"] if version is V16 else answer["schedule"]["scheduleStart"]
        assert abs((datetime.fromisoformat(start) - datetime.now(UTC)).total_seconds()) < 5
        assert limits_of(await composite(link, 2, unit="W")) == [(0, 11.0 * 690)]  # EVSE 0's default, capped
        assert limits_of(await composite(link, 0)) == [(0, 11.0)]  # the station: its max profile only
        assert len(station.charging_profiles) == 3
        if version is V201:
            assert station.device_model.get("Entries", "SmartChargingCtrlr", instance="ChargingProfiles") == "3"

        assert (await composite(link, 7))["status"] == "Rejected"
        assert (await composite(link, 1, duration=0))["status"] == "Rejected"


@pytest.mark.parametrize("version", VERSIONS)
async def test_composite_answer_in_the_unit_asked_for(version: OcppVersion, monkeypatch: pytest.MonkeyPatch) -> None:
    async with connected(version, monkeypatch) as (station, link):
        await set_profile(link, 1, wire_profile(version, 1, limits=[11_040.0], unit="W"))
        assert limits_of(await composite(link, 1, unit="A")) == [(0, 16.0)]
        assert limits_of(await composite(link, 1, unit="W")) == [(0, 11_040.0)]
        assert limits_of(await composite(link, 1)) == [(0, 16.0)]  # amperes when not asked
        # A unit the station does not take cannot be reported either.
        if version is V16:
            await link.call(
                "ChangeConfiguration", {"key": "ChargingScheduleAllowedChargingRateUnit", "value": "Current"}
            )
        else:
            station.device_model.set("RateUnit", "A", "SmartChargingCtrlr")
        assert (await composite(link, 1, unit="W"))["status"] == "Rejected"


def _too_many_periods(version: OcppVersion) -> tuple[int, Payload]:
    return 1, wire_profile(version, 1, limits=[6.0] * 25)


def _stack_level_too_high(version: OcppVersion) -> tuple[int, Payload]:
    return 1, wire_profile(version, 1, level=9)


def _station_max_on_an_evse(version: OcppVersion) -> tuple[int, Payload]:
    return 1, wire_profile(version, 1, MAX)


def _tx_profile_without_a_transaction(version: OcppVersion) -> tuple[int, Payload]:
    return 1, wire_profile(version, 1, TX, transaction_id=1 if version is V16 else "T-1")


def _tx_profile_on_evse_0(version: OcppVersion) -> tuple[int, Payload]:
    return 0, wire_profile(version, 1, TX)


def _unknown_evse(version: OcppVersion) -> tuple[int, Payload]:
    return 5, wire_profile(version, 1)


def _recurring_without_start(version: OcppVersion) -> tuple[int, Payload]:
    profile = wire_profile(version, 1, kind="Recurring", recurrencyKind="Daily")
    schedule = profile["chargingSchedule"] if version is V16 else profile["chargingSchedule"][0]
    del schedule["startSchedule"]
    return 1, profile


def _first_period_not_at_0(version: OcppVersion) -> tuple[int, Payload]:
    profile = wire_profile(version, 1)
    schedule = profile["chargingSchedule"] if version is V16 else profile["chargingSchedule"][0]
    schedule["chargingSchedulePeriod"][0]["startPeriod"] = 30
    return 1, profile


REFUSALS: dict[str, tuple[Callable[[OcppVersion], tuple[int, Payload]], str]] = {
    "too many periods": (_too_many_periods, "InvalidSchedule"),
    "stack level above the highest": (_stack_level_too_high, "InvalidStackLevel"),
    "station max profile on an EVSE": (_station_max_on_an_evse, "InvalidProfile"),
    "TxProfile without a transaction": (_tx_profile_without_a_transaction, "TxNotFound"),
    "TxProfile on EVSE 0": (_tx_profile_on_evse_0, "InvalidProfile"),
    "unknown EVSE": (_unknown_evse, "UnknownEvse"),
    "Recurring without startSchedule": (_recurring_without_start, "InvalidSchedule"),
    "first period not at 0": (_first_period_not_at_0, "InvalidSchedule"),
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", list(REFUSALS))
async def test_refusals(version: OcppVersion, case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    build, reason = REFUSALS[case]
    async with connected(version, monkeypatch) as (station, link):
        evse_id, profile = build(version)
        answer = await set_profile(link, evse_id, profile)
        assert answer["status"] == "Rejected"
        if version is V201:
            assert answer["statusInfo"]["reasonCode"] == reason
            assert answer["statusInfo"]["additionalInfo"]
        assert len(station.charging_profiles) == 0


@pytest.mark.parametrize("version", VERSIONS)
async def test_refusals_follow_the_configuration(version: OcppVersion, monkeypatch: pytest.MonkeyPatch) -> None:
    async with connected(version, monkeypatch) as (station, link):
        # The CSMS lowers the limits the station announces; the station holds to them.
        if version is V16:
            for key, value in (
                ("ChargeProfileMaxStackLevel", "2"),
                ("ChargingScheduleMaxPeriods", "2"),
                ("ChargingScheduleAllowedChargingRateUnit", "Current"),
                ("MaxChargingProfilesInstalled", "2"),
            ):
                assert (await link.call("ChangeConfiguration", {"key": key, "value": value}))["status"] == "Accepted"
            bad = await link.call(
                "ChangeConfiguration", {"key": "ChargingScheduleAllowedChargingRateUnit", "value": "Volts"}
            )
            assert bad["status"] == "Rejected"
        else:
            items = [("ProfileStackLevel", "2"), ("PeriodsPerSchedule", "2"), ("RateUnit", "A")]
            answer = await link.call(
                "SetVariables",
                {
                    "setVariableData": [
                        {
                            "component": {"name": "SmartChargingCtrlr"},
                            "variable": {"name": name},
                            "attributeValue": value,
                        }
                        for name, value in items
                    ]
                },
            )
            assert {r["attributeStatus"] for r in answer["setVariableResult"]} == {"Accepted"}
            entries = station.device_model.variables[
                ("SmartChargingCtrlr", None, None, None, "Entries", "ChargingProfiles")
            ]
            entries.max_limit = 2
        refused = {
            "InvalidStackLevel": wire_profile(version, 1, level=3),
            "InvalidSchedule": wire_profile(version, 1, limits=[6.0, 7.0, 8.0]),
            "UnsupportedRateUnit": wire_profile(version, 1, limits=[4000.0], unit="W"),
        }
        for reason, profile in refused.items():
            answer = await set_profile(link, 1, profile)
            assert answer["status"] == "Rejected"
            assert version is V16 or answer["statusInfo"]["reasonCode"] == reason
        assert (await set_profile(link, 1, wire_profile(version, 1, level=2, limits=[6.0, 7.0])))[
            "status"
        ] == "Accepted"
        assert (await set_profile(link, 1, wire_profile(version, 2, level=1)))["status"] == "Accepted"
        full = await set_profile(link, 1, wire_profile(version, 3, level=0))
        assert full["status"] == "Rejected"
        assert version is V16 or full["statusInfo"]["reasonCode"] == "OutOfStorage"
        # Replacing one of the two needs no room.
        assert (await set_profile(link, 1, wire_profile(version, 4, level=1)))["status"] == "Accepted"
        assert sorted(p.profile_id for p in station.charging_profiles.profiles()) == [1, 4]


@pytest.mark.parametrize("version", VERSIONS)
async def test_replacement_by_id_and_by_purpose_and_level(
    version: OcppVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with connected(version, monkeypatch, connectors=2) as (station, link):
        await set_profile(link, 1, wire_profile(version, 1, level=1, limits=[10.0]))
        await set_profile(link, 1, wire_profile(version, 1, level=2, limits=[12.0]))  # the same id
        assert [(p.profile_id, p.stack_level) for p in station.charging_profiles.profiles()] == [(1, 2)]
        await set_profile(link, 1, wire_profile(version, 2, level=2, limits=[14.0]))  # same EVSE, purpose, level
        assert [p.profile_id for p in station.charging_profiles.profiles()] == [2]
        await set_profile(link, 2, wire_profile(version, 3, level=2, limits=[8.0]))  # another EVSE: stacks
        await set_profile(link, 1, wire_profile(version, 4, level=3, limits=[9.0]))  # another level: stacks
        assert sorted(p.profile_id for p in station.charging_profiles.profiles()) == [2, 3, 4]
        assert limits_of(await composite(link, 1)) == [(0, 9.0)]
        await set_profile(link, 2, wire_profile(version, 4, level=3, limits=[9.0]))  # id 4 moves to EVSE 2
        assert limits_of(await composite(link, 1)) == [(0, 14.0)]


@pytest.mark.parametrize("version", VERSIONS)
async def test_clear_by_id_and_by_criteria(version: OcppVersion, monkeypatch: pytest.MonkeyPatch) -> None:
    async with connected(version, monkeypatch, connectors=2) as (station, link):
        for evse_id, profile in (
            (1, wire_profile(version, 1, level=1)),
            (1, wire_profile(version, 2, level=2)),
            (2, wire_profile(version, 3, level=1)),
            (0, wire_profile(version, 4, MAX, level=1)),
        ):
            assert (await set_profile(link, evse_id, profile))["status"] == "Accepted"

        def clear(profile_id: int | None = None, evse_id: int | None = None, **criteria: Any) -> Payload:
            if version is V16:
                payload: Payload = {} if profile_id is None else {"id": profile_id}
                if evse_id is not None:
                    payload["connectorId"] = evse_id
                purpose = criteria.get("purpose")
                if purpose is not None:
                    payload["chargingProfilePurpose"] = _PURPOSE_NAMES[V16][purpose]
                if "level" in criteria:
                    payload["stackLevel"] = criteria["level"]
                return payload
            payload = {} if profile_id is None else {"chargingProfileId": profile_id}
            found: Payload = {}
            if evse_id is not None:
                found["evseId"] = evse_id
            if criteria.get("purpose") is not None:
                found["chargingProfilePurpose"] = _PURPOSE_NAMES[V201][criteria["purpose"]]
            if "level" in criteria:
                found["stackLevel"] = criteria["level"]
            if found:
                payload["chargingProfileCriteria"] = found
            return payload

        def remaining() -> list[int]:
            return sorted(p.profile_id for p in station.charging_profiles.profiles())

        assert (await link.call("ClearChargingProfile", clear(2)))["status"] == "Accepted"
        assert remaining() == [1, 3, 4]
        assert (await link.call("ClearChargingProfile", clear(2)))["status"] == "Unknown"
        assert (await link.call("ClearChargingProfile", clear(evse_id=1, purpose=MAX)))["status"] == "Unknown"
        assert (await link.call("ClearChargingProfile", clear(purpose=DEFAULT, level=1)))["status"] == "Accepted"
        assert remaining() == [4]
        assert (await link.call("ClearChargingProfile", clear(evse_id=0)))["status"] == "Accepted"
        assert remaining() == []


async def test_get_charging_profiles_reports_one_part_per_evse(monkeypatch: pytest.MonkeyPatch) -> None:
    async with connected(V201, monkeypatch, connectors=2) as (_, link):
        for evse_id, profile in (
            (0, wire_profile(V201, 1, MAX)),
            (1, wire_profile(V201, 2, level=1)),
            (1, wire_profile(V201, 3, level=2)),
            (2, wire_profile(V201, 4, level=1)),
        ):
            await set_profile(link, evse_id, profile)
        request: Payload = {"requestId": 7, "chargingProfile": {"chargingProfilePurpose": "TxDefaultProfile"}}
        assert (await link.call("GetChargingProfiles", request)) == {"status": "Accepted"}
        reports = await link.wait_for("ReportChargingProfiles", count=2)
        assert [(r["evseId"], [p["id"] for p in r["chargingProfile"]], r["tbc"]) for r in reports] == [
            (1, [2, 3], True),
            (2, [4], False),
        ]
        assert {(r["requestId"], r["chargingLimitSource"]) for r in reports} == {(7, "CSO")}

        by_id = {"requestId": 8, "evseId": 0, "chargingProfile": {"chargingProfileId": [1, 2]}}
        assert (await link.call("GetChargingProfiles", by_id))["status"] == "Accepted"
        (report,) = await link.wait_for("ReportChargingProfiles", lambda r: r["requestId"] == 8)
        assert (report["evseId"], [p["id"] for p in report["chargingProfile"]], report["tbc"]) == (0, [1], False)

        for criteria in (
            {"requestId": 9, "chargingProfile": {"stackLevel": 5}},
            {"requestId": 10, "chargingProfile": {"chargingLimitSource": ["EMS"]}},
            {"requestId": 11, "evseId": 2, "chargingProfile": {"chargingProfilePurpose": "ChargingStationMaxProfile"}},
        ):
            assert (await link.call("GetChargingProfiles", criteria)) == {"status": "NoProfiles"}
        await asyncio.sleep(0.05)
        assert len(link.messages("ReportChargingProfiles")) == 3


async def test_external_constraints_are_not_the_csms_business(monkeypatch: pytest.MonkeyPatch) -> None:
    async with connected(V201, monkeypatch) as (_, link):
        profile = wire_profile(V201, 1, chargingProfilePurpose="ChargingStationExternalConstraints")
        answer = await set_profile(link, 0, profile)
        assert answer["status"] == "Rejected" and answer["statusInfo"]["reasonCode"] == "InvalidProfile"


@pytest.mark.parametrize("version", VERSIONS)
async def test_remote_start_with_a_profile(version: OcppVersion, monkeypatch: pytest.MonkeyPatch) -> None:
    async with connected(version, monkeypatch) as (station, link):
        # A default profile is not what a remote start carries: the start is refused.
        assert (await remote_start(link, wire_profile(version, 1, limits=[8.0])))["status"] == "Rejected"
        assert len(station.charging_profiles) == 0

        profile = wire_profile(version, 1, TX, kind="Relative", limits=[10.0])
        assert (await remote_start(link, profile))["status"] == "Accepted"
        first = await wait_for_current(link, 10.0)
        assert meter_power(first) == pytest.approx(10.0 * 690)
        assert limits_of(await composite(link, 1)) == [(0, 10.0)]
        tx_id = station.transaction_id(1)
        assert tx_id is not None
        if version is V201:
            request = {"requestId": 3, "chargingProfile": {"chargingProfilePurpose": "TxProfile"}}
            assert (await link.call("GetChargingProfiles", request))["status"] == "Accepted"
            (report,) = await link.wait_for("ReportChargingProfiles")
            assert report["chargingProfile"][0]["transactionId"] == tx_id

        # The TxProfile goes with its transaction.
        stop = {"transactionId": tx_id}
        await link.call("RemoteStopTransaction" if version is V16 else "RequestStopTransaction", stop)
        key = "status" if version is V16 else "connectorStatus"
        await link.wait_for("StatusNotification", lambda s: s[key] == "Available")
        assert len(station.charging_profiles) == 0
        assert limits_of(await composite(link, 1)) == [(0, 32.0)]


@pytest.mark.parametrize("version", VERSIONS)
async def test_meter_follows_a_new_profile(version: OcppVersion, monkeypatch: pytest.MonkeyPatch) -> None:
    async with connected(version, monkeypatch, ev_max_current_a=20.0) as (station, link):
        assert (await remote_start(link))["status"] == "Accepted"
        # Nothing limits: the car draws its own maximum.
        unlimited = await wait_for_current(link, 20.0)
        assert meter_power(unlimited) == pytest.approx(20.0 * 690)
        tx_id = station.transaction_id(1)
        assert tx_id is not None

        profile = wire_profile(version, 5, TX, limits=[8.0], transaction_id=tx_id)
        assert (await set_profile(link, 1, profile))["status"] == "Accepted"
        limited = await wait_for_current(link, 8.0)
        assert meter_power(limited) == pytest.approx(8.0 * 690)
        assert station.connectors[1].meter.power_w == pytest.approx(8.0 * 690)

        # A TxProfile for another transaction is refused; clearing lets the car draw its maximum again.
        other = wire_profile(version, 6, TX, limits=[6.0], transaction_id=999 if version is V16 else "other")
        answer = await set_profile(link, 1, other)
        assert answer["status"] == "Rejected"
        assert version is V16 or answer["statusInfo"]["reasonCode"] == "TxNotFound"
        if version is V201:  # a 2.0.1 TxProfile must name its transaction
            unnamed = await set_profile(link, 1, wire_profile(version, 7, TX, limits=[6.0]))
            assert unnamed["statusInfo"]["reasonCode"] == "InvalidProfile"
        clear = {"id": 5} if version is V16 else {"chargingProfileId": 5}
        assert (await link.call("ClearChargingProfile", clear))["status"] == "Accepted"
        await wait_for_current(link, 20.0)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("survive", [True, False])
async def test_profiles_survive_reboot_or_not(
    version: OcppVersion, survive: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(fake_csms._ANSWERS, "ReportChargingProfiles", lambda csms, link, payload: {})
    async with FakeCsms() as csms:
        station = SimulatedStation(csms.url, "CP1", version, profiles_survive_reboot=survive, **FAST)
        await station.connect()
        try:
            link = await csms.link("CP1")
            await station.boot()
            assert (await set_profile(link, 0, wire_profile(version, 1, limits=[12.0])))["status"] == "Accepted"
            await station.close()
            await station.connect()  # as after a reboot, or a lost connection
            await station.boot()
            link = csms.links["CP1"]
            assert len(station.charging_profiles) == (1 if survive else 0)
            assert limits_of(await composite(link, 1)) == [(0, 12.0 if survive else 32.0)]
            if version is V201:
                entries = station.device_model.get("Entries", "SmartChargingCtrlr", instance="ChargingProfiles")
                assert entries == ("1" if survive else "0")
        finally:
            await station.close()
        assert_station_frames_valid(version, station.transcript)
        assert_server_frames_valid(version, station.transcript)


def test_profile_dataclass_is_usable_as_a_value() -> None:
    profile = a_profile(DEFAULT, (0, 10.0))
    assert replace(profile, stack_level=3).stack_level == 3 and profile.stack_level == 0
