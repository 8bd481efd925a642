"""Approving a connected Pending station makes it Accepted at once, through the real server and the
simulator (issue 10, point 3): the CSMS triggers a BootNotification rather than waiting for the station's
own boot retry, a heartbeat interval away."""

from __future__ import annotations

import asyncio
import time

import httpx
import orjson

from tests.e2e.conftest import STATION_PASSWORD, RunningServer
from tests.support.schema_check import assert_server_frames_valid, assert_station_frames_valid
from tests.support.waiting import eventually
from voltline.simulator import SimulatedStation

VERSIONS = ("1.6", "2.0.1")


def received_calls(station: SimulatedStation) -> list[tuple[str, dict[str, object]]]:
    frames = [orjson.loads(raw) for way, raw in station.transcript if way == "in"]
    return [(frame[2], frame[3]) for frame in frames if frame[0] == 2]


def boot_answers(station: SimulatedStation) -> list[str]:
    """The status of every BootNotification answer the station received, in order."""
    sent = {
        frame[1]: frame[2] for way, raw in station.transcript if way == "out" and (frame := orjson.loads(raw))[0] == 2
    }
    answers = [orjson.loads(raw) for way, raw in station.transcript if way == "in"]
    return [a[2]["status"] for a in answers if a[0] == 3 and sent.get(a[1]) == "BootNotification"]


async def test_approving_connected_pending_stations_accepts_them_at_once(
    server: RunningServer, api: httpx.AsyncClient
) -> None:
    # The boot retry of a Pending station is the heartbeat interval (60 s here): an approval that waited
    # for it would not pass within the few seconds below.
    stations = {
        version: SimulatedStation(server.ocpp_url, f"CP-APPROVE-{version}", version, password=STATION_PASSWORD)
        for version in VERSIONS
    }
    for station in stations.values():
        body = {"registration": "Pending", "password": STATION_PASSWORD}
        assert (await api.put(f"/api/v1/stations/{station.station_id}", json=body)).status_code == 201
    runners = [asyncio.create_task(station.run()) for station in stations.values()]
    try:

        async def all_pending() -> bool:
            return all(s.registration_status == "Pending" for s in stations.values())

        await eventually(all_pending, within=5)

        approved_at = time.monotonic()
        for station in stations.values():
            response = await api.patch(f"/api/v1/stations/{station.station_id}", json={"registration": "Accepted"})
            assert response.status_code == 200, response.text
            # Only the registration changed: the station keeps its password and profile.
            assert (response.json()["security_profile"], response.json()["has_password"]) == (1, True)

        async def all_accepted_and_reporting() -> bool:
            # Accepted, and past its boot: it reported its connector, which the CSMS takes only from a
            # station whose boot it Accepted (else a SecurityError CALLERROR).
            for station in stations.values():
                view = (await api.get(f"/api/v1/stations/{station.station_id}")).json()
                if station.registration_status != "Accepted" or not view["connectors"]:
                    return False
            return True

        await eventually(all_accepted_and_reporting, within=3)
        assert time.monotonic() - approved_at < 3
    finally:
        for station in stations.values():
            await station.close()
        await asyncio.gather(*runners, return_exceptions=True)

    for version, station in stations.items():
        assert_server_frames_valid(version, station.transcript)
        assert_station_frames_valid(version, station.transcript)
        triggers = [payload for action, payload in received_calls(station) if action == "TriggerMessage"]
        assert triggers == [{"requestedMessage": "BootNotification"}], version
        # Its first boot was answered Pending, the triggered one Accepted; no third boot was needed.
        assert boot_answers(station) == ["Pending", "Accepted"], version
