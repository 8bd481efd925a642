"""Live events: the EventHub's semantics, what the station and transaction services publish, and the
domain events the live events area streams."""

from __future__ import annotations

import asyncio

from tests.support.api_fixtures import ScriptedLink
from tests.support.builders import STATION, a_boot, a_meter_report, a_start, a_stop, an_event, at, energy
from voltline.areas.live_events.manifest import follow
from voltline.areas.local_lists.model import LocalListStateChanged
from voltline.areas.remote_control.commands import Reset, ResetKind
from voltline.areas.stations.model import ConnectorStatus
from voltline.areas.stations.service import StationRegistration, StationService
from voltline.areas.transactions.service import TransactionService
from voltline.kernel.actors import current_actor
from voltline.kernel.commands import CommandService
from voltline.kernel.events import EventBus
from voltline.kernel.live_events import EventHub, LiveEvent, Subscription
from voltline.storage.sql import SqlStorage


async def taken(subscription: Subscription) -> list[LiveEvent]:
    events = []
    while (event := await subscription.next(wait_seconds=0.01)) is not None:
        events.append(event)
    return events


# -- the hub --------------------------------------------------------------------------------------


async def test_nobody_listening_costs_no_event_and_no_sequence_number() -> None:
    hub = EventHub()
    assert not hub.active and not hub.wants("status", "CP-1")
    hub.publish("status", "CP-1", {"status": "Available"})  # goes nowhere

    subscription = hub.subscribe()
    assert hub.active
    hub.publish("status", "CP-1", {"status": "Charging"})
    (event,) = await taken(subscription)
    assert (event.seq, event.kind, event.station_id, event.data) == (1, "status", "CP-1", {"status": "Charging"})


async def test_events_arrive_in_publishing_order_with_increasing_sequence_numbers() -> None:
    hub = EventHub()
    subscription = hub.subscribe()
    for index in range(50):
        hub.publish("meter_values", f"CP-{index % 3}", {"index": index})

    events = await taken(subscription)
    assert [e.data["index"] for e in events] == list(range(50))
    assert [e.seq for e in events] == sorted({e.seq for e in events})


async def test_filters_by_station_and_by_kind_or_its_first_part() -> None:
    hub = EventHub()
    only_cp1 = hub.subscribe(stations=["CP-1"])
    transactions = hub.subscribe(kinds=["transaction"])
    exact = hub.subscribe(kinds=["transaction.ended", "status"], stations=["CP-2"])

    hub.publish("status", "CP-1")
    hub.publish("transaction.started", "CP-2")
    hub.publish("transaction.ended", "CP-2")
    hub.publish("status", "CP-2")
    hub.publish("transactionx", "CP-2")  # not a transaction kind: the prefix is matched by its part
    hub.publish("command.result", None)

    assert [(e.kind, e.station_id) for e in await taken(only_cp1)] == [("status", "CP-1")]
    assert [e.kind for e in await taken(transactions)] == ["transaction.started", "transaction.ended"]
    assert [e.kind for e in await taken(exact)] == ["transaction.ended", "status"]
    assert hub.wants("transaction.updated", "CP-9") and not hub.wants("boot", "CP-9")


async def test_a_slow_reader_loses_the_oldest_events_and_is_told_how_many() -> None:
    hub = EventHub()
    subscription = hub.subscribe(max_queue=3)
    for index in range(10):
        hub.publish("status", "CP-1", {"index": index})

    first, *rest = await taken(subscription)
    assert first.data["index"] == 7 and first.dropped == 7
    assert [(e.data["index"], e.dropped) for e in rest] == [(8, 0), (9, 0)]
    hub.publish("status", "CP-1", {"index": 10})
    assert (await taken(subscription))[0].dropped == 0  # the count was reported once


async def test_a_waiting_reader_wakes_on_publish_and_times_out_without_one() -> None:
    hub = EventHub()
    subscription = hub.subscribe()
    assert await subscription.next(wait_seconds=0.01) is None and not subscription.closed

    waiter = asyncio.create_task(subscription.next(wait_seconds=5))
    await asyncio.sleep(0)
    hub.publish("boot", "CP-1")
    event = await asyncio.wait_for(waiter, 1)
    assert event is not None and event.kind == "boot"


async def test_unsubscribe_ends_the_reader_and_stops_delivery() -> None:
    hub = EventHub()
    subscription = hub.subscribe()
    other = hub.subscribe()
    reader = asyncio.create_task(taken_until_closed(subscription))
    await asyncio.sleep(0)
    hub.publish("status", "CP-1")
    await asyncio.sleep(0)
    hub.unsubscribe(subscription)
    hub.publish("status", "CP-2")

    assert [e.station_id for e in await asyncio.wait_for(reader, 1)] == ["CP-1"]
    assert hub.subscriber_count == 1 and hub.active
    hub.unsubscribe(other)
    assert not hub.active


async def test_close_ends_every_stream_and_later_subscriptions_at_once() -> None:
    hub = EventHub()
    subscription = hub.subscribe()
    hub.publish("status", "CP-1")
    hub.close()

    assert [e.kind for e in await taken_until_closed(subscription)] == ["status"]
    late = hub.subscribe()
    assert late.closed and await late.next() is None
    assert not hub.active


async def taken_until_closed(subscription: Subscription) -> list[LiveEvent]:
    return [event async for event in subscription]


# -- what the services publish -----------------------------------------------------------------------


async def test_boot_and_status_are_published_after_they_are_stored(storage: SqlStorage) -> None:
    hub = EventHub()
    stations = StationService(storage, 300, hub)
    await stations.register(STATION, StationRegistration())
    subscription = hub.subscribe(stations=[STATION])

    await stations.boot(STATION, a_boot())
    await stations.report_status(ConnectorStatus(STATION, 1, 1, "Available", error_code="NoError", timestamp=at(0)))
    boot, status = await taken(subscription)
    assert boot.kind == "boot" and boot.data["answer"] == "Accepted" and boot.data["vendor"] == a_boot().vendor
    assert status.kind == "status"
    assert status.data == {
        "evse_id": 1,
        "connector_id": 1,
        "status": "Available",
        "error_code": "NoError",
        "info": None,
        "timestamp": at(0).isoformat(),
    }
    view = await stations.view(STATION)
    assert [s.status for s in view.statuses] == ["Available"]


async def test_a_16_charging_session_publishes_started_meter_values_and_ended_once(storage: SqlStorage) -> None:
    hub = EventHub()
    transactions = TransactionService(storage, hub)
    subscription = hub.subscribe()

    started = await transactions.start(a_start())
    await transactions.start(a_start())  # a retry: the same transaction, no second event
    tx = started.transaction
    await transactions.record_meter_values(a_meter_report(station_tx_id=tx.station_tx_id, values=(energy(10, 2000.0),)))
    await transactions.stop(a_stop(tx.station_tx_id, meter_stop_wh=5000.0))
    await transactions.stop(a_stop(tx.station_tx_id, meter_stop_wh=5000.0))  # a retry: nothing new
    await transactions.stop(a_stop("424242"))  # not a transaction of this station: nothing

    events = await taken(subscription)
    assert [e.kind for e in events] == ["transaction.started", "meter_values", "transaction.ended"]
    start, meter, end = (e.data for e in events)
    assert start["transaction_id"] == tx.id and start["meter_start_wh"] == 1000.0
    assert meter["transaction_id"] == tx.id and meter["evse_id"] == 1
    assert meter["values"] == [
        {
            "timestamp": at(10).isoformat(),
            "measurand": "Energy.Active.Import.Register",
            "value": 2000.0,
            "unit": "Wh",
        }
    ]
    assert end["energy_wh"] == 4000.0 and end["stop_reason"] == "EVDisconnected"


async def test_201_events_publish_started_updated_meter_values_and_ended(storage: SqlStorage) -> None:
    hub = EventHub()
    transactions = TransactionService(storage, hub)
    subscription = hub.subscribe(kinds=["transaction", "meter_values"])

    await transactions.apply_event(an_event(station_tx_id="T-1", meter_values=(energy(0, 100.0),)))
    await transactions.apply_event(
        an_event(
            station_tx_id="T-1",
            event_type="Updated",
            seq_no=1,
            trigger_reason="ChargingStateChanged",
            charging_state="Charging",
            timestamp=at(1),
        )
    )
    await transactions.apply_event(
        an_event(
            station_tx_id="T-1",
            event_type="Ended",
            seq_no=2,
            trigger_reason="EVDeparted",
            stopped_reason="EVDisconnected",
            timestamp=at(30),
            meter_values=(energy(30, 900.0),),
        )
    )

    events = await taken(subscription)
    assert [e.kind for e in events] == [
        "transaction.started",
        "meter_values",
        "transaction.updated",
        "meter_values",
        "transaction.ended",
    ]
    assert events[2].data["charging_state"] == "Charging"
    assert events[4].data["energy_wh"] == 800.0 and events[4].data["station_transaction_id"] == "T-1"


async def test_services_publish_nothing_while_nobody_listens(storage: SqlStorage) -> None:
    hub = EventHub()
    transactions = TransactionService(storage, hub)
    await transactions.start(a_start())
    subscription = hub.subscribe()
    assert await taken(subscription) == []


async def test_command_outcomes_and_local_list_states_reach_the_stream_from_their_domain_events() -> None:
    hub, bus = EventHub(), EventBus()
    follow(bus, hub)  # as the live events area wires it
    link = ScriptedLink(online={"CP-1"})
    commands = CommandService(link, bus)
    await commands.send("CP-1", Reset(ResetKind.SOFT))  # nobody listens yet: nothing is built
    subscription = hub.subscribe(kinds=["command", "local_list"])

    token = current_actor.set("user:alice")
    try:
        await commands.send("CP-1", Reset(ResetKind.SOFT))
    finally:
        current_actor.reset(token)
    bus.announce(LocalListStateChanged("CP-1", "in_sync", station_version=3, skipped=0))
    bus.announce(LocalListStateChanged("CP-1", "failed", error="station answered Failed"))
    bus.announce(LocalListStateChanged("CP-1", "unmanaged"))

    events = await taken(subscription)
    assert [(e.kind, e.station_id, e.data) for e in events] == [
        ("command.result", "CP-1", {"command": "Reset", "outcome": "Accepted", "actor": "user:alice"}),
        ("local_list", "CP-1", {"state": "in_sync", "station_version": 3, "skipped": 0}),
        ("local_list", "CP-1", {"state": "failed", "error": "station answered Failed"}),
        ("local_list", "CP-1", {"state": "unmanaged"}),
    ]
    assert events[0].seq == 1  # the command sent while nobody listened took no sequence number
