"""Follow-up work after an Accepted boot starts only once the station has its answer, and may send it calls."""

from __future__ import annotations

import asyncio
from typing import cast

import httpx
import orjson
import pytest

from tests.e2e.conftest import STATION_PASSWORD, RunningServer
from tests.support.schema_check import assert_server_frames_valid
from tests.support.waiting import eventually
from tests.support.wiring import settings_for_tests
from voltline.areas.configuration.templates import TemplateService
from voltline.areas.local_lists.service import LocalListService
from voltline.areas.remote_control.commands import RemoteStart
from voltline.areas.stations.model import StationBootAccepted
from voltline.composition import build_services
from voltline.kernel.after_boot import AfterBoot
from voltline.kernel.commands import CommandService, StationLink
from voltline.kernel.events import EventBus
from voltline.kernel.storage import Storage
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

    bus, after_boot = services[EventBus], services[AfterBoot]
    bus.subscribe_after_commit(StationBootAccepted, lambda event: after_boot.request(event.station_id, failing))
    bus.subscribe_after_commit(StationBootAccepted, lambda event: after_boot.request(event.station_id, hook))
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


async def test_a_boot_runs_the_areas_steps_in_area_order_and_a_newer_boot_supersedes_the_older() -> None:
    """The real area wiring, without sockets: the stations area cancels what an older boot left, then the
    configuration templates' step runs before the local list's (configuration comes first in the list)."""
    services = build_services(cast(Storage, object()), cast(StationLink, object()), settings_for_tests())
    steps: list[str] = []
    first_boot_started, release = asyncio.Event(), asyncio.Event()

    async def templates(station_id: str) -> None:
        steps.append(f"templates {station_id}")
        first_boot_started.set()
        await release.wait()
        steps.append(f"templates {station_id} done")

    async def local_list(station_id: str) -> None:
        steps.append(f"local list {station_id}")

    # The areas' own steps, stood in for: their subscribers look them up as each boot arrives.
    services[TemplateService].reconcile = templates  # type: ignore[method-assign]
    services[LocalListService].reconcile = local_list  # type: ignore[method-assign]
    bus, after_boot = services[EventBus], services[AfterBoot]

    bus.announce(StationBootAccepted("CP-1"))
    await asyncio.wait_for(first_boot_started.wait(), 2)
    bus.announce(StationBootAccepted("CP-1"))  # it booted again before its first boot's steps were done
    release.set()
    await after_boot.wait_idle()
    await after_boot.close()

    assert steps == ["templates CP-1", "templates CP-1", "templates CP-1 done", "local list CP-1"]
