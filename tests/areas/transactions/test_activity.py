"""What the station path tells the activity feed: every change of a watched station, nothing of others."""

from __future__ import annotations

from tests.support.builders import STATION, a_meter_report, a_start, a_stop, an_event, energy
from voltline.areas.stations.model import ConnectorStatus
from voltline.areas.stations.service import StationRegistration, StationService
from voltline.areas.transactions.service import TransactionService
from voltline.kernel.activity import ActivityFeed, ActivityKind, EvseActivity
from voltline.storage.sql import SqlStorage


def a_feed(*watched: str) -> tuple[ActivityFeed, list[EvseActivity]]:
    feed, seen = ActivityFeed(), []
    feed.watch(watched)
    feed.listen(seen.append)
    return feed, seen


async def test_a_16_session_of_a_watched_station_is_followed_and_retries_add_nothing(storage: SqlStorage) -> None:
    feed, seen = a_feed(STATION)
    transactions = TransactionService(storage, activity=feed)

    tx = (await transactions.start(a_start())).transaction
    await transactions.start(a_start())  # a retry: no second start
    await transactions.record_meter_values(a_meter_report(station_tx_id=tx.station_tx_id, values=(energy(10, 2000.0),)))
    await transactions.stop(a_stop(tx.station_tx_id, meter_stop_wh=5000.0))
    await transactions.stop(a_stop(tx.station_tx_id, meter_stop_wh=5000.0))  # a retry: nothing

    assert [(a.kind, a.evse_id, a.transaction_id, a.station_tx_id) for a in seen] == [
        (ActivityKind.STARTED, 1, tx.id, tx.station_tx_id),
        (ActivityKind.METER, 1, tx.id, tx.station_tx_id),
        (ActivityKind.ENDED, 1, tx.id, tx.station_tx_id),
    ]
    assert [s.value for s in seen[1].samples] == [2000.0]
    assert seen[0].id_token == tx.id_token


async def test_201_events_give_started_meter_updated_and_ended_with_the_charging_state(storage: SqlStorage) -> None:
    feed, seen = a_feed(STATION)
    transactions = TransactionService(storage, activity=feed)

    await transactions.apply_event(an_event(station_tx_id="T-1", meter_values=(energy(0, 100.0),)))
    await transactions.apply_event(
        an_event(
            station_tx_id="T-1",
            event_type="Updated",
            seq_no=1,
            trigger_reason="ChargingStateChanged",
            charging_state="SuspendedEV",
        )
    )
    await transactions.apply_event(
        an_event(station_tx_id="T-1", event_type="Ended", seq_no=2, trigger_reason="EVDeparted")
    )

    assert [a.kind for a in seen] == [
        ActivityKind.METER,
        ActivityKind.STARTED,
        ActivityKind.UPDATED,
        ActivityKind.ENDED,
    ]
    assert seen[2].charging_state == "SuspendedEV"
    assert {a.station_tx_id for a in seen} == {"T-1"}


async def test_stations_not_watched_cost_nothing_and_statuses_and_connections_are_followed(
    storage: SqlStorage,
) -> None:
    feed, seen = a_feed("OTHER")
    transactions = TransactionService(storage, activity=feed)
    stations = StationService(storage, 300, activity=feed)
    await stations.register(STATION, StationRegistration())
    await transactions.start(a_start())
    await stations.report_status(ConnectorStatus(STATION, 1, 1, "Charging"))
    assert seen == []

    feed.watch([STATION])
    await stations.report_status(ConnectorStatus(STATION, 1, 1, "SuspendedEV"))
    stations.announce_disconnected(STATION, "ocpp1.6", 1000)
    stations.announce_connected(STATION, "ocpp1.6", "127.0.0.1", replaced=False)
    assert [(a.kind, a.evse_id, a.status) for a in seen] == [
        (ActivityKind.STATUS, 1, "SuspendedEV"),
        (ActivityKind.DISCONNECTED, 0, None),
        (ActivityKind.CONNECTED, 0, None),
    ]
