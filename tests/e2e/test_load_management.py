"""Site load management end to end: the real server, simulator fleets of 1.6J and 2.0.1 stations on one site,
real sockets, cars that draw what the limit in force offers them.

While the fleets charge, a sampler reads every car's draw every 20 ms and sums it per grid phase (through
each station's phase rotation): the site's connection is never exceeded at any sample, also while the
controller moves capacity from one EVSE to another. A freed share reaches the others within 2 s; an offline
station keeps its share until it is back; more cars than minimums pause some at 0 A (never below 6 A) and
say so on the live event stream; a demand-response event brings the site's load under its target and it is
restored after; a session with a need and a price curve is planned into the cheapest hour. Every frame the
server sent is checked against the OCA schema.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import STATION_PASSWORD, RunningServer, ServerFactory
from tests.e2e.test_events import events_client, listening
from tests.support.schema_check import assert_server_frames_valid
from tests.support.waiting import eventually
from voltline.areas.load_management.model import PhaseRotation
from voltline.simulator import SimulatedStation
from voltline.simulator.meter import NOMINAL_VOLTAGE_V
from voltline.simulator.vehicle import ElectricVehicle

METER_INTERVAL_S = 0.3
# Reallocations for what the meters show come at most this often (5 s by default): fast enough for a test.
CONTROLLER = {"load_management_meter_interval_s": 0.5, "load_management_tick_s": 0.2}
TOLERANCE_A = 0.2  # the controller sends limits rounded down to 0.1 A


def versions(count: int) -> list[str]:
    """A mixed fleet: 1.6 and 2.0.1 in turn."""
    return ["1.6" if n % 2 == 0 else "2.0.1" for n in range(count)]


class Fleet:
    """Stations of one site, each with its wiring, and a sampler of what their cars draw per grid phase."""

    def __init__(self, server: RunningServer, api: httpx.AsyncClient, site_id: str) -> None:
        self.server, self.api, self.site_id = server, api, site_id
        self.stations: dict[str, SimulatedStation] = {}
        self.rotations: dict[str, PhaseRotation] = {}
        self.peak_a = [0.0, 0.0, 0.0]
        self.samples: list[tuple[float, list[float]]] = []  # (time.monotonic(), grid currents)
        self.starved: list[tuple[str, float]] = []  # (station, A) offered above 0 but below a car's minimum

    async def create_site(self, grid_limit_a: float, **fields: Any) -> None:
        body = {"id": self.site_id, "name": self.site_id, "grid_limit": grid_limit_a, **fields}
        response = await self.api.post("/api/v1/sites", json=body)
        assert response.status_code == 201, response.text

    async def add(self, station_id: str, version: str, rotation: str = "RST", max_current_a: float = 32.0) -> None:
        """Register the station, assign it to the site, connect and boot it, and wait until it holds the
        controller's 0 A default: from then on a car plugged in draws nothing before it is given a share."""
        registered = await self.api.put(f"/api/v1/stations/{station_id}", json={"password": STATION_PASSWORD})
        assert registered.status_code == 201, registered.text
        assigned = await self.api.post(
            f"/api/v1/sites/{self.site_id}/stations",
            json={"stations": [{"station_id": station_id, "phase_rotation": rotation, "max_current_a": max_current_a}]},
        )
        assert assigned.status_code in (200, 201), assigned.text
        token = await self.api.post("/api/v1/id-tokens", json={"id_token": token_of(station_id)})
        assert token.status_code == 201, token.text
        station = SimulatedStation(
            self.server.ocpp_url, station_id, version, password=STATION_PASSWORD, meter_interval=METER_INTERVAL_S
        )
        await station.connect()
        assert (await station.boot())["status"] == "Accepted"
        self.stations[station_id] = station
        self.rotations[station_id] = PhaseRotation(rotation)

        async def holds_the_default() -> bool:
            return len(station.charging_profiles) > 0

        await eventually(holds_the_default)

    async def arrive(self, station_id: str, ev: ElectricVehicle | None = None) -> None:
        station = self.stations[station_id]
        await station.plug(1, ev=ev or ElectricVehicle(max_current_a=32.0, phases=3))
        assert "charging for" in await station.swipe(token_of(station_id))

    async def leave(self, station_id: str) -> None:
        await self.stations[station_id].stop_transaction(1)

    def grid_currents(self) -> list[float]:
        """What the cars draw right now, summed per grid phase (L1, L2, L3)."""
        grid = [0.0, 0.0, 0.0]
        for station_id, station in self.stations.items():
            rotation = self.rotations[station_id]
            for phase, current in enumerate(draw_a(station)):
                grid[rotation.grid_phase(phase)] += current
        return grid

    @asynccontextmanager
    async def sampling(self) -> AsyncIterator[None]:
        """Sample the grid currents every 20 ms while the block runs."""

        async def sample() -> None:
            while True:
                grid = self.grid_currents()
                self.samples.append((time.monotonic(), grid))
                for station_id, station in self.stations.items():
                    # What the EVSE offers the car (the limit in force): a car pauses itself under 6 A, so the
                    # offer, not the draw, shows whether the controller starved it.
                    offered = station.connector(1).meter.offered_a
                    if offered is not None and 0.0 < offered < ElectricVehicle.min_current_a - 1e-6:
                        self.starved.append((station_id, offered))
                for phase in range(3):
                    self.peak_a[phase] = max(self.peak_a[phase], grid[phase])
                await asyncio.sleep(0.02)

        task = asyncio.create_task(sample())
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def drawing(self, station_ids: Iterable[str], current_a: float, within: float = 10.0) -> None:
        """Wait until each of these cars draws `current_a` per loaded phase."""
        wanted = list(station_ids)

        async def all_there() -> bool:
            return all(abs(max(draw_a(self.stations[s])) - current_a) <= TOLERANCE_A for s in wanted)

        try:
            await eventually(all_there, within=within, every=0.02)
        except AssertionError:
            seen = {s: [round(x, 2) for x in draw_a(self.stations[s])] for s in wanted}
            raise AssertionError(f"not all at {current_a} A: {seen}; the site's view: {await self.load()}") from None

    def over(self, limit_a: float, start: float = 0.0, end: float = float("inf")) -> list[tuple[float, list[float]]]:
        """The samples between `start` and `end` (monotonic) with a phase above `limit_a`."""
        return [(at, grid) for at, grid in self.samples if start <= at < end and max(grid) > limit_a + 1e-6]

    def assert_never_over(self, limit_a: float, start: float = 0.0, end: float = float("inf")) -> None:
        over = self.over(limit_a, start, end)
        assert over == [], f"{self.site_id}: over {limit_a} A at {len(over)} of {len(self.samples)} samples: {over[:5]}"

    async def load(self) -> dict[str, Any]:
        response = await self.api.get(f"/api/v1/sites/{self.site_id}/load")
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        return view

    async def close(self) -> None:
        for station in self.stations.values():
            await station.close()

    def assert_frames_valid(self) -> None:
        for station in self.stations.values():
            assert assert_server_frames_valid(station.version.value, station.transcript) >= 4, station.station_id


def token_of(station_id: str) -> str:
    return f"CARD-{station_id}"


def draw_a(station: SimulatedStation) -> tuple[float, float, float]:
    """What the car at connector 1 draws now on the station's L1, L2, L3 (its meter, not a report)."""
    meter = station.connector(1).meter
    if not meter.charging or meter.power_w <= 0:
        return (0.0, 0.0, 0.0)
    current = meter.power_w / (meter.phases * NOMINAL_VOLTAGE_V)
    l1, l2, l3 = (current if n < meter.phases else 0.0 for n in range(3))
    return (l1, l2, l3)


@pytest.fixture
async def controlled_server(start_server: ServerFactory) -> RunningServer:
    running: RunningServer = await start_server(**CONTROLLER)
    return running


@pytest.fixture
async def api(controlled_server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with events_client(controlled_server) as client:
        yield client


async def test_twelve_mixed_stations_share_100_a_never_exceed_it_and_follow_a_demand_response_event(
    controlled_server: RunningServer, api: httpx.AsyncClient
) -> None:
    fleet = Fleet(controlled_server, api, "depot")
    await fleet.create_site(100, strategy="equal", min_current_a=6)
    ids = [f"LM-{n:02d}" for n in range(12)]
    try:
        for station_id, version in zip(ids, versions(len(ids)), strict=True):
            await fleet.add(station_id, version)
        async with fleet.sampling():
            # Cars arrive one after another: each new one is given a share only after the others were lowered.
            for station_id in ids:
                await fleet.arrive(station_id)
            await fleet.drawing(ids, 8.3)  # 100 A / 12, rounded down to 0.1 A

            # Four leave at once: the freed share reaches the other eight within 2 s.
            left, staying = ids[:4], ids[4:]
            await asyncio.gather(*(fleet.leave(s) for s in left))
            freed_at = time.monotonic()
            await fleet.drawing(staying, 12.5, within=2.0)
            assert time.monotonic() - freed_at <= 2.0

            # One goes offline while charging: it may still be drawing its 12.5 A, so when two more leave the
            # others are given what is left after its share, not a share of the whole 100 A.
            offline, others = staying[0], staying[3:]
            await fleet.stations[offline].close()

            async def seen_offline() -> bool:
                evses = {e["station_id"]: e for e in (await fleet.load())["evses"]}
                return bool(evses[offline]["offline"])

            await eventually(seen_offline)
            await asyncio.gather(*(fleet.leave(s) for s in staying[1:3]))
            await fleet.drawing(others, 17.5)  # (100 - 12.5) / 5, not 100 / 5
            await asyncio.sleep(1.0)
            await fleet.drawing(others, 17.5, within=0.1)  # and it stays so while the station is away
            view = await fleet.load()
            [away] = [e for e in view["evses"] if e["station_id"] == offline]
            assert away["offline"] is True and away["sent_a"] == pytest.approx(12.5), away
            assert "offline" in away["reason"]

            # It comes back and its transaction ends: its share goes to the others.
            await fleet.stations[offline].connect()
            assert (await fleet.stations[offline].boot())["status"] == "Accepted"
            await fleet.drawing([offline, *others], 16.6)  # 100 A / 6
            await fleet.leave(offline)
            await fleet.drawing(others, 20.0)

            # A demand-response event of -50% for 12 s: a reduction from the site's load when it begins (its
            # baseline, 100 A here, as the meters report it), so the load is at or under 50 A within 10 s; the
            # cars get their 20 A back after it ends.
            async def fully_loaded() -> bool:
                return min((await fleet.load())["measured_a"]) >= 100.0 - 3 * TOLERANCE_A

            await eventually(fully_loaded)
            created = await api.post(
                "/api/v1/demand-response/events",
                json={"site_ids": ["depot"], "target": "percent", "value": 50, "duration_s": 12},
            )
            assert created.status_code == 201, created.text
            event_id = created.json()["id"]
            dr_started = time.monotonic()
            await fleet.drawing(others, 10.0, within=10.0)
            dr_reached = time.monotonic()
            assert dr_reached - dr_started <= 10.0
            dr_end = dr_started + 12.0 - 0.5  # the event's end, less the skew between our clock and the server's

            async def reached() -> dict[str, Any] | None:
                body: dict[str, Any] = (await api.get(f"/api/v1/demand-response/events/{event_id}")).json()
                return body if body["compliance"][0]["reached_at"] is not None else None

            event = await eventually(reached)
            [compliance] = event["compliance"]
            assert compliance["baseline_a"] == pytest.approx(100.0, abs=1.0)
            assert 0 <= compliance["seconds_to_target"] <= 10.0
            targets = [target for _, target, _ in compliance["minutes"]]
            assert targets and all(target == pytest.approx(50.0) for target in targets)
            assert "demand response" in " ".join((await fleet.load())["limit_reasons"])

            async def completed() -> bool:
                body = (await api.get(f"/api/v1/demand-response/events/{event_id}")).json()
                return body["state"] == "completed"

            await eventually(completed, within=20.0)
            [compliance] = (await api.get(f"/api/v1/demand-response/events/{event_id}")).json()["compliance"]
            assert compliance["compliant_minutes"] == len(compliance["minutes"]) >= 1, compliance
            await fleet.drawing(others, 20.0)
            for station_id in others:
                await fleet.leave(station_id)
        fleet.assert_never_over(100.0)
        fleet.assert_never_over(50.0, dr_reached, dr_end)  # once reached, the target held to the event's end
        assert len(fleet.samples) > 100
        assert max(fleet.peak_a) > 95.0  # the capacity was used, not left idle
        history = (await api.get("/api/v1/sites/depot/allocations")).json()
        assert len(history) >= 10
    finally:
        await fleet.close()
    fleet.assert_frames_valid()


async def test_single_phase_cars_load_only_their_phase_and_more_cars_than_minimums_pause_some_at_0_a(
    controlled_server: RunningServer, api: httpx.AsyncClient
) -> None:
    # Two single-phase cars (one on a station wired STR: its L1 is the grid's L2) and two three-phase cars on
    # 24 A: counted on all three phases they would get 6 A each; measured, each phase carries three cars, 8 A.
    phases = Fleet(controlled_server, api, "phases")
    await phases.create_site(24, min_current_a=6)
    await phases.add("PH-1P-RST", "1.6", "RST")
    await phases.add("PH-1P-STR", "2.0.1", "STR")
    await phases.add("PH-3P-A", "1.6")
    await phases.add("PH-3P-B", "2.0.1")
    # Four three-phase cars on 20 A: 5 A each is below their 6 A minimum, so one is paused at 0 A.
    tight = Fleet(controlled_server, api, "tight")
    await tight.create_site(20, min_current_a=6)
    tight_ids = [f"TIGHT-{n}" for n in range(4)]
    for station_id, version in zip(tight_ids, versions(4), strict=True):
        await tight.add(station_id, version)
    try:
        async with (
            phases.sampling(),
            tight.sampling(),
            api.stream("GET", "/api/v1/events", params={"kind": "site.overloaded"}) as stream,
        ):
            reader = await listening(stream)
            await phases.arrive("PH-1P-RST", ElectricVehicle(max_current_a=16.0, phases=1))
            await phases.arrive("PH-1P-STR", ElectricVehicle(max_current_a=16.0, phases=1))
            await phases.arrive("PH-3P-A")
            await phases.arrive("PH-3P-B")
            await phases.drawing(phases.stations, 8.0)
            grid = phases.grid_currents()
            assert grid == pytest.approx([24.0, 24.0, 16.0], abs=3 * TOLERANCE_A)  # L3 carries the 3-phase cars only
            evses = {e["station_id"]: e for e in (await phases.load())["evses"]}
            assert evses["PH-1P-RST"]["phases"] == [0]
            assert evses["PH-1P-STR"]["phases"] == [1]
            assert evses["PH-3P-A"]["phases"] == [0, 1, 2]

            for station_id in tight_ids:
                await tight.arrive(station_id)

            async def one_paused() -> tuple[str, dict[str, Any]] | None:
                draws = [max(draw_a(tight.stations[s])) for s in tight_ids]
                running = [d for d in draws if d > 0]
                if len(running) != 3 or not all(abs(d - 6.6) <= TOLERANCE_A for d in running):
                    return None
                view = await tight.load()
                if len(view["evses"]) != len(tight_ids) or len(view["paused"]) != 1:
                    return None
                [idle] = [s for s, d in zip(tight_ids, draws, strict=True) if d == 0]
                return idle, view

            paused, view = await eventually(one_paused)
            assert paused in view["paused"][0], view["paused"]
            [held] = [e for e in view["evses"] if e["station_id"] == paused]
            assert held["sent_a"] in (None, 0.0) and "minimum" in held["reason"], held  # None: held by the 0 A default
            block = await reader.next(within=10)
            assert block is not None and block.event == "site.overloaded"
            data = block.json()["data"]
            assert data["site_id"] == "tight" and len(data["paused"]) == 1, data
            # The paused car waits (SuspendedEVSE); when another leaves, it is the one that gets the share.
            leaving = next(s for s in tight_ids if s != paused)
            await tight.leave(leaving)
            await tight.drawing([s for s in tight_ids if s != leaving], 6.6)
            for station_id in tight.stations:
                if station_id != leaving:
                    await tight.leave(station_id)
            for station_id in phases.stations:
                await phases.leave(station_id)
        phases.assert_never_over(24.0)
        tight.assert_never_over(20.0)
        # Never below a car's minimum: every draw the tight site's cars reported is 0 or at least 6 A.
        # Never below a car's minimum: at every sample each car was offered nothing or at least its 6 A.
        assert phases.starved == [] and tight.starved == [], (phases.starved[:5], tight.starved[:5])
    finally:
        await phases.close()
        await tight.close()
    phases.assert_frames_valid()
    tight.assert_frames_valid()


async def test_a_need_of_20_kwh_by_a_departure_6_h_away_is_planned_into_the_cheapest_hour(
    controlled_server: RunningServer, api: httpx.AsyncClient
) -> None:
    fleet = Fleet(controlled_server, api, "tariffed")
    await fleet.create_site(100, strategy="need")
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    prices = ["0.40", "0.38", "0.31", "0.09", "0.30", "0.45", "0.50"]  # the fourth hour is the cheapest
    periods = [
        {
            "start": (hour + timedelta(hours=n)).isoformat(),
            "end": (hour + timedelta(hours=n + 1)).isoformat(),
            "price_per_kwh": price,
        }
        for n, price in enumerate(prices)
    ]
    put = await api.put("/api/v1/sites/tariffed/prices", json={"currency": "EUR", "periods": periods})
    assert put.status_code in (200, 204), put.text
    cheapest = hour + timedelta(hours=3)
    try:
        for station_id, version in (("TARIFF-16", "1.6"), ("TARIFF-201", "2.0.1")):
            await fleet.add(station_id, version)
            await fleet.arrive(station_id)
            listed = (await api.get("/api/v1/transactions", params={"station_id": station_id})).json()
            items = listed["items"] if isinstance(listed, dict) else listed
            [tx] = items
            departure = (datetime.now(UTC) + timedelta(hours=6)).replace(microsecond=0)
            need = await api.put(
                f"/api/v1/transactions/{tx['id']}/charging-need",
                json={"energy_wh": 20000, "departure": departure.isoformat()},
            )
            assert need.status_code == 204, need.text

            async def planned(transaction_id: int = tx["id"]) -> dict[str, Any] | None:
                body: dict[str, Any] = (await api.get(f"/api/v1/transactions/{transaction_id}/charging-plan")).json()
                return body if body["periods"] else None

            plan = await eventually(planned)
            assert plan["need_source"] == "override" and plan["feasible"] is True, plan
            steps = [(datetime.fromisoformat(start), limit) for start, limit in plan["periods"]]
            charging = [(start, limit) for start, limit in steps if limit > 0]
            assert charging, steps
            # Every step that charges lies in the cheapest hour, and the rest of the time is at 0 A.
            assert all(cheapest <= start < cheapest + timedelta(hours=1) for start, _ in charging), steps
            assert plan["planned_energy_wh"] == pytest.approx(20000, rel=0.01)
            planned_cost, at_once = Decimal(str(plan["planned_cost"])), Decimal(str(plan["cost_at_once"]))
            assert planned_cost == pytest.approx(Decimal("1.80"), abs=Decimal("0.05"))  # 20 kWh at 0.09
            assert planned_cost < at_once

            # The schedule goes to the station (the plan is shown as soon as it is made, the push follows):
            # its composite (GetCompositeSchedule) comes to match ours, the car waits now and is offered its
            # 32 A in the cheapest hour.
            views: list[dict[str, Any]] = []

            async def matching(
                station_id: str = station_id, views: list[dict[str, Any]] = views
            ) -> dict[str, Any] | None:
                composite = await api.get(
                    f"/api/v1/stations/{station_id}/composite-schedule",
                    params={"evse_id": 1, "duration": 6 * 3600},
                )
                assert composite.status_code == 200, composite.text
                views.append(composite.json())
                return views[-1] if views[-1]["matches"] is True else None

            try:
                view = await eventually(matching, every=0.2)
            except AssertionError:
                raise AssertionError(f"the station's composite never matched ours: {views[-1]}") from None
            station_schedule = view["station"]
            start = datetime.fromisoformat(station_schedule["start"])
            offered = limit_at(station_schedule["periods"], (cheapest - start).total_seconds() + 60)
            assert offered == pytest.approx(32.0)
            assert limit_at(station_schedule["periods"], 0) == 0.0
            assert draw_a(fleet.stations[station_id]) == (0.0, 0.0, 0.0)
        for station_id in fleet.stations:
            await fleet.leave(station_id)
    finally:
        await fleet.close()
    fleet.assert_frames_valid()


def limit_at(periods: list[dict[str, Any]], offset_s: float) -> float:
    limit = 0.0
    for period in periods:
        if period["start_offset"] <= offset_s:
            limit = float(period["limit"])
    return limit
