"""The independent transcript checker must be able to fail; what the simulator builds must pass it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.schema_check import assert_server_frames_valid, assert_station_frames_valid
from voltline.ocppj import OcppVersion
from voltline.simulator.messages import Transaction, V16Messages, V201Messages
from voltline.simulator.meter import MeterSample


def frame(*parts: Any) -> bytes:
    return json.dumps(list(parts)).encode()


BOOT_16 = frame(2, "m1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
BOOT_201 = frame(
    2, "m1", "BootNotification", {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}}
)


def boot_answer(**overrides: Any) -> bytes:
    payload = {"status": "Accepted", "currentTime": "2025-01-01T12:00:00.000Z", "interval": 300} | overrides
    return frame(3, "m1", payload)


@pytest.mark.parametrize(("version", "boot"), [("1.6", BOOT_16), (OcppVersion.V201, BOOT_201)])
def test_valid_exchange_passes(version: OcppVersion | str, boot: bytes) -> None:
    transcript = [("out", boot), ("in", boot_answer())]
    assert assert_server_frames_valid(version, transcript) == 1
    assert assert_station_frames_valid(version, transcript) == 1


@pytest.mark.parametrize(
    ("answer", "complaint"),
    [
        (boot_answer(status="Maybe"), "status"),
        (boot_answer(currentTime="2025-01-01 12:00"), "currentTime"),
        (boot_answer(currentTime="2025-13-45T12:00:00Z"), "currentTime"),
        (boot_answer(interval="300"), "interval"),
        (boot_answer(extra=1), "Additional properties"),
        (frame(3, "m1", {"status": "Accepted"}), "required"),
        (frame(3, "other-id", {}), "answers no CALL"),
        (b"not json", "not JSON"),
        (frame(3, "m1"), "CALLRESULT must be"),
    ],
)
def test_invalid_server_result_is_caught(answer: bytes, complaint: str) -> None:
    with pytest.raises(AssertionError, match=complaint):
        assert_server_frames_valid("1.6", [("out", BOOT_16), ("in", answer)])


def test_invalid_server_call_is_caught() -> None:
    bad = frame(2, "c1", "RemoteStartTransaction", {"idTag": "X" * 21})  # maxLength 20
    with pytest.raises(AssertionError, match="RemoteStartTransaction request invalid"):
        assert_server_frames_valid(OcppVersion.V16, [("in", bad)])
    unknown = frame(2, "c2", "MakeCoffee", {})
    with pytest.raises(AssertionError, match=r"no ocpp1\.6 request schema"):
        assert_server_frames_valid(OcppVersion.V16, [("in", unknown)])


@pytest.mark.parametrize(("limit", "ok"), [(14.2, True), (11.1, True), (8, True), (14.25, False), (0.05, False)])
def test_a_limit_is_a_multiple_of_0_1_as_written_not_as_a_binary_float(limit: float, ok: bool) -> None:
    """1.6 limits are `multipleOf: 0.1`: 14.2 is one, though 14.2 / 0.1 is 141.99999999999997 in floats."""
    schedule = {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}
    profile = {
        "chargingProfileId": 1,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": schedule,
    }
    call = frame(2, "c1", "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": profile})
    if ok:
        assert assert_server_frames_valid(OcppVersion.V16, [("in", call)]) == 1
    else:
        with pytest.raises(AssertionError, match=r"is not a multiple of 0\.1"):
            assert_server_frames_valid(OcppVersion.V16, [("in", call)])


@pytest.mark.parametrize(
    ("version", "error", "ok"),
    [
        ("1.6", frame(4, "m1", "OccurenceConstraintViolation", "", {}), True),
        ("1.6", frame(4, "m1", "OccurrenceConstraintViolation", "", {}), False),  # 2.0.1 spelling
        ("1.6", frame(4, "m1", "FormatViolation", "", {}), False),
        ("2.0.1", frame(4, "m1", "FormatViolation", "bad", {}), True),
        ("2.0.1", frame(4, "m1", "FormationViolation", "bad", {}), False),
        ("2.0.1", frame(4, "m1", "GenericError", "bad", []), False),  # details must be an object
        ("2.0.1", frame(4, "m1", "GenericError", "bad"), False),
    ],
)
def test_call_errors(version: str, error: bytes, ok: bool) -> None:
    transcript = [("out", BOOT_16 if version == "1.6" else BOOT_201), ("in", error)]
    if ok:
        assert assert_server_frames_valid(version, transcript) == 1
    else:
        with pytest.raises(AssertionError):
            assert_server_frames_valid(version, transcript)


def test_station_direction_pairs_with_server_calls() -> None:
    call = frame(2, "s1", "RemoteStopTransaction", {"transactionId": 5})
    good = frame(3, "s1", {"status": "Accepted"})
    bad = frame(3, "s1", {"status": "Unlocked"})
    assert assert_station_frames_valid("1.6", [("in", call), ("out", good)]) == 1
    with pytest.raises(AssertionError, match="RemoteStopTransaction response invalid"):
        assert_station_frames_valid("1.6", [("in", call), ("out", bad)])
    # A 2.0.1 StatusNotification with a 1.6 status.
    status = frame(
        2,
        "s2",
        "StatusNotification",
        {"timestamp": "2025-01-01T00:00:00Z", "connectorStatus": "Charging", "evseId": 1, "connectorId": 1},
    )
    with pytest.raises(AssertionError, match="connectorStatus"):
        assert_station_frames_valid("2.0.1", [("out", status)])


def _station_frames(version: OcppVersion) -> list[tuple[str, bytes]]:
    """What a station says about cars, built by the simulator's own builders: readings of a single-phase car
    with and without an offer, a paused and a full car, the start and the end of a suspended transaction."""
    messages = V16Messages() if version is OcppVersion.V16 else V201Messages()
    tx = Transaction(1, "TAG", station_tx_id=7 if version is OcppVersion.V16 else "tx-7")
    single = MeterSample(1234, 3680.0, (16.0, 0.0, 0.0), 230.0, offered_a=20.0)
    idle = MeterSample(1234, 0.0, (0.0, 0.0, 0.0), 230.0)
    built = [messages.meter(1, tx, single, "Sample.Periodic"), messages.meter(1, None, idle, "Trigger")]
    for state in ("SuspendedEVSE", "SuspendedEV", "Charging"):
        tx.charging_state = tx.reported_charging_state = state
        built.append(messages.charging_state_changed(tx) or messages.status(1, state, "NoError", None))
    built += [messages.start(tx, idle), messages.stop(tx, single, "Local", "TAG")]
    return [("out", frame(2, f"m{n}", action, payload)) for n, (action, payload) in enumerate(built)]


@pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201])
def test_what_the_simulator_says_of_its_cars_is_schema_valid(version: OcppVersion) -> None:
    frames = _station_frames(version)
    assert assert_station_frames_valid(version, frames) == len(frames)
    # Every phase is reported, the unloaded ones at 0, and the offer once, without a phase.
    reading = json.loads(frames[0][1])[3]
    sampled = reading["meterValue"][0]["sampledValue"]
    currents = {s["phase"]: float(s["value"]) for s in sampled if s["measurand"] == "Current.Import"}
    assert currents == {"L1": 16.0, "L2": 0.0, "L3": 0.0}
    (offered,) = [s for s in sampled if s["measurand"] == "Current.Offered"]
    assert float(offered["value"]) == 20.0 and "phase" not in offered
    assert not [s for s in json.loads(frames[1][1])[3]["meterValue"][0]["sampledValue"] if "Offered" in s["measurand"]]
    if version is OcppVersion.V201:
        changed = [json.loads(f[1])[3] for f in frames[2:5]]
        assert {c["triggerReason"] for c in changed} == {"ChargingStateChanged"}
        assert [c["transactionInfo"]["chargingState"] for c in changed] == ["SuspendedEVSE", "SuspendedEV", "Charging"]
    else:
        assert [json.loads(f[1])[3]["status"] for f in frames[2:5]] == ["SuspendedEVSE", "SuspendedEV", "Charging"]


def test_a_reading_with_a_phase_no_meter_has_is_caught() -> None:
    action, payload = V201Messages().meter(1, None, MeterSample(0, 0.0, (0.0, 0.0, 0.0), 230.0, 6.0), "Trigger")
    payload["meterValue"][0]["sampledValue"][2]["phase"] = "L4"
    with pytest.raises(AssertionError, match="MeterValues request invalid"):
        assert_station_frames_valid(OcppVersion.V201, [("out", frame(2, "m1", action, payload))])
