"""Sites, circuits and assignments through the real API app (SQLite), with a scripted station link that
takes every profile: what is refused whole (422 naming the problem, nothing stored), and what the
controller pushes when transactions start and end."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.api_fixtures import ScriptedLink
from voltline.areas.configuration.service import ReadSettings, SettingReading
from voltline.areas.load_management.controller import PROFILE_ID_BASE, LoadController
from voltline.areas.load_management.service import LoadManagementService
from voltline.areas.smart_charging.commands import ProfileAnswer, SetChargingProfile
from voltline.areas.smart_charging.model import ChargingProfilePurpose
from voltline.areas.smart_charging.service import SmartChargingService
from voltline.areas.stations.model import Registration
from voltline.areas.stations.service import StationRegistration, StationService
from voltline.areas.transactions.model import SampledValue
from voltline.areas.transactions.service import MeterReport, StartRequest, StopRequest, TransactionService
from voltline.kernel.activity import ActivityKind, EvseActivity
from voltline.kernel.commands import Command, CommandResult
from voltline.kernel.services import ServiceRegistry

STATIONS = ["CP-1", "CP-2", "CP-3"]


@dataclass
class ProfileLink(ScriptedLink):
    """Accepts every SetChargingProfile (or refuses those of `refusing` stations)."""

    refusing: frozenset[str] = frozenset()

    async def send(self, station_id: str, command: Command) -> CommandResult:
        self._require(station_id)
        self.sent.append((station_id, command))
        if isinstance(command, ReadSettings):  # the station announces no limits
            return CommandResult("", {}, [SettingReading(a, "UnknownKey") for a in command.addresses])
        if isinstance(command, SetChargingProfile):
            status = "Rejected" if station_id in self.refusing else "Accepted"
            return CommandResult(status, {"status": status}, ProfileAnswer(status))
        return CommandResult("Accepted", {"status": "Accepted"})

    def limits(self) -> dict[tuple[str, int], float]:
        """The last TxProfile limit sent to each (station, EVSE)."""
        found: dict[tuple[str, int], float] = {}
        for station_id, command in self.sent:
            if isinstance(command, SetChargingProfile) and command.profile.purpose is ChargingProfilePurpose.TX:
                found[(station_id, command.profile.evse_id)] = command.profile.schedules[0].periods[0].limit
        return found


@pytest.fixture
def link() -> ProfileLink:
    return ProfileLink(online=set(STATIONS))


@pytest.fixture(autouse=True)
async def started(services: ServiceRegistry) -> Any:
    for station_id in STATIONS:
        await services[StationService].register(station_id, StationRegistration(Registration.ACCEPTED, 0))
    services[LoadController].settings.load_management_debounce_s = 0.0
    services[LoadController].settings.load_management_raise_settle_s = 0.0  # settle() raises at once
    services[LoadController].settings.load_management_small_raise_settle_s = 0.0
    await services[SmartChargingService].start()
    await services[LoadManagementService].start()
    yield
    await services[LoadController].stop()


def a_site(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "depot",
        "name": "Depot",
        "grid_limit": 32,
        "circuits": [{"id": "feeder-a", "limit_a": 20}],
    }
    body.update(overrides)
    return body


async def settle(services: ServiceRegistry, site_id: str = "depot") -> None:
    """Let the controller's scheduled reallocation run, then make sure one ran after everything."""
    await asyncio.sleep(0.05)
    await services[LoadController].reallocate_now(site_id)


async def test_a_site_is_created_read_listed_replaced_and_deleted(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/sites", json=a_site())
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/api/v1/sites/depot"
    assert created.json()["grid_limit_a"] == 32
    assert (await client.post("/api/v1/sites", json=a_site())).status_code == 409
    kw = await client.put("/api/v1/sites/depot", json={"name": "Depot", "grid_limit": 22.08, "grid_unit": "kW"})
    assert kw.status_code == 200, kw.text
    assert kw.json()["grid_limit_a"] == 32.0  # 22.08 kW over three phases at 230 V
    assert [s["id"] for s in (await client.get("/api/v1/sites")).json()] == ["depot"]
    assert (await client.delete("/api/v1/sites/depot")).status_code == 204
    assert (await client.get("/api/v1/sites/depot")).status_code == 404


REFUSED = [
    ("a child over its parent", {"circuits": [{"id": "a", "limit_a": 40}]}, "a"),
    (
        "a cycle",
        {"circuits": [{"id": "a", "parent": "b", "limit_a": 10}, {"id": "b", "parent": "a", "limit_a": 10}]},
        "cycle",
    ),
    ("an unknown parent", {"circuits": [{"id": "a", "parent": "nowhere", "limit_a": 10}]}, "nowhere"),
    ("the grid's own id", {"circuits": [{"id": "grid", "limit_a": 10}]}, "grid"),
    ("an unknown time zone", {"time_zone": "Mars/Olympus"}, "Mars/Olympus"),
    ("a base load above the connection", {"base_load_a": 40}, "base_load_a"),
    (
        "a window with two limits",
        {"peak_windows": [{"start": "17:00", "end": "20:00", "fraction": 0.5, "limit_a": 9}]},
        "peak_windows",
    ),
]


@pytest.mark.parametrize(("case", "changes", "named"), REFUSED, ids=[r[0] for r in REFUSED])
async def test_a_bad_site_is_refused_whole(
    client: httpx.AsyncClient, case: str, changes: dict[str, Any], named: str
) -> None:
    response = await client.post("/api/v1/sites", json=a_site(**changes))
    assert response.status_code == 422, (case, response.text)
    assert named in response.json()["detail"], response.text
    assert (await client.get("/api/v1/sites/depot")).status_code == 404  # nothing stored


async def test_assignments_are_all_or_none_and_circuits_with_stations_stay(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/v1/sites", json=a_site())).status_code == 201
    bad = await client.post(
        "/api/v1/sites/depot/stations",
        json={"stations": [{"station_id": "CP-1", "circuit_id": "feeder-a"}, {"station_id": "CP-404"}]},
    )
    assert bad.status_code == 422 and "CP-404" in bad.json()["detail"], bad.text
    assert (await client.get("/api/v1/sites/depot/stations")).json() == []  # CP-1 was not assigned either
    unknown_circuit = await client.put("/api/v1/sites/depot/stations/CP-1", json={"circuit_id": "feeder-z"})
    assert unknown_circuit.status_code == 422 and "feeder-z" in unknown_circuit.json()["detail"]
    ok = await client.put("/api/v1/sites/depot/stations/CP-1", json={"circuit_id": "feeder-a", "phase_rotation": "STR"})
    assert ok.status_code == 200, ok.text
    dropping = await client.put("/api/v1/sites/depot/circuits", json={"circuits": []})
    assert dropping.status_code == 422 and "CP-1" in dropping.json()["detail"], dropping.text
    assert [c["id"] for c in (await client.get("/api/v1/sites/depot/circuits")).json()] == ["feeder-a"]


async def a_depot_of_32_a_with_every_station(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/v1/sites", json=a_site(grid_limit=32, circuits=[]))).status_code == 201
    body = {"stations": [{"station_id": s, "max_current_a": 32} for s in STATIONS]}
    assert (await client.post("/api/v1/sites/depot/stations", json=body)).status_code == 200


async def start(services: ServiceRegistry, station_id: str, at: datetime) -> str:
    outcome = await services[TransactionService].start(StartRequest(station_id, 1, "TOKEN", 0.0, at))
    return outcome.transaction.station_tx_id


async def test_the_controller_shares_the_connection_and_gives_a_freed_share_back(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ProfileLink
) -> None:
    assert (await client.post("/api/v1/sites", json=a_site(grid_limit=30, circuits=[]))).status_code == 201
    body = {"stations": [{"station_id": s, "max_current_a": 16} for s in STATIONS]}
    assert (await client.post("/api/v1/sites/depot/stations", json=body)).status_code == 200
    # Every assigned station holds the controller's TxDefaultProfile at 0 A: a start draws nothing at first.
    defaults = [
        (s, c.profile.schedules[0].periods[0].limit)
        for s, c in link.sent
        if isinstance(c, SetChargingProfile) and c.profile.profile_id == PROFILE_ID_BASE
    ]
    assert sorted(defaults) == [(s, 0.0) for s in STATIONS]
    t0 = datetime.now(UTC)
    tx = {s: await start(services, s, t0 + timedelta(seconds=i)) for i, s in enumerate(STATIONS)}
    await settle(services)
    assert link.limits() == {("CP-1", 1): 10.0, ("CP-2", 1): 10.0, ("CP-3", 1): 10.0}
    load = (await client.get("/api/v1/sites/depot/load")).json()
    assert load["limit_a"] == 30 and load["circuits"]["grid"]["allocated_a"] == [30.0, 30.0, 30.0]
    assert {e["station_id"]: e["limit_a"] for e in load["evses"]} == {s: 10.0 for s in STATIONS}
    assert all("share of the grid connection" in e["reason"] for e in load["evses"]), load
    await services[TransactionService].stop(StopRequest("CP-3", tx["CP-3"], 1000.0, t0 + timedelta(minutes=5), "Local"))
    await settle(services)
    assert link.limits()[("CP-1", 1)] == 15.0 and link.limits()[("CP-2", 1)] == 15.0
    history = (await client.get("/api/v1/sites/depot/allocations")).json()
    assert history and history[0]["decision"]["limits"] == {"CP-1/1": 15.0, "CP-2/1": 15.0}


async def test_a_station_moved_unassigned_or_deleted_with_its_site_leaves_the_old_site_alone(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ProfileLink
) -> None:
    """The controller follows each change on its own (not by re-reading every site): what moved must be
    exactly what the views show."""
    for site_id, limit in (("depot", 30), ("yard", 10)):
        body = a_site(id=site_id, name=site_id, grid_limit=limit, circuits=[])
        assert (await client.post("/api/v1/sites", json=body)).status_code == 201
    link.online.discard("CP-3")
    body = {"stations": [{"station_id": s, "max_current_a": 16} for s in STATIONS]}
    assigned = await client.post("/api/v1/sites/depot/stations", json=body)
    assert [a["station_id"] for a in assigned.json()] == STATIONS
    t0 = datetime.now(UTC)
    for i, station_id in enumerate(STATIONS[:2]):
        await start(services, station_id, t0 + timedelta(seconds=i))
    await settle(services)
    assert link.limits() == {("CP-1", 1): 15.0, ("CP-2", 1): 15.0}

    moved = await client.put("/api/v1/sites/yard/stations/CP-2", json={"max_current_a": 16})
    assert moved.status_code == 200 and [a["station_id"] for a in moved.json()] == ["CP-2"], moved.text
    await settle(services)
    await settle(services, "yard")
    depot = (await client.get("/api/v1/sites/depot/load")).json()
    yard = (await client.get("/api/v1/sites/yard/load")).json()
    assert [e["station_id"] for e in depot["evses"]] == ["CP-1"]
    assert [(e["station_id"], e["transaction_id"] is not None) for e in yard["evses"]] == [("CP-2", True)]
    assert link.limits() == {("CP-1", 1): 16.0, ("CP-2", 1): 10.0}  # its running transaction came along
    assert [a["station_id"] for a in (await client.get("/api/v1/sites/depot/stations")).json()] == ["CP-1", "CP-3"]

    assert (await client.delete("/api/v1/sites/yard/stations/CP-2")).status_code == 204
    await settle(services, "yard")
    assert (await client.get("/api/v1/sites/yard/load")).json()["evses"] == []
    assert "CP-2" not in services[LoadController]._activity.watched

    assert (await client.delete("/api/v1/sites/depot")).status_code == 204
    assert not {"CP-1", "CP-3"} & services[LoadController]._activity.watched
    assert (await client.post("/api/v1/sites", json=a_site(grid_limit=30, circuits=[]))).status_code == 201
    await settle(services)
    again = (await client.get("/api/v1/sites/depot/load")).json()
    assert again["evses"] == [] and (await client.get("/api/v1/sites/depot/stations")).json() == []
    # CP-3 was offline when assigned: counted so while on the site, not on the site made again.
    assert services[LoadController]._sites["depot"].offline == set()


async def test_lowering_goes_before_raising(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ProfileLink
) -> None:
    assert (await client.post("/api/v1/sites", json=a_site(grid_limit=32, circuits=[]))).status_code == 201
    body = {"stations": [{"station_id": s, "max_current_a": 32} for s in STATIONS[:2]]}
    assert (await client.post("/api/v1/sites/depot/stations", json=body)).status_code == 200
    t0 = datetime.now(UTC)
    await start(services, "CP-1", t0)
    await settle(services)
    assert link.limits() == {("CP-1", 1): 32.0}
    link.sent.clear()
    await start(services, "CP-2", t0 + timedelta(seconds=1))
    await settle(services)
    order = [(s, c.profile.schedules[0].periods[0].limit) for s, c in link.sent if isinstance(c, SetChargingProfile)]
    assert order == [("CP-1", 16.0), ("CP-2", 16.0)]


async def test_an_offline_station_keeps_its_share_and_a_refusing_one_counts_at_its_maximum(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ProfileLink
) -> None:
    assert (await client.post("/api/v1/sites", json=a_site(grid_limit=30, circuits=[]))).status_code == 201
    body = {"stations": [{"station_id": s, "max_current_a": 16} for s in STATIONS]}
    assert (await client.post("/api/v1/sites/depot/stations", json=body)).status_code == 200
    t0 = datetime.now(UTC)
    tx = {s: await start(services, s, t0 + timedelta(seconds=i)) for i, s in enumerate(STATIONS[:2])}
    await settle(services)
    assert link.limits() == {("CP-1", 1): 15.0, ("CP-2", 1): 15.0}
    link.online.discard("CP-2")
    services[StationService].announce_disconnected("CP-2", "ocpp1.6", 1006)
    await services[TransactionService].stop(StopRequest("CP-1", tx["CP-1"], 100.0, t0 + timedelta(minutes=1), "Local"))
    link.refusing = frozenset({"CP-3"})
    await start(services, "CP-3", t0 + timedelta(minutes=2))
    await settle(services)
    load = (await client.get("/api/v1/sites/depot/load")).json()
    by_station = {e["station_id"]: e for e in load["evses"]}
    assert by_station["CP-2"]["offline"] is True and "offline" in by_station["CP-2"]["reason"]
    # CP-3 refused: counted at its 16 A with CP-2's 15 A: 31 A > 30 A, and nothing can be lowered.
    assert by_station["CP-3"]["rejected"] is not None
    assert load["overloaded"] == ["grid"], load


async def test_meter_values_feed_the_load_view_and_phases(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ProfileLink
) -> None:
    assert (await client.post("/api/v1/sites", json=a_site(grid_limit=32, circuits=[]))).status_code == 201
    await client.put("/api/v1/sites/depot/stations/CP-1", json={"phase_rotation": "STR", "max_current_a": 32})
    await client.put("/api/v1/sites/depot/stations/CP-2", json={"max_current_a": 32})
    t0 = datetime.now(UTC)
    tx1 = await start(services, "CP-1", t0)
    await start(services, "CP-2", t0 + timedelta(seconds=1))
    await settle(services)
    assert link.limits() == {("CP-1", 1): 16.0, ("CP-2", 1): 16.0}
    # CP-1's car charges on one phase: its L1, wired to the grid's L2 (rotation STR).
    samples = [
        SampledValue(t0, value, "Current.Import", "A", phase)
        for phase, value in (("L1", 16.0), ("L2", 0.0), ("L3", 0.0))
    ]
    await services[TransactionService].record_meter_values(MeterReport("CP-1", 1, tx1, samples))
    await settle(services)
    load = (await client.get("/api/v1/sites/depot/load")).json()
    cp1 = next(e for e in load["evses"] if e["station_id"] == "CP-1")
    assert cp1["phases"] == [1] and cp1["measured_a"] == [0.0, 16.0, 0.0]
    # L1 and L3 now carry only CP-2: but L2 carries both, so neither gets more than 16 A there.
    assert link.limits() == {("CP-1", 1): 16.0, ("CP-2", 1): 16.0}


async def test_turning_the_controller_off_clears_its_profiles(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ProfileLink
) -> None:
    assert (await client.post("/api/v1/sites", json=a_site(grid_limit=30, circuits=[]))).status_code == 201
    await client.put("/api/v1/sites/depot/stations/CP-1", json={"max_current_a": 16})
    await start(services, "CP-1", datetime.now(UTC))
    await settle(services)
    link.sent.clear()
    off = await client.put("/api/v1/sites/depot", json={"name": "Depot", "grid_limit": 30, "controller_enabled": False})
    assert off.status_code == 200
    await asyncio.sleep(0.1)
    cleared = {type(c).__name__ for _, c in link.sent}
    assert cleared == {"ClearChargingProfile"}, link.sent


async def test_a_burst_of_events_is_one_reallocation_per_minimum_interval(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ProfileLink
) -> None:
    """Cars arriving together cost one reallocation (and one limit per EVSE), not one each: after a
    reallocation, the site's next waits for the minimum interval and takes every event since."""
    assert (await client.post("/api/v1/sites", json=a_site(grid_limit=48, circuits=[]))).status_code == 201
    body = {"stations": [{"station_id": s, "max_current_a": 32} for s in STATIONS]}
    assert (await client.post("/api/v1/sites/depot/stations", json=body)).status_code == 200
    await settle(services)
    services[LoadController].settings.load_management_min_interval_s = 1.5
    await asyncio.sleep(1.6)  # quiet for longer than the interval
    t0 = datetime.now(UTC)

    async def reasons() -> list[str]:
        await services[LoadController].flush_history()
        return [h["reason"] for h in (await client.get("/api/v1/sites/depot/allocations")).json()]

    before = len(await reasons())
    await start(services, "CP-1", t0)  # the first event after a quiet while: handled at once
    await asyncio.sleep(0.3)
    assert len(await reasons()) == before + 1
    assert link.limits() == {("CP-1", 1): 32.0}
    link.sent.clear()
    for n, station_id in enumerate(STATIONS[1:], start=1):  # within the interval: they wait, together
        await start(services, station_id, t0 + timedelta(seconds=n))
    await asyncio.sleep(0.2)
    assert len(await reasons()) == before + 1 and link.sent == []
    await asyncio.sleep(1.5)
    history = await reasons()
    assert len(history) == before + 2, history
    assert link.limits() == {("CP-1", 1): 16.0, ("CP-2", 1): 16.0, ("CP-3", 1): 16.0}
    assert len([c for _, c in link.sent if isinstance(c, SetChargingProfile)]) == 3  # one limit per EVSE


async def test_a_freed_share_goes_out_once_settled_so_a_car_leaving_and_one_arriving_move_no_one_else(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ProfileLink
) -> None:
    controller = services[LoadController]
    await a_depot_of_32_a_with_every_station(client)
    t0 = datetime.now(UTC)
    tx = {s: await start(services, s, t0 + timedelta(seconds=i)) for i, s in enumerate(STATIONS[:2])}
    await settle(services)
    assert link.limits() == {("CP-1", 1): 16.0, ("CP-2", 1): 16.0}
    controller.settings.load_management_raise_settle_s = 1.0
    link.sent.clear()

    # CP-2 leaves and CP-3 arrives straight after: CP-3 takes the freed share, CP-1 is neither raised nor lowered.
    await services[TransactionService].stop(StopRequest("CP-2", tx["CP-2"], 100.0, t0 + timedelta(minutes=1), "Local"))
    await settle(services)
    assert link.sent == []  # the higher limit for CP-1 is settling
    tx["CP-3"] = await start(services, "CP-3", t0 + timedelta(minutes=1, seconds=1))
    await settle(services)
    await asyncio.sleep(1.2)  # past the settle time: nothing was left to raise
    assert [s for s, c in link.sent if isinstance(c, SetChargingProfile)] == ["CP-3"]
    assert link.limits() == {("CP-3", 1): 16.0}  # CP-1 keeps the 16 A it had

    # CP-3 leaves and no one comes: once settled, CP-1 gets the whole connection, without being asked again.
    link.sent.clear()
    await services[TransactionService].stop(StopRequest("CP-3", tx["CP-3"], 100.0, t0 + timedelta(minutes=2), "Local"))
    await settle(services)
    assert link.sent == []
    await asyncio.sleep(1.3)
    assert [s for s, c in link.sent if isinstance(c, SetChargingProfile)] == ["CP-1"]
    assert link.limits() == {("CP-1", 1): 32.0}


async def test_a_small_raise_waits_the_longer_settle_and_a_large_one_goes_out_at_once(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ProfileLink
) -> None:
    controller = services[LoadController]
    await a_depot_of_32_a_with_every_station(client)
    t0 = datetime.now(UTC)
    for n, station_id in enumerate(STATIONS):
        await start(services, station_id, t0 + timedelta(seconds=n))
    await settle(services)
    assert set(link.limits().values()) == {10.6}  # 32 A over three cars
    controller.settings.load_management_small_raise_settle_s = 1.0
    link.sent.clear()

    # 35 A: one more ampere each, below the 2 A of a quick raise: nothing until it has stayed free 1 s.
    assert (await client.put("/api/v1/sites/depot", json={"name": "Depot", "grid_limit": 35})).status_code == 200
    await settle(services)
    assert link.limits() == {}
    await asyncio.sleep(1.2)
    assert link.limits() == {(s, 1): 11.6 for s in STATIONS}

    # 44 A: 3 A more each, sent at once.
    link.sent.clear()
    assert (await client.put("/api/v1/sites/depot", json={"name": "Depot", "grid_limit": 44})).status_code == 200
    await settle(services)
    assert link.limits() == {(s, 1): 14.6 for s in STATIONS}


async def test_a_session_is_found_by_its_transaction_while_it_runs_on_the_site_it_runs_on(
    client: httpx.AsyncClient, services: ServiceRegistry
) -> None:
    controller = services[LoadController]
    for site_id in ("depot", "yard"):
        assert (await client.post("/api/v1/sites", json=a_site(id=site_id, circuits=[]))).status_code == 201
    body = {"stations": [{"station_id": "CP-1"}]}
    assert (await client.post("/api/v1/sites/depot/stations", json=body)).status_code == 200
    t0 = datetime.now(UTC)
    outcome = await services[TransactionService].start(StartRequest("CP-1", 1, "TOKEN", 0.0, t0))
    transaction_id = outcome.transaction.id
    assert controller.plan_of(transaction_id) == ("depot", None, None)
    assert controller.plan_of(transaction_id + 1000) is None

    # The station moves to another site with its transaction: found there, not on the old one.
    assert (await client.post("/api/v1/sites/yard/stations", json=body)).status_code == 200
    assert controller.plan_of(transaction_id) == ("yard", None, None)

    ended = StopRequest("CP-1", outcome.transaction.station_tx_id, 10.0, t0 + timedelta(minutes=1), "Local")
    await services[TransactionService].stop(ended)
    assert controller.plan_of(transaction_id) is None


async def test_only_a_status_that_changes_what_an_evse_may_draw_reallocates_its_site(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ProfileLink
) -> None:
    controller = services[LoadController]
    assert (await client.post("/api/v1/sites", json=a_site(grid_limit=32, circuits=[]))).status_code == 201
    body = {"stations": [{"station_id": s, "max_current_a": 32} for s in STATIONS[:2]]}
    assert (await client.post("/api/v1/sites/depot/stations", json=body)).status_code == 200
    t0 = datetime.now(UTC)
    for n, station_id in enumerate(STATIONS[:2]):
        await start(services, station_id, t0 + timedelta(seconds=n))
    await settle(services)
    controller.settings.load_management_min_interval_s = 0.0

    async def reasons() -> list[str]:
        await controller.flush_history()
        return [h["reason"] for h in (await client.get("/api/v1/sites/depot/allocations")).json()]

    before = await reasons()
    controller.on_activity(EvseActivity("CP-1", 1, ActivityKind.STATUS, status="Charging"))  # drawing already
    await asyncio.sleep(0.3)
    assert await reasons() == before
    controller.on_activity(EvseActivity("CP-1", 1, ActivityKind.STATUS, status="Faulted"))  # draws nothing now
    await asyncio.sleep(0.3)
    assert (await reasons())[0] == "CP-1/1 Faulted"
    assert link.limits()[("CP-2", 1)] == 32.0  # the whole connection for the other car


async def test_stations_that_connect_are_given_the_default_after_a_delay_in_batches(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ProfileLink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Assigned while offline, the stations get the controller's 0 A default once connected: not during the
    reconnect itself (a storm's handshakes go first) and a batch at a time."""
    import voltline.areas.load_management.controller as controller_module

    monkeypatch.setattr(controller_module, "DEFAULTS_BATCH", 2)
    controller = services[LoadController]
    controller.settings.load_management_default_delay_s = 0.2
    link.online.clear()
    assert (await client.post("/api/v1/sites", json=a_site(grid_limit=30, circuits=[]))).status_code == 201
    body = {"stations": [{"station_id": s, "max_current_a": 16} for s in STATIONS]}
    assert (await client.post("/api/v1/sites/depot/stations", json=body)).status_code == 200
    assert link.sent == []  # offline: nothing to send yet

    def defaults() -> list[str]:
        return [
            s for s, c in link.sent if isinstance(c, SetChargingProfile) and c.profile.profile_id == PROFILE_ID_BASE
        ]

    for station_id in STATIONS:
        link.online.add(station_id)
        services[StationService].announce_connected(station_id, "ocpp1.6", "127.0.0.1", False)
    await asyncio.sleep(0.05)
    assert defaults() == []  # within the delay
    for _ in range(100):
        if len(defaults()) == len(STATIONS):
            break
        await asyncio.sleep(0.02)
    assert sorted(defaults()) == STATIONS
    # Connecting again (a reconnect) sends nothing more: the default is held.
    services[StationService].announce_connected("CP-1", "ocpp1.6", "127.0.0.1", True)
    await asyncio.sleep(0.3)
    assert sorted(defaults()) == STATIONS
