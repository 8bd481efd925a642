"""Removing a station (issue 10, point 6), on the real wiring over SQL storage (both backends): its
connection is ended through the kernel's `Disconnect` port before the row goes and once more after the
delete committed (`StationRemoved`); admission refuses it meanwhile; and a message of the station racing
the removal is stored while the station still exists, or answered and dropped: never an error."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from tests.support.api_fixtures import ScriptedLink
from tests.support.builders import OTHER_STATION, STATION, T0, a_boot, a_registration
from tests.support.wiring import wired_services
from voltline.areas.configuration.model import DeviceVariable, SettingAddress
from voltline.areas.configuration.service import ConfigurationService
from voltline.areas.stations.admission import AdmissionService, Admitted, Refusal
from voltline.areas.stations.model import ConnectorStatus, Registration, StationRemoved, UnknownStationPolicy
from voltline.areas.stations.service import REMOVED_REASON, StationService
from voltline.kernel.errors import NotFound
from voltline.kernel.events import EventBus
from voltline.kernel.presence import Disconnect
from voltline.kernel.services import ServiceRegistry
from voltline.storage.sql import SqlStorage


class FakeConnections:
    """A `Disconnect` that records what it is asked; `while_draining` plays what happens while the removal
    waits for the connection to end (the message the station was sending being handled)."""

    def __init__(self, *connected: str) -> None:
        self.connected = set(connected)
        self.calls: list[tuple[str, str]] = []
        self.while_draining: Callable[[str], Awaitable[None]] | None = None
        self.drained = True

    def disconnect(self, station_id: str, reason: str) -> bool:
        self.calls.append(("disconnect", station_id))
        assert reason == REMOVED_REASON
        return station_id in self.connected

    async def disconnected(self, station_id: str, timeout: float) -> bool:  # noqa: ASYNC109
        self.calls.append(("wait", station_id))
        if self.while_draining is not None:
            await self.while_draining(station_id)
        if self.drained:
            self.connected.discard(station_id)
        return self.drained


def a_status(station_id: str, status: str = "Available") -> ConnectorStatus:
    return ConnectorStatus(station_id, 1, 1, status, "NoError", timestamp=T0)


@pytest.fixture
def services(storage: SqlStorage) -> ServiceRegistry:
    return wired_services(storage, ScriptedLink())


def test_the_fake_is_a_disconnect() -> None:
    connections: Disconnect = FakeConnections()
    assert connections.disconnect("CP-NONE", REMOVED_REASON) is False


async def test_removing_a_connected_station_ends_its_connection_before_and_after_the_delete(
    services: ServiceRegistry,
) -> None:
    stations = services[StationService]
    admission = services[AdmissionService]
    configuration = services[ConfigurationService]
    await stations.register(STATION, a_registration())
    connections = FakeConnections(STATION)
    stations.attach_connections(connections)
    removed: list[StationRemoved] = []
    services[EventBus].subscribe_after_commit(StationRemoved, removed.append)
    seen_while_draining: list[object] = []

    async def last_messages(station_id: str) -> None:
        # The station is still registered while its last messages are handled: they are stored (no
        # foreign key breaks), and admission already refuses it as unknown.
        seen_while_draining.append(await stations.get(station_id) is not None)
        seen_while_draining.append(await admission.admit(station_id, None))
        await stations.report_status(a_status(station_id, "Charging"))
        variable = DeviceVariable(SettingAddress.key("HeartbeatInterval"), "60")
        await configuration.record_report_part(station_id, 7, [variable], more=False)

    connections.while_draining = last_messages

    await stations.delete(STATION)

    assert seen_while_draining == [True, Refusal.UNKNOWN_STATION]
    # Closed first (and waited for), then once more after the commit: whatever got in meanwhile goes too.
    assert connections.calls == [("disconnect", STATION), ("wait", STATION), ("disconnect", STATION)]
    assert removed == [StationRemoved(STATION)]
    assert await stations.get(STATION) is None
    assert not stations.is_being_removed(STATION)
    # Over: an unknown id like any other (refused under the default policy).
    assert await admission.admit(STATION, None) is Refusal.UNKNOWN_STATION


async def test_removing_a_station_that_is_not_connected_waits_for_nothing(services: ServiceRegistry) -> None:
    stations = services[StationService]
    await stations.register(STATION, a_registration())
    connections = FakeConnections()
    stations.attach_connections(connections)

    await stations.delete(STATION)

    assert connections.calls == [("disconnect", STATION), ("disconnect", STATION)]
    assert await stations.get(STATION) is None


async def test_removing_an_unregistered_station_is_not_found_and_ends_no_connection(
    services: ServiceRegistry,
) -> None:
    stations = services[StationService]
    connections = FakeConnections(STATION)
    stations.attach_connections(connections)

    with pytest.raises(NotFound):
        await stations.delete(STATION)

    assert connections.calls == []
    assert not stations.is_being_removed(STATION)


async def test_a_connection_that_does_not_end_in_time_does_not_stop_the_removal(
    services: ServiceRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    stations = services[StationService]
    await stations.register(STATION, a_registration())
    connections = FakeConnections(STATION)
    connections.drained = False
    stations.attach_connections(connections)

    await stations.delete(STATION)

    assert await stations.get(STATION) is None
    assert connections.calls == [("disconnect", STATION), ("wait", STATION), ("disconnect", STATION)]
    assert "did not end" in caplog.text


async def test_a_status_of_a_removed_station_is_answered_and_dropped(services: ServiceRegistry) -> None:
    """A StatusNotification that arrives after the row went (it would break the foreign key to the
    station: an InternalError the station sends again and again) is dropped; the commit group it shares
    with other stations' statuses is not failed by it."""
    stations = services[StationService]
    await stations.register(STATION, a_registration())
    await stations.register(OTHER_STATION, a_registration())
    await stations.delete(STATION)

    # Submitted together: one commit group, one query for who is registered.
    await asyncio.gather(stations.report_status(a_status(STATION)), stations.report_status(a_status(OTHER_STATION)))

    assert [s.status for s in (await stations.view(OTHER_STATION)).statuses] == ["Available"]
    with pytest.raises(NotFound):
        await stations.view(STATION)
    # Its boot, too, is answered: Rejected, no longer ours to accept.
    assert (await stations.boot(STATION, a_boot())).registration is Registration.REJECTED


async def test_under_a_policy_that_admits_unknown_ones_a_removed_station_is_registered_anew_after(
    services: ServiceRegistry,
) -> None:
    stations = services[StationService]
    await stations.register(STATION, a_registration(password="correct-horse-battery-staple"))
    admission = AdmissionService(stations, UnknownStationPolicy.PENDING)
    connections = FakeConnections(STATION)
    verdicts: list[object] = []

    async def reconnects(station_id: str) -> None:
        verdicts.append(await admission.admit(station_id, None))

    connections.while_draining = reconnects
    stations.attach_connections(connections)

    await stations.delete(STATION)

    # Not registered anew while its removal is under way; afterwards, as any unknown id: Pending.
    assert verdicts == [Refusal.UNKNOWN_STATION]
    assert await admission.admit(STATION, None) == Admitted(STATION, False, False)
    station = await stations.get(STATION)
    assert station is not None
    assert (station.registration, station.password_hash) == (Registration.PENDING, None)
