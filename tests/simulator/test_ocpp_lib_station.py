"""The `ocpp`-package station (tests/support) against the fake CSMS, once per version."""

from __future__ import annotations

import base64

import pytest

from tests.support.fake_csms import FakeCsms
from tests.support.ocpp_lib_station import OcppLibStation
from tests.support.schema_check import assert_server_frames_valid, assert_station_frames_valid
from voltline.ocppj import OcppVersion


@pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201])
async def test_ocpp_lib_station_full_cycle(version: OcppVersion) -> None:
    async with FakeCsms() as csms:
        csms.invalid_tokens.add("BLOCKED")
        station = OcppLibStation(csms.url, "LIB1", version, password="pw")
        await station.connect()
        try:
            link = await csms.link("LIB1")
            assert link.headers["authorization"] == "Basic " + base64.b64encode(b"LIB1:pw").decode()

            boot = await station.boot()
            assert boot["status"] == "Accepted" and boot["interval"] == 60
            assert (await station.heartbeat()).endswith("Z")
            await station.status(1, "Available")
            assert await station.authorize("GOOD") == "Accepted"
            assert await station.authorize("BLOCKED") == "Invalid"

            status, tx_id = await station.start(1, "GOOD", meter_start=100)
            assert status == "Accepted"
            await station.meter(1, tx_id, 600)
            await station.stop(1, tx_id, 1100, reason="Local", token="GOOD")

            if version is OcppVersion.V16:
                assert tx_id == 1001
                assert link.messages("StopTransaction")[0]["meterStop"] == 1100
                answer = await link.call("RemoteStartTransaction", {"idTag": "R1", "connectorId": 1})
                station.remote.stop_status = "Rejected"
                stop_answer = await link.call("RemoteStopTransaction", {"transactionId": 7})
                assert station.remote.start_requests[0]["id_tag"] == "R1"
                assert station.remote.stop_requests[0]["transaction_id"] == 7
            else:
                events = link.messages("TransactionEvent")
                assert [e["seqNo"] for e in events] == [0, 1, 2]
                assert events[2]["transactionInfo"]["stoppedReason"] == "Local"
                answer = await link.call(
                    "RequestStartTransaction",
                    {"idToken": {"idToken": "R1", "type": "Central"}, "remoteStartId": 9},
                )
                station.remote.stop_status = "Rejected"
                stop_answer = await link.call("RequestStopTransaction", {"transactionId": "T-9"})
                assert station.remote.start_requests[0]["remote_start_id"] == 9
                assert station.remote.stop_requests[0]["transaction_id"] == "T-9"
            assert answer == {"status": "Accepted"}
            assert stop_answer == {"status": "Rejected"}
        finally:
            await station.close()
        assert assert_station_frames_valid(version, station.transcript) >= 9
        assert assert_server_frames_valid(version, station.transcript) >= 9
