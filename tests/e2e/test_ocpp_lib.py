"""Core profile end to end with a charge point that is not ours: the PyPI `ocpp` package (2.1.0) plays the
station against the real Voltline server over sockets, for OCPP 1.6J and 2.0.1."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from tests.e2e.conftest import STATION_PASSWORD, RunningServer
from tests.support.ocpp_lib_station import OcppLibStation
from tests.support.schema_check import assert_server_frames_valid
from tests.support.waiting import eventually

VERSIONS = ["1.6", "2.0.1"]


async def register(api: httpx.AsyncClient, station_id: str) -> None:
    response = await api.put(f"/api/v1/stations/{station_id}", json={"password": STATION_PASSWORD})
    assert response.status_code == 201, response.text


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def station_view(api: httpx.AsyncClient, station_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/v1/stations/{station_id}")
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


async def transaction_detail(api: httpx.AsyncClient, tx_id: int) -> dict[str, Any]:
    response = await api.get(f"/api/v1/transactions/{tx_id}")
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json()
    return detail


@pytest.mark.parametrize("version", VERSIONS)
async def test_boot_status_authorize_and_a_charging_session(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"LIB-STEP-{version}"
    await register(api, station_id)
    station = OcppLibStation(server.ocpp_url, station_id, version, password=STATION_PASSWORD)
    await station.connect()
    meter_start, meter_stop = 1_234, 9_876
    try:
        boot = await station.boot()
        assert boot["status"] == "Accepted"
        assert boot["interval"] == 60
        assert abs((parse_time(boot["current_time"]) - datetime.now(UTC)).total_seconds()) < 5

        beat = await station.heartbeat()
        assert abs((parse_time(beat) - datetime.now(UTC)).total_seconds()) < 5

        await station.status(1, "Available")
        view = await station_view(api, station_id)
        assert view["online"] is True
        assert view["ocpp_version"] == ("ocpp1.6" if version == "1.6" else "ocpp2.0.1")
        assert view["vendor"] == "OcppLib" and view["model"] == "LibCP"
        assert [(c["evse_id"], c["connector_id"], c["status"]) for c in view["connectors"]] == [(1, 1, "Available")]

        assert await station.authorize("LIB-TAG-1") == "Invalid"
        created = await api.post("/api/v1/id-tokens", json={"id_token": "LIB-TAG-1", "type": "ISO14443"})
        assert created.status_code == 201, created.text
        assert await station.authorize("LIB-TAG-1") == "Accepted"

        status, station_tx_id = await station.start(1, "LIB-TAG-1", meter_start=meter_start)
        assert status == "Accepted"
        if version == "1.6":
            assert isinstance(station_tx_id, int)
        await station.meter(1, station_tx_id, 4_000)
        await station.meter(1, station_tx_id, 7_000)
        await station.stop(1, station_tx_id, meter_stop)
    finally:
        await station.close()

    listing = (await api.get("/api/v1/transactions", params={"station_id": station_id})).json()
    assert len(listing) == 1
    detail = await transaction_detail(api, listing[0]["id"])
    assert detail["station_transaction_id"] == str(station_tx_id)  # a string everywhere
    assert detail["station_id"] == station_id
    assert detail["evse_id"] == 1
    assert detail["active"] is False
    assert detail["id_token"] == "LIB-TAG-1"
    assert detail["meter_start_wh"] == pytest.approx(meter_start)
    assert detail["meter_stop_wh"] == pytest.approx(meter_stop)
    assert detail["energy_wh"] == pytest.approx(meter_stop - meter_start)
    registers = sorted(v["value"] for v in detail["meter_values"] if v["measurand"] == "Energy.Active.Import.Register")
    # 1.6: the two periodic samples; 2.0.1: the begin sample, two periodic ones and the end one.
    expected = [4_000, 7_000] if version == "1.6" else [meter_start, 4_000, 7_000, meter_stop]
    assert registers == pytest.approx(expected)
    # boot, heartbeat, status, 2 authorize, start, 2 meter, stop: nine answers, all schema-valid
    assert assert_server_frames_valid(version, station.transcript) == 9


@pytest.mark.parametrize("version", VERSIONS)
async def test_remote_start_and_stop_through_the_api(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"LIB-REMOTE-{version}"
    await register(api, station_id)
    created = await api.post("/api/v1/id-tokens", json={"id_token": "APP-USER-7", "type": "Central"})
    assert created.status_code == 201, created.text
    station = OcppLibStation(server.ocpp_url, station_id, version, password=STATION_PASSWORD)
    await station.connect()
    try:
        assert (await station.boot())["status"] == "Accepted"
        await station.status(1, "Available")

        async def available() -> bool:
            view = await station_view(api, station_id)
            return view["online"] and [c["status"] for c in view["connectors"]] == ["Available"]

        await eventually(available)

        # The API relays the station's own answer: first a refusal, then an acceptance.
        station.remote.start_status = "Rejected"
        refused = await api.post(
            f"/api/v1/stations/{station_id}/remote-start", json={"id_token": "APP-USER-7", "evse_id": 1}
        )
        assert refused.status_code == 200, refused.text
        assert refused.json()["status"] == "Rejected"
        assert refused.json()["response"] == {"status": "Rejected"}

        station.remote.start_status = "Accepted"
        started = await api.post(
            f"/api/v1/stations/{station_id}/remote-start", json={"id_token": "APP-USER-7", "evse_id": 1}
        )
        assert started.status_code == 200, started.text
        assert started.json()["status"] == "Accepted"

        assert len(station.remote.start_requests) == 2
        request = station.remote.start_requests[-1]
        if version == "1.6":
            assert request == {"id_tag": "APP-USER-7", "connector_id": 1}
        else:
            assert request["id_token"] == {"id_token": "APP-USER-7", "type": "Central"}
            assert request["evse_id"] == 1
            assert isinstance(request["remote_start_id"], int)
            assert set(request) == {"id_token", "evse_id", "remote_start_id"}

        # The ocpp-lib station only answers; starting the session is up to it, as a real station would.
        # ...with the idToken it was given (2.0.1: type Central, the kind the token is registered as).
        status, station_tx_id = await station.start(1, "APP-USER-7", meter_start=500, token_type="Central")
        assert status == "Accepted"

        async def active_transaction() -> dict[str, Any] | None:
            txs = (await api.get("/api/v1/transactions", params={"station_id": station_id, "active": "true"})).json()
            return txs[0] if txs else None

        tx = await eventually(active_transaction)
        assert tx["id_token"] == "APP-USER-7"
        assert tx["station_transaction_id"] == str(station_tx_id)
        await station.meter(1, station_tx_id, 2_500)

        station.remote.stop_status = "Rejected"
        refused = await api.post(f"/api/v1/stations/{station_id}/remote-stop", json={"transaction_id": tx["id"]})
        assert refused.status_code == 200, refused.text
        assert refused.json()["status"] == "Rejected"

        station.remote.stop_status = "Accepted"
        stopped = await api.post(f"/api/v1/stations/{station_id}/remote-stop", json={"transaction_id": tx["id"]})
        assert stopped.status_code == 200, stopped.text
        assert stopped.json()["status"] == "Accepted"
        # Voltline's id in the API becomes the station's own id on the wire (1.6 int, 2.0.1 string).
        assert station.remote.stop_requests == [{"transaction_id": station_tx_id}] * 2
        assert (await transaction_detail(api, tx["id"]))["active"] is True  # only the station ends it

        await station.stop(1, station_tx_id, 4_000, reason="Remote")

        async def ended() -> dict[str, Any] | None:
            detail = await transaction_detail(api, tx["id"])
            return detail if not detail["active"] else None

        detail = await eventually(ended)
        assert detail["stop_reason"] == "Remote"
        assert detail["meter_start_wh"] == pytest.approx(500)
        assert detail["meter_stop_wh"] == pytest.approx(4_000)
        assert detail["energy_wh"] == pytest.approx(3_500)
    finally:
        await station.close()
    # answers to boot, status, start, meter, stop, plus four CALLs (2 remote start, 2 remote stop)
    assert assert_server_frames_valid(version, station.transcript) == 9


async def test_retried_start_and_stop_transaction_are_idempotent_on_1_6(
    server: RunningServer, api: httpx.AsyncClient
) -> None:
    station_id = "LIB-RETRY-1.6"
    await register(api, station_id)
    created = await api.post("/api/v1/id-tokens", json={"id_token": "RETRY-TAG"})
    assert created.status_code == 201, created.text
    station = OcppLibStation(server.ocpp_url, station_id, "1.6", password=STATION_PASSWORD)
    await station.connect()
    try:
        assert (await station.boot())["status"] == "Accepted"
        start = call16.StartTransaction(
            connector_id=1, id_tag="RETRY-TAG", meter_start=100, timestamp="2025-03-01T10:00:00.000Z"
        )
        first = await station._call(start)
        again = await station._call(start)  # the station never saw the first answer and retries
        assert first.id_tag_info["status"] == "Accepted"
        assert again.transaction_id == first.transaction_id
        assert again.id_tag_info == first.id_tag_info

        # The retry created nothing: one transaction, the first one.
        txs = (await api.get("/api/v1/transactions", params={"station_id": station_id})).json()
        assert [tx["station_transaction_id"] for tx in txs] == [str(first.transaction_id)]

        sample = call16.MeterValues(
            connector_id=1,
            transaction_id=first.transaction_id,
            meter_value=[
                {
                    "timestamp": "2025-03-01T10:30:00.000Z",
                    "sampledValue": [
                        {"value": "1100", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                        {"value": "11000", "measurand": "Power.Active.Import", "unit": "W"},
                    ],
                }
            ],
        )
        await station._call(sample)
        await station._call(sample)  # retried MeterValues: stored once

        stop = call16.StopTransaction(
            meter_stop=2_100,
            timestamp="2025-03-01T11:00:00.000Z",
            transaction_id=first.transaction_id,
            reason="Local",
        )
        await station._call(stop)
        await station._call(stop)  # exact retry
        # A late duplicate that disagrees with the first stop is acknowledged, but the first stop stands.
        await station._call(
            call16.StopTransaction(
                meter_stop=9_999,
                timestamp="2025-03-01T12:00:00.000Z",
                transaction_id=first.transaction_id,
                reason="Other",
            )
        )
    finally:
        await station.close()

    txs = (await api.get("/api/v1/transactions", params={"station_id": station_id})).json()
    assert len(txs) == 1
    detail = await transaction_detail(api, txs[0]["id"])
    assert detail["station_transaction_id"] == str(first.transaction_id)
    assert detail["active"] is False
    assert detail["meter_start_wh"] == pytest.approx(100)
    assert detail["meter_stop_wh"] == pytest.approx(2_100)
    assert detail["energy_wh"] == pytest.approx(2_000)
    assert detail["stop_reason"] == "Local"
    assert parse_time(detail["started_at"]) == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert parse_time(detail["stopped_at"]) == datetime(2025, 3, 1, 11, tzinfo=UTC)
    assert sorted((v["measurand"], v["value"]) for v in detail["meter_values"]) == [
        ("Energy.Active.Import.Register", 1_100),
        ("Power.Active.Import", 11_000),
    ]
    # boot, 2 starts, 2 meter values, 3 stops: each answered with a CALLRESULT valid against the 1.6 schema
    results = [raw for direction, raw in station.transcript if direction == "in" and raw.startswith(b"[3,")]
    assert len(results) == 8
    assert assert_server_frames_valid("1.6", station.transcript) == 8


def transaction_event(event_type: str, seq_no: int, energy_wh: int, minute: int, **fields: Any) -> Any:
    context = {"Started": "Transaction.Begin", "Updated": "Sample.Periodic", "Ended": "Transaction.End"}[event_type]
    timestamp = f"2025-03-01T10:{minute:02d}:00.000Z"
    return call201.TransactionEvent(
        event_type=event_type,
        timestamp=timestamp,
        trigger_reason={"Started": "Authorized", "Updated": "MeterValuePeriodic", "Ended": "StopAuthorized"}[
            event_type
        ],
        seq_no=seq_no,
        meter_value=[
            {
                "timestamp": timestamp,
                "sampledValue": [
                    {
                        "value": energy_wh,
                        "context": context,
                        "measurand": "Energy.Active.Import.Register",
                        "unitOfMeasure": {"unit": "Wh"},
                    }
                ],
            }
        ],
        **fields,
    )


async def test_retried_transaction_events_are_idempotent_on_2_0_1(
    server: RunningServer, api: httpx.AsyncClient
) -> None:
    station_id = "LIB-RETRY-2.0.1"
    await register(api, station_id)
    created = await api.post("/api/v1/id-tokens", json={"id_token": "RETRY-TAG"})
    assert created.status_code == 201, created.text
    station = OcppLibStation(server.ocpp_url, station_id, "2.0.1", password=STATION_PASSWORD)
    await station.connect()
    tx_id = "LIB-RETRY-TX-1"
    try:
        assert (await station.boot())["status"] == "Accepted"
        events = [
            transaction_event(
                "Started",
                0,
                100,
                0,
                transaction_info={"transaction_id": tx_id, "charging_state": "Charging"},
                id_token={"id_token": "RETRY-TAG", "type": "ISO14443"},
                evse={"id": 1, "connector_id": 1},
            ),
            transaction_event(
                "Updated", 1, 1_100, 30, transaction_info={"transaction_id": tx_id, "charging_state": "Charging"}
            ),
            transaction_event(
                "Ended",
                2,
                2_100,
                59,
                transaction_info={"transaction_id": tx_id, "stopped_reason": "Local"},
                evse={"id": 1, "connector_id": 1},
            ),
        ]
        answers = []
        for event in events:
            first = await station._call(event)
            again = await station._call(event)  # the station never saw the first answer and retries
            assert again.id_token_info == first.id_token_info
            answers.append(first)
        assert answers[0].id_token_info["status"] == "Accepted"  # Started carried the token
        assert answers[2].id_token_info is None  # Ended carried none
    finally:
        await station.close()

    txs = (await api.get("/api/v1/transactions", params={"station_id": station_id})).json()
    assert len(txs) == 1
    detail = await transaction_detail(api, txs[0]["id"])
    assert detail["station_transaction_id"] == str(tx_id)
    assert detail["id_token"] == "RETRY-TAG"
    assert detail["active"] is False
    assert detail["meter_start_wh"] == pytest.approx(100)
    assert detail["meter_stop_wh"] == pytest.approx(2_100)
    assert detail["energy_wh"] == pytest.approx(2_000)
    assert parse_time(detail["started_at"]) == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert parse_time(detail["stopped_at"]) == datetime(2025, 3, 1, 10, 59, tzinfo=UTC)
    assert [v["value"] for v in detail["meter_values"]] == [100, 1_100, 2_100]  # each sample stored once
    assert assert_server_frames_valid("2.0.1", station.transcript) == 7
