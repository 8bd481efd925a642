"""Local authorization lists over real storage (SQLite and PostgreSQL): versions, differences, selections,
pending stations, refused updates and after-boot reconciliation.

Stations are played by the simulator's own local-list rules behind a `StationLink` without sockets: each
command goes through the real version encoder, and every call and answer is checked against the OCA
schema (the end-to-end tests do the same over real sockets).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.builders import a_token
from tests.support.schema_check import validator
from tests.support.waiting import eventually
from tests.support.wiring import ENCODERS
from voltline.areas.authorization.model import AuthorizationStatus, TokenChanged, TokenType
from voltline.areas.authorization.service import AuthorizationService
from voltline.areas.configuration.model import SettingAddress
from voltline.areas.local_lists.manifest import subscribe
from voltline.areas.local_lists.model import LocalListEntry, Selection, SyncState
from voltline.areas.local_lists.plan import ListDiff, diff_entries, entries_for, plan_differential, plan_full
from voltline.areas.local_lists.service import LocalListService
from voltline.areas.stations.model import Registration
from voltline.areas.stations.service import StationRegistration, StationService
from voltline.kernel.after_boot import AfterBoot
from voltline.kernel.background import Timers
from voltline.kernel.commands import Command, CommandResult, CommandService
from voltline.kernel.errors import NotFound, StationOffline, StationRejectedCall, StationTimeout
from voltline.kernel.events import EventBus, Transaction
from voltline.ocppj import OcppError, OcppVersion
from voltline.simulator import SimulatedStation
from voltline.simulator.local_list import LocalListHandler
from voltline.storage.sql import SqlStorage

STATION = "CP-LL"
VERSIONS = ["1.6", "2.0.1"]


@dataclass(slots=True)
class Call:
    station_id: str
    action: str
    payload: dict[str, Any]


class SimulatedLink:
    """The StationLink port over simulated stations' local-list handlers (no sockets)."""

    def __init__(self) -> None:
        self.stations: dict[str, SimulatedStation] = {}
        self.offline: set[str] = set()
        self.hanging: set[str] = set()  # stations that never answer: StationTimeout
        self.calls: list[Call] = []

    def add(self, station_id: str, version: str) -> SimulatedStation:
        station = SimulatedStation("ws://unused", station_id, version)
        self.stations[station_id] = station
        return station

    def is_online(self, station_id: str) -> bool:
        return station_id in self.stations and station_id not in self.offline

    def version_of(self, station_id: str) -> OcppVersion | None:
        return self.stations[station_id].version if self.is_online(station_id) else None

    def online_ids(self) -> frozenset[str]:
        return frozenset(self.stations.keys() - self.offline)

    async def send(self, station_id: str, command: Command) -> CommandResult:
        if not self.is_online(station_id):
            raise StationOffline(station_id)
        station = self.stations[station_id]
        call = ENCODERS[OcppVersion(station.version)].encode(command)
        errors = list(validator(station.version, call.action, "request").iter_errors(call.payload))
        assert not errors, f"{call.action}: {errors[0].message}"
        self.calls.append(Call(station_id, call.action, call.payload))
        if station_id in self.hanging:
            raise StationTimeout(f"{station_id} did not answer")
        try:
            answer = await LocalListHandler(station).routes()[call.action](call.payload)
        except OcppError as exc:
            raise StationRejectedCall("NotSupported", exc.description) from exc
        errors = list(validator(station.version, call.action, "response").iter_errors(answer))
        assert not errors, f"{call.action} answer: {errors[0].message}"
        return CommandResult(str(answer.get("status", "")), answer, call.decode(answer) if call.decode else None)

    async def call_raw(self, station_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("local lists send commands only")

    def sent(self, action: str = "SendLocalList") -> list[dict[str, Any]]:
        return [c.payload for c in self.calls if c.action == action]


@dataclass(slots=True)
class World:
    link: SimulatedLink
    lists: LocalListService
    tokens: AuthorizationService
    stations: StationService
    bus: EventBus

    async def station(self, station_id: str, version: str) -> SimulatedStation:
        await self.stations.register(station_id, StationRegistration(Registration.ACCEPTED, 0))
        return self.link.add(station_id, version)


@pytest.fixture
async def world(storage: SqlStorage, stations: StationService) -> AsyncIterator[World]:
    link = SimulatedLink()
    bus = EventBus(storage)
    lists = LocalListService(storage, CommandService(link, bus), bus)
    tokens = AuthorizationService(storage, bus)
    subscribe(bus, lists, AfterBoot())  # token changes make the affected stations' lists pending
    yield World(link, lists, tokens, stations, bus)
    await lists.close()


def version_of(payload: dict[str, Any]) -> int:
    return int(payload.get("listVersion", payload.get("versionNumber", -99)))


def tokens_in(payload: dict[str, Any]) -> list[str]:
    items = payload.get("localAuthorizationList", [])
    return [item["idTag"] if "idTag" in item else item["idToken"]["idToken"] for item in items]


def has_info(item: dict[str, Any]) -> bool:
    return "idTagInfo" in item or "idTokenInfo" in item


# -- pure rules ------------------------------------------------------------------------------------------


def entry(id_token: str, **overrides: Any) -> LocalListEntry:
    return LocalListEntry.of(a_token(id_token=id_token, **overrides))


def test_diff_lists_added_changed_and_removed_entries_only() -> None:
    held = {"A": entry("A"), "B": entry("B"), "C": entry("C")}
    wanted = {"A": entry("A"), "B": entry("B", status=AuthorizationStatus.BLOCKED), "D": entry("D")}

    diff = diff_entries(held, wanted)

    assert [e.id_token for e in diff.upserts] == ["B", "D"]
    assert [e.id_token for e in diff.removals] == ["C"]
    assert not diff.retyped
    assert diff_entries(wanted, wanted).empty
    assert diff_entries({"A": entry("A")}, {"A": entry("A", type=TokenType.EMAID)}).retyped


def test_a_long_full_list_is_a_full_part_followed_by_differential_parts() -> None:
    plans = plan_full([entry(f"T{i}") for i in range(5)], max_entries=2)

    assert [(p.full, [e.id_token for e in p.entries]) for p in plans] == [
        (True, ["T0", "T1"]),
        (False, ["T2", "T3"]),
        (False, ["T4"]),
    ]
    assert [p.full for p in plan_full([], max_entries=2)] == [True]  # an empty Full list clears the station's


def test_differential_parts_remove_first_and_an_empty_difference_is_still_sent() -> None:
    diff = ListDiff(upserts=(entry("A"), entry("B")), removals=(entry("Z"),), retyped=False)

    plans = plan_differential(diff, max_entries=2)

    assert [([e.id_token for e in p.removals], [e.id_token for e in p.entries]) for p in plans] == [
        (["Z"], ["A"]),
        ([], ["B"]),
    ]
    assert len(plan_differential(ListDiff((), (), False), max_entries=2)) == 1


def test_tokens_too_long_for_ocpp_16_are_left_out_and_reported() -> None:
    tokens = [a_token(id_token="SHORT"), a_token(id_token="X" * 21), a_token(id_token="GROUPED", group_id="G" * 21)]

    entries_16, skipped_16 = entries_for(OcppVersion.V16, tokens)
    entries_201, skipped_201 = entries_for(OcppVersion.V201, tokens)

    assert sorted(entries_16) == ["SHORT"] and skipped_16 == ("GROUPED", "X" * 21)
    assert len(entries_201) == 3 and skipped_201 == ()


# -- over storage ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_full_list_first_then_a_differential_with_the_next_version(world: World, version: str) -> None:
    station = await world.station(STATION, version)
    await world.tokens.create(a_token(id_token="TAG-A"))
    await world.tokens.create(a_token(id_token="TAG-B", group_id="FLEET"))

    await world.lists.set_selection(STATION, Selection(all=True))
    await world.lists.wait_idle()

    [full] = world.link.sent()
    assert (full["updateType"], version_of(full), tokens_in(full)) == ("Full", 1, ["TAG-A", "TAG-B"])
    record = await world.lists.get(STATION)
    assert record is not None
    assert (record.state, record.station_version, record.desired_version, record.entry_count) == (
        SyncState.IN_SYNC,
        1,
        1,
        2,
    )

    await world.tokens.update("TAG-B", {"status": AuthorizationStatus.BLOCKED})
    await world.lists.wait_idle()

    differential = world.link.sent()[-1]
    assert (differential["updateType"], version_of(differential), tokens_in(differential)) == (
        "Differential",
        2,
        ["TAG-B"],
    )
    info = (
        differential["localAuthorizationList"][0].get("idTagInfo")
        or differential["localAuthorizationList"][0]["idTokenInfo"]
    )
    assert info["status"] == "Blocked"
    record = await world.lists.get(STATION)
    assert record is not None and (record.state, record.station_version) == (SyncState.IN_SYNC, 2)
    assert station.local_list.version == 2 and sorted(station.local_list.entries) == ["TAG-A", "TAG-B"]

    await world.tokens.delete("TAG-A")
    await world.lists.wait_idle()

    removal = world.link.sent()[-1]
    assert (removal["updateType"], version_of(removal), tokens_in(removal)) == ("Differential", 3, ["TAG-A"])
    assert not has_info(removal["localAuthorizationList"][0])  # no info: delete it
    assert sorted(station.local_list.entries) == ["TAG-B"]
    assert (await world.lists.entries(STATION)).keys() == {"TAG-B"}


async def test_a_group_selection_holds_only_its_groups_and_ignores_other_changes(world: World) -> None:
    station = await world.station(STATION, "2.0.1")
    await world.tokens.create(a_token(id_token="IN-1", group_id="FLEET"))
    await world.tokens.create(a_token(id_token="OUT-1", group_id="STAFF"))
    await world.tokens.create(a_token(id_token="NOGROUP"))

    await world.lists.set_selection(STATION, Selection(groups=("FLEET",)))
    await world.lists.wait_idle()
    assert sorted(station.local_list.entries) == ["IN-1"]
    sent_before = len(world.link.calls)

    await world.tokens.update("OUT-1", {"status": AuthorizationStatus.BLOCKED})
    await world.tokens.update("NOGROUP", {"status": AuthorizationStatus.BLOCKED})
    await world.tokens.create(a_token(id_token="OUT-2", group_id="STAFF"))
    await world.lists.wait_idle()
    assert len(world.link.calls) == sent_before
    record = await world.lists.get(STATION)
    assert record is not None and (record.state, record.desired_version) == (SyncState.IN_SYNC, 1)

    await world.tokens.update("OUT-1", {"group_id": "FLEET"})  # moves into the selection
    await world.tokens.update("IN-1", {"group_id": "STAFF"})  # moves out of it
    await world.lists.wait_idle()
    assert sorted(station.local_list.entries) == ["OUT-1"]
    record = await world.lists.get(STATION)
    assert record is not None and record.state is SyncState.IN_SYNC and record.station_version == 3


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_offline_station_stays_pending_and_is_updated_after_its_boot(world: World, version: str) -> None:
    station = await world.station(STATION, version)
    await world.tokens.create(a_token(id_token="TAG-A"))
    await world.lists.set_selection(STATION, Selection(all=True))
    await world.lists.wait_idle()

    world.link.offline.add(STATION)
    await world.tokens.update("TAG-A", {"status": AuthorizationStatus.BLOCKED})
    await world.tokens.create(a_token(id_token="TAG-B"))
    await world.lists.wait_idle()
    record = await world.lists.get(STATION)
    assert record is not None
    assert (record.state, record.station_version, record.desired_version) == (SyncState.PENDING, 1, 3)
    assert len(world.link.sent()) == 1

    world.link.offline.discard(STATION)
    await world.lists.reconcile(STATION)

    assert [c.action for c in world.link.calls[-2:]] == ["GetLocalListVersion", "SendLocalList"]
    update = world.link.sent()[-1]
    assert (update["updateType"], version_of(update), tokens_in(update)) == ("Differential", 3, ["TAG-A", "TAG-B"])
    record = await world.lists.get(STATION)
    assert record is not None and (record.state, record.station_version, record.reported_version) == (
        SyncState.IN_SYNC,
        3,
        1,
    )
    assert station.local_list.version == 3


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_station_back_without_a_boot_is_updated_by_the_timer(world: World, version: str) -> None:
    """A 1.6 station reconnecting after a network loss sends no BootNotification: the sweep finds it."""
    station = await world.station(STATION, version)
    await world.tokens.create(a_token(id_token="TAG-A"))
    await world.lists.set_selection(STATION, Selection(all=True))
    await world.lists.wait_idle()
    world.link.offline.add(STATION)
    await world.tokens.create(a_token(id_token="TAG-B"))
    await world.lists.wait_idle()
    world.link.offline.discard(STATION)  # back, no boot

    timers = Timers()
    timers.every(0.05, "local-lists", world.lists.sweep)
    timers.start()
    try:

        async def in_sync() -> bool:
            record = await world.lists.get(STATION)
            return record is not None and record.state is SyncState.IN_SYNC

        await eventually(in_sync, within=5)
        await world.lists.wait_idle()
    finally:
        await timers.close()

    assert [c.action for c in world.link.calls] == ["SendLocalList", "SendLocalList"]  # no version check
    update = world.link.sent()[-1]
    assert (update["updateType"], version_of(update), tokens_in(update)) == ("Differential", 2, ["TAG-B"])
    assert station.local_list.version == 2


async def test_the_sweep_leaves_stations_in_sync_offline_or_without_list_support_alone(world: World) -> None:
    await world.station("CP-IN-SYNC", "2.0.1")
    await world.station("CP-AWAY", "1.6")
    unsupported = await world.station("CP-NO-LISTS", "1.6")
    unsupported.local_list.supported = False
    await world.tokens.create(a_token(id_token="TAG-A"))
    for station_id in ("CP-IN-SYNC", "CP-AWAY", "CP-NO-LISTS"):
        await world.lists.set_selection(station_id, Selection(all=True))
    await world.lists.wait_idle()
    await world.lists.reconcile("CP-NO-LISTS")  # it reports version -1: failed, and known not to support lists
    world.link.offline.add("CP-AWAY")
    await world.tokens.create(a_token(id_token="TAG-B"))
    await world.lists.wait_idle()
    away = await world.lists.get("CP-AWAY")
    assert away is not None and away.state is SyncState.PENDING
    calls = len(world.link.calls)

    await world.lists.sweep()
    await world.lists.wait_idle()

    assert len(world.link.calls) == calls


async def test_a_token_change_that_fails_leaves_no_pending_mark_and_sends_nothing(world: World) -> None:
    """The lists a change marks pending are marked in its transaction: when it fails, so does the mark."""
    await world.station(STATION, "1.6")
    await world.tokens.create(a_token(id_token="TAG-A"))
    await world.lists.set_selection(STATION, Selection(all=True))
    await world.lists.wait_idle()
    before = await world.lists.get(STATION)
    assert before is not None and before.state is SyncState.IN_SYNC

    async def refuses(tx: Transaction, event: TokenChanged) -> None:
        raise RuntimeError("a later subscriber fails")

    world.bus.subscribe_in_transaction(TokenChanged, refuses)  # after the local lists' own subscriber
    with pytest.raises(RuntimeError, match="a later subscriber fails"):
        await world.tokens.create(a_token(id_token="TAG-B"))
    await world.lists.wait_idle()

    after = await world.lists.get(STATION)
    assert after is not None
    assert (after.state, after.desired_version, after.revision) == (
        before.state,
        before.desired_version,
        before.revision,
    )
    with pytest.raises(NotFound):
        await world.tokens.get("TAG-B")
    assert len(world.link.sent()) == 1  # only the first Full list


async def test_a_station_that_lost_its_list_gets_a_full_update_after_boot(world: World) -> None:
    station = await world.station(STATION, "1.6")
    await world.tokens.create(a_token(id_token="TAG-A"))
    await world.lists.set_selection(STATION, Selection(all=True))
    await world.lists.wait_idle()
    station.local_list.entries.clear()
    station.local_list.version = 0  # e.g. a factory reset

    await world.lists.reconcile(STATION)

    update = world.link.sent()[-1]
    assert (update["updateType"], version_of(update), tokens_in(update)) == ("Full", 2, ["TAG-A"])
    assert station.local_list.version == 2 and list(station.local_list.entries) == ["TAG-A"]
    record = await world.lists.get(STATION)
    assert record is not None and record.state is SyncState.IN_SYNC


async def test_an_in_sync_station_gets_nothing_after_boot_but_the_version_check(world: World) -> None:
    await world.station(STATION, "2.0.1")
    await world.tokens.create(a_token(id_token="TAG-A"))
    await world.lists.set_selection(STATION, Selection(all=True))
    await world.lists.wait_idle()

    await world.lists.reconcile(STATION)

    assert [c.action for c in world.link.calls] == ["SendLocalList", "GetLocalListVersion"]


@pytest.mark.parametrize("refusal", ["Failed", "VersionMismatch"])
async def test_a_refused_differential_is_retried_once_as_full(world: World, refusal: str) -> None:
    station = await world.station(STATION, "1.6")
    await world.tokens.create(a_token(id_token="TAG-A"))
    await world.lists.set_selection(STATION, Selection(all=True))
    await world.lists.wait_idle()
    await world.tokens.create(a_token(id_token="TAG-B"))
    await world.lists.wait_idle()
    station.local_list.forced_answers.append(refusal)
    await world.tokens.create(a_token(id_token="TAG-C"))
    await world.lists.wait_idle()

    *_, refused, retried = world.link.sent()
    assert (refused["updateType"], version_of(refused)) == ("Differential", 3)
    assert (retried["updateType"], version_of(retried), tokens_in(retried)) == ("Full", 4, ["TAG-A", "TAG-B", "TAG-C"])
    record = await world.lists.get(STATION)
    assert record is not None and (record.state, record.station_version, record.entry_count) == (
        SyncState.IN_SYNC,
        4,
        3,
    )


async def test_a_station_refusing_the_full_update_too_is_failed(world: World) -> None:
    station = await world.station(STATION, "2.0.1")
    await world.tokens.create(a_token(id_token="TAG-A"))
    await world.lists.set_selection(STATION, Selection(all=True))
    await world.lists.wait_idle()
    station.local_list.forced_answers.extend(["Failed", "Failed"])

    outcome = await world.lists.sync(STATION, full=False)  # nothing changed: nothing to send
    assert outcome.updates == () and outcome.record.state is SyncState.IN_SYNC
    await world.tokens.create(a_token(id_token="TAG-B"))
    await world.lists.wait_idle()

    record = await world.lists.get(STATION)
    assert record is not None
    assert (record.state, record.station_version) == (SyncState.FAILED, 1)
    assert record.last_error is not None and "Failed to the Full update" in record.last_error
    assert [p["updateType"] for p in world.link.sent()] == ["Full", "Differential", "Full"]

    outcome = await world.lists.sync(STATION)  # the station recovers: the next attempt succeeds
    assert [(u.full, u.version, u.status) for u in outcome.updates] == [(False, 4, "Accepted")]
    assert outcome.record.state is SyncState.IN_SYNC and outcome.record.last_error is None
    assert station.local_list.version == 4 and sorted(station.local_list.entries) == ["TAG-A", "TAG-B"]


async def test_a_station_without_local_lists_is_failed_with_the_reason(world: World) -> None:
    station = await world.station(STATION, "1.6")
    station.local_list.supported = False
    await world.tokens.create(a_token(id_token="TAG-A"))

    await world.lists.set_selection(STATION, Selection(all=True))
    await world.lists.wait_idle()

    assert len(world.link.sent()) == 1  # no Full retry for NotSupported
    record = await world.lists.get(STATION)
    assert record is not None and record.state is SyncState.FAILED
    assert record.last_error is not None and "NotSupported" in record.last_error

    await world.lists.reconcile(STATION)
    record = await world.lists.get(STATION)
    assert record is not None and record.reported_version == -1 and record.state is SyncState.FAILED
    assert len(world.link.sent()) == 1


async def test_a_timeout_fails_the_list_and_the_next_update_is_full_with_a_new_version(world: World) -> None:
    station = await world.station(STATION, "2.0.1")
    await world.tokens.create(a_token(id_token="TAG-A"))
    await world.lists.set_selection(STATION, Selection(all=True))
    await world.lists.wait_idle()
    world.link.hanging.add(STATION)
    await world.tokens.create(a_token(id_token="TAG-B"))

    with pytest.raises(StationTimeout):
        await world.lists.sync(STATION)
    await world.lists.wait_idle()
    record = await world.lists.get(STATION)
    assert record is not None and record.state is SyncState.FAILED and record.needs_full

    world.link.hanging.clear()
    outcome = await world.lists.sync(STATION)

    versions = [version_of(p) for p in world.link.sent()]
    assert len(set(versions)) == len(versions), f"a version number was sent twice: {versions}"
    assert [(u.full, u.status) for u in outcome.updates] == [(True, "Accepted")]
    assert outcome.record.state is SyncState.IN_SYNC and station.local_list.version == versions[-1]


async def test_a_long_list_goes_out_in_parts_with_consecutive_versions(world: World) -> None:
    station = await world.station(STATION, "1.6")
    world.lists.max_entries = 2
    for i in range(5):
        await world.tokens.create(a_token(id_token=f"T{i}"))

    await world.lists.set_selection(STATION, Selection(all=True))
    await world.lists.wait_idle()

    assert [(p["updateType"], version_of(p), len(tokens_in(p))) for p in world.link.sent()] == [
        ("Full", 1, 2),
        ("Differential", 2, 2),
        ("Differential", 3, 1),
    ]
    record = await world.lists.get(STATION)
    assert record is not None and (record.state, record.station_version, record.entry_count) == (
        SyncState.IN_SYNC,
        3,
        5,
    )
    assert len(station.local_list.entries) == 5


@pytest.mark.parametrize(
    ("version", "limit_setting"),
    [("1.6", "SendLocalListMaxLength"), ("2.0.1", "LocalAuthListCtrlr.ItemsPerMessage")],
)
async def test_a_limit_the_station_announced_makes_the_parts_smaller(
    world: World, version: str, limit_setting: str
) -> None:
    await world.station(STATION, version)
    asked: list[tuple[str, str]] = []

    async def announced(station_id: str, address: SettingAddress) -> int | None:
        component = address.component.name + "." if address.component else ""
        asked.append((station_id, component + address.variable.name))
        return 2

    world.lists.station_limit = announced  # what the stored device model would say
    for i in range(5):
        await world.tokens.create(a_token(id_token=f"T{i}"))
    await world.lists.set_selection(STATION, Selection(all=True))
    await world.lists.wait_idle()

    assert [len(tokens_in(p)) for p in world.link.sent()] == [2, 2, 1]  # max_entries (500) is not the limit
    assert asked and set(asked) == {(STATION, limit_setting)}


async def test_tokens_too_long_for_a_16_station_are_reported_not_sent(world: World) -> None:
    station = await world.station(STATION, "1.6")
    await world.tokens.create(a_token(id_token="SHORT"))
    await world.tokens.create(a_token(id_token="A-TOKEN-LONGER-THAN-TWENTY"))

    await world.lists.set_selection(STATION, Selection(all=True))
    await world.lists.wait_idle()

    assert list(station.local_list.entries) == ["SHORT"]
    record = await world.lists.get(STATION)
    assert record is not None and record.state is SyncState.IN_SYNC
    assert record.skipped == ("A-TOKEN-LONGER-THAN-TWENTY",)


async def test_a_retyped_token_makes_a_201_update_full(world: World) -> None:
    station = await world.station(STATION, "2.0.1")
    await world.tokens.create(a_token(id_token="TAG-A"))
    await world.lists.set_selection(STATION, Selection(all=True))
    await world.lists.wait_idle()

    await world.tokens.update("TAG-A", {"type": TokenType.KEY_CODE})
    await world.lists.wait_idle()

    update = world.link.sent()[-1]
    assert (update["updateType"], version_of(update)) == ("Full", 2)
    assert station.local_list.entries["TAG-A"]["idToken"]["type"] == "KeyCode"


async def test_stop_with_clear_sends_an_empty_full_list_and_forgets_the_station(world: World) -> None:
    station = await world.station(STATION, "2.0.1")
    await world.tokens.create(a_token(id_token="TAG-A"))
    await world.lists.set_selection(STATION, Selection(all=True))
    await world.lists.wait_idle()

    outcome = await world.lists.stop(STATION, clear=True)

    assert outcome.cleared and outcome.version == 2
    assert station.local_list.entries == {} and station.local_list.version == 2
    assert "localAuthorizationList" not in world.link.sent()[-1]
    assert await world.lists.get(STATION) is None
    assert await world.lists.list() == []
    await world.tokens.create(a_token(id_token="TAG-B"))  # no longer managed: nothing happens
    await world.lists.wait_idle()
    assert len(world.link.sent()) == 2


async def test_listing_filters_by_state(world: World) -> None:
    await world.station("CP-ON", "1.6")
    await world.station("CP-OFF", "2.0.1")
    world.link.offline.add("CP-OFF")
    await world.tokens.create(a_token(id_token="TAG-A"))

    await world.lists.set_selection("CP-ON", Selection(all=True))
    await world.lists.set_selection("CP-OFF", Selection(groups=("FLEET", "STAFF")))
    await world.lists.wait_idle()

    assert [r.station_id for r in await world.lists.list(SyncState.PENDING)] == ["CP-OFF"]
    assert [r.station_id for r in await world.lists.list(SyncState.IN_SYNC)] == ["CP-ON"]
    [off] = await world.lists.list(SyncState.PENDING)
    assert off.selection == Selection(groups=("FLEET", "STAFF"))
    with pytest.raises(StationOffline):
        await world.lists.sync("CP-OFF")


async def test_unknown_and_unmanaged_stations(world: World) -> None:
    await world.station(STATION, "1.6")

    with pytest.raises(NotFound):
        await world.lists.get("NOBODY")
    with pytest.raises(NotFound):
        await world.lists.set_selection("NOBODY", Selection(all=True))
    assert await world.lists.get(STATION) is None
    with pytest.raises(NotFound):
        await world.lists.sync(STATION)
    with pytest.raises(NotFound):
        await world.lists.stop(STATION)
    check = await world.lists.check_version(STATION)
    assert (check.reported, check.recorded, check.matches) == (0, None, None)


async def test_deleting_the_station_deletes_its_list(world: World) -> None:
    await world.station(STATION, "1.6")
    await world.tokens.create(a_token(id_token="TAG-A"))
    await world.lists.set_selection(STATION, Selection(groups=("FLEET",)))
    await world.lists.wait_idle()

    await world.stations.delete(STATION)

    assert await world.lists.list() == []
