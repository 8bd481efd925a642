"""Follow-up work after an Accepted boot starts only once the station has its answer, and may send it calls."""

from __future__ import annotations

import httpx
import orjson
import pytest

from tests.e2e.conftest import STATION_PASSWORD, RunningServer
from tests.support.schema_check import assert_server_frames_valid
from tests.support.waiting import eventually
from voltline.areas.remote_control.commands import RemoteStart
from voltline.kernel.after_boot import AfterBoot
from voltline.kernel.commands import CommandService
from voltline.simulator import SimulatedStation


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_after_boot_hooks_run_after_the_boot_answer(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"CP-AFTER-{version}"
    assert (await api.put(f"/api/v1/stations/{station_id}", json={"password": STATION_PASSWORD})).status_code == 201
    services = server.app.services
    assert services is not None
    answers: list[str] = []

    async def hook(sid: str) -> None:
        result = await services[CommandService].send(sid, RemoteStart("TAG-AFTER", 1, remote_start_id=5))
        answers.append(result.status)

    async def failing(sid: str) -> None:
        raise RuntimeError("this step fails; the next still runs")

    services[AfterBoot].register("failing", failing)
    services[AfterBoot].register("probe", hook)
    station = SimulatedStation(server.ocpp_url, station_id, version, password=STATION_PASSWORD)
    await station.connect()
    try:
        assert (await station.boot())["status"] == "Accepted"

        async def answered() -> bool:
            return answers == ["Accepted"]

        await eventually(answered, within=5)
        await services[AfterBoot].wait_idle()
    finally:
        await station.close()
    assert_server_frames_valid(version, station.transcript)
    received = [orjson.loads(raw) for direction, raw in station.transcript if direction == "in"]
    kinds = [(frame[0], frame[2] if frame[0] == 2 else None) for frame in received]
    remote_start = "RemoteStartTransaction" if version == "1.6" else "RequestStartTransaction"
    # The boot's CALLRESULT reached the station before the follow-up CALL did.
    assert kinds[:2] == [(3, None), (2, remote_start)]
