"""TransactionService over real SQL storage: OCPP 1.6 start/stop/meter values, 2.0.1 events, lookups."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.support.builders import (
    OTHER_STATION,
    STATION,
    T0,
    TAG,
    a_meter_report,
    a_sample,
    a_start,
    a_stop,
    a_token,
    an_event,
    at,
    energy,
    reviews,
)
from voltline.areas.authorization.model import AuthorizationStatus, TokenVerdict
from voltline.areas.authorization.service import AuthorizationService
from voltline.areas.transactions.model import ReviewKind, Transaction
from voltline.areas.transactions.ports import TransactionFilter
from voltline.areas.transactions.service import TransactionService
from voltline.areas.transactions.tables import meter_values
from voltline.kernel.errors import NotFound
from voltline.storage.sql import SqlStorage

# Station-facing ids no transaction of ours can have: beyond any id column, not ASCII digits, not digits.
IMPOSSIBLE_IDS = ["999999", "3000000000", "9" * 30, "1" * 5000, "²", "-1", "abc"]


async def stored_samples(storage: SqlStorage, station_id: str) -> int:
    """Meter values of `station_id` in the database, attached to a transaction or not."""
    async with storage.engine.connect() as connection:
        query = select(func.count()).select_from(meter_values).where(meter_values.c.station_id == station_id)
        return int((await connection.execute(query)).scalar_one())


# -- OCPP 1.6 StartTransaction --------------------------------------------------------------------


async def test_start_allocates_positive_unique_increasing_integer_ids(transactions: TransactionService) -> None:
    ids = []
    for minute in range(3):
        outcome = await transactions.start(a_start(timestamp=at(minute)))
        ids.append(outcome.transaction.id)
    ids.append((await transactions.start(a_start(station_id=OTHER_STATION))).transaction.id)

    assert all(isinstance(tx_id, int) and tx_id > 0 for tx_id in ids)
    assert ids == sorted(set(ids))  # unique and increasing


async def test_start_station_facing_id_is_the_transaction_id(transactions: TransactionService) -> None:
    tx = (await transactions.start(a_start(connector_id=2, meter_start_wh=1234.0))).transaction

    assert tx.station_tx_id == str(tx.id)
    stored = await transactions.get(tx.id)
    assert (stored.station_id, stored.evse_id, stored.connector_id) == (STATION, 2, 1)
    assert (stored.id_token, stored.meter_start_wh, stored.started_at) == (TAG, 1234.0, T0)
    assert stored.active


async def test_concurrent_starts_get_distinct_ids(transactions: TransactionService) -> None:
    outcomes = await asyncio.gather(*(transactions.start(a_start(timestamp=at(m))) for m in range(20)))

    assert len({outcome.transaction.id for outcome in outcomes}) == 20


async def test_repeated_start_returns_the_same_transaction(transactions: TransactionService) -> None:
    first = await transactions.start(a_start())
    again = await transactions.start(a_start())

    assert again.transaction.id == first.transaction.id
    assert len(await transactions.list(TransactionFilter(station_id=STATION))) == 1


async def test_retry_in_the_same_commit_group_returns_the_same_transaction(
    transactions: TransactionService,
) -> None:
    first, again = await asyncio.gather(transactions.start(a_start()), transactions.start(a_start()))

    assert again.transaction.id == first.transaction.id


@pytest.mark.parametrize(
    "change",
    [
        {"timestamp": T0 + timedelta(seconds=1)},
        {"meter_start_wh": 1001.0},
        {"connector_id": 2},
        {"id_token": "OTHER-TAG"},
        {"station_id": OTHER_STATION},
    ],
    ids=["timestamp", "meter_start", "connector", "id_token", "station"],
)
async def test_start_differing_in_content_is_a_new_transaction(
    transactions: TransactionService, change: dict[str, object]
) -> None:
    first = await transactions.start(a_start())
    other = await transactions.start(a_start(**change))

    assert other.transaction.id != first.transaction.id


async def test_start_with_unknown_token_is_invalid_but_still_recorded(transactions: TransactionService) -> None:
    outcome = await transactions.start(a_start(id_token="NOBODY"))

    assert outcome.verdict == TokenVerdict(AuthorizationStatus.INVALID)
    stored = await transactions.get(outcome.transaction.id)
    assert stored.active
    assert stored.auth_status == "Invalid"


async def test_start_with_blocked_token_is_blocked_and_recorded(
    transactions: TransactionService, authorization: AuthorizationService
) -> None:
    await authorization.create(a_token(status=AuthorizationStatus.BLOCKED))

    outcome = await transactions.start(a_start())

    assert outcome.verdict.status is AuthorizationStatus.BLOCKED
    assert (await transactions.get(outcome.transaction.id)).auth_status == "Blocked"


async def test_start_with_expired_token_is_expired(
    transactions: TransactionService, authorization: AuthorizationService
) -> None:
    expiry = datetime.now(UTC) - timedelta(days=1)
    await authorization.create(a_token(expiry=expiry, group_id="FLEET"))

    outcome = await transactions.start(a_start())

    assert outcome.verdict == TokenVerdict(AuthorizationStatus.EXPIRED, expiry, "FLEET")
    assert (await transactions.get(outcome.transaction.id)).auth_status == "Expired"


async def test_start_with_accepted_token_passes_expiry_and_group_through(
    transactions: TransactionService, authorization: AuthorizationService
) -> None:
    expiry = datetime.now(UTC) + timedelta(days=30)
    await authorization.create(a_token(expiry=expiry, group_id="FLEET"))

    outcome = await transactions.start(a_start())

    assert outcome.verdict == TokenVerdict(AuthorizationStatus.ACCEPTED, expiry, "FLEET")
    assert (await transactions.get(outcome.transaction.id)).auth_status == "Accepted"


# -- OCPP 1.6 StopTransaction ---------------------------------------------------------------------


async def test_stop_records_meter_stop_reason_and_energy(transactions: TransactionService) -> None:
    tx = (await transactions.start(a_start(meter_start_wh=1000.0))).transaction

    await transactions.stop(a_stop(tx.station_tx_id, meter_stop_wh=5250.0, reason="EVDisconnected"))

    stopped = await transactions.get(tx.id)
    assert not stopped.active
    assert stopped.stopped_at == at(60)
    assert stopped.meter_stop_wh == 5250.0
    assert stopped.stop_reason == "EVDisconnected"
    assert stopped.energy_wh == 4250.0


async def test_stop_without_reason_means_local(transactions: TransactionService) -> None:
    tx = (await transactions.start(a_start())).transaction

    await transactions.stop(a_stop(tx.station_tx_id, reason=None))

    assert (await transactions.get(tx.id)).stop_reason == "Local"


async def test_repeated_stop_changes_nothing(transactions: TransactionService) -> None:
    tx = (await transactions.start(a_start())).transaction
    await transactions.stop(a_stop(tx.station_tx_id))
    first = await transactions.get(tx.id)

    await transactions.stop(a_stop(tx.station_tx_id))
    await transactions.stop(
        a_stop(
            tx.station_tx_id,
            meter_stop_wh=9999.0,
            timestamp=at(90),
            reason="Other",
            transaction_data=[energy(80, 9000)],
        )
    )

    assert await transactions.get(tx.id) == first


async def test_stop_returns_the_verdict_of_its_token(
    transactions: TransactionService, authorization: AuthorizationService
) -> None:
    await authorization.create(a_token(id_token="STOPPER", group_id="FLEET"))
    tx = (await transactions.start(a_start())).transaction

    assert await transactions.stop(a_stop(tx.station_tx_id, id_token="STOPPER")) == TokenVerdict(
        AuthorizationStatus.ACCEPTED, None, "FLEET"
    )


async def test_stop_without_token_has_no_verdict(transactions: TransactionService) -> None:
    tx = (await transactions.start(a_start())).transaction

    assert await transactions.stop(a_stop(tx.station_tx_id, id_token=None)) is None


async def test_stop_of_another_stations_transaction_leaves_it_alone_and_is_flagged(
    transactions: TransactionService, storage: SqlStorage
) -> None:
    theirs = (await transactions.start(a_start(station_id=OTHER_STATION))).transaction

    await transactions.stop(a_stop(theirs.station_tx_id, station_id=STATION))

    untouched = await transactions.get(theirs.id)
    assert untouched.active
    assert untouched.meter_stop_wh is None
    assert untouched.energy_wh is None
    (item,) = await reviews(storage)
    assert item.station_id == STATION
    assert item.kind is ReviewKind.FOREIGN_TRANSACTION
    assert item.detail == {"action": "StopTransaction", "transaction_id": theirs.station_tx_id}


@pytest.mark.parametrize("station_tx_id", IMPOSSIBLE_IDS, ids=lambda ref: ref[:12])
async def test_stop_of_unknown_transaction_is_acknowledged_and_flagged(
    transactions: TransactionService, storage: SqlStorage, station_tx_id: str
) -> None:
    await transactions.start(a_start())

    assert await transactions.stop(a_stop(station_tx_id)) is None

    (item,) = await reviews(storage, STATION)
    assert item.kind is ReviewKind.UNKNOWN_TRANSACTION
    assert item.detail == {"action": "StopTransaction", "transaction_id": station_tx_id}


async def test_stop_stores_its_transaction_data(transactions: TransactionService) -> None:
    tx = (await transactions.start(a_start(meter_start_wh=1000.0))).transaction
    data = [
        energy(0, 1000.0, context="Transaction.Begin"),
        a_sample(timestamp=at(30), measurand="Power.Active.Import", value=11000.0, unit="W"),
        energy(60, 5000.0, context="Transaction.End"),
    ]

    await transactions.stop(a_stop(tx.station_tx_id, meter_stop_wh=5000.0, transaction_data=data))

    stored = await transactions.get(tx.id)
    assert stored.meter_values == data
    assert stored.energy_wh == 4000.0


# -- MeterValues ----------------------------------------------------------------------------------


async def test_meter_values_are_stored_with_every_attribute(transactions: TransactionService) -> None:
    tx = (await transactions.start(a_start())).transaction
    values = [
        a_sample(
            timestamp=at(5),
            measurand="Current.Import",
            value=16.5,
            unit="A",
            phase="L1",
            location="Outlet",
            context="Sample.Periodic",
        ),
        a_sample(timestamp=at(5), measurand="Voltage", value=230.1, unit="V", phase="L1-N", location="Inlet"),
        energy(10, 2.5, unit="kWh", context="Sample.Clock", signed_data="c2lnbmVk"),
    ]

    await transactions.record_meter_values(a_meter_report(station_tx_id=tx.station_tx_id, values=values))

    assert (await transactions.get(tx.id)).meter_values == values


async def test_repeated_meter_values_are_stored_once(transactions: TransactionService, storage: SqlStorage) -> None:
    tx = (await transactions.start(a_start())).transaction
    first, second = energy(10, 2000.0), energy(20, 3000.0)
    report = a_meter_report(station_tx_id=tx.station_tx_id, values=[first, second])

    await transactions.record_meter_values(report)
    await transactions.record_meter_values(report)
    await asyncio.gather(transactions.record_meter_values(report), transactions.record_meter_values(report))
    # A retry that overlaps a newer report adds only what is new.
    await transactions.record_meter_values(
        a_meter_report(station_tx_id=tx.station_tx_id, values=[second, energy(30, 4000.0)])
    )

    assert [v.value for v in (await transactions.get(tx.id)).meter_values] == [2000.0, 3000.0, 4000.0]
    assert await stored_samples(storage, STATION) == 3


async def test_meter_values_without_transaction_are_kept(transactions: TransactionService, storage: SqlStorage) -> None:
    await transactions.record_meter_values(a_meter_report(station_tx_id=None, evse_id=0))

    assert await stored_samples(storage, STATION) == 1
    assert await reviews(storage) == []


async def test_meter_values_naming_another_stations_transaction_are_not_attached_and_flagged(
    transactions: TransactionService, storage: SqlStorage
) -> None:
    theirs = (await transactions.start(a_start(station_id=OTHER_STATION))).transaction

    await transactions.record_meter_values(a_meter_report(station_tx_id=theirs.station_tx_id))

    assert (await transactions.get(theirs.id)).meter_values == []
    assert await stored_samples(storage, STATION) == 1  # kept, just not attached
    (item,) = await reviews(storage)
    assert (item.station_id, item.kind) == (STATION, ReviewKind.FOREIGN_TRANSACTION)
    assert item.detail == {"action": "MeterValues", "transaction_id": theirs.station_tx_id}


async def test_meter_values_naming_an_unknown_transaction_are_kept_and_flagged(
    transactions: TransactionService, storage: SqlStorage
) -> None:
    for minute, station_tx_id in enumerate(IMPOSSIBLE_IDS):
        await transactions.record_meter_values(
            a_meter_report(station_tx_id=station_tx_id, values=[energy(minute, 1000.0)])
        )

    assert await stored_samples(storage, STATION) == len(IMPOSSIBLE_IDS)
    items = await reviews(storage, STATION)
    assert [item.detail["transaction_id"] for item in items] == IMPOSSIBLE_IDS
    assert {item.kind for item in items} == {ReviewKind.UNKNOWN_TRANSACTION}


# -- OCPP 2.0.1 TransactionEvent ------------------------------------------------------------------


async def test_started_updated_ended_flow(transactions: TransactionService) -> None:
    await transactions.apply_event(an_event(meter_values=[energy(0, 1000.0)]))
    started = await transactions.find(STATION, "tx-0001")
    assert started.station_tx_id == "tx-0001"
    assert (started.evse_id, started.connector_id, started.id_token) == (1, 1, TAG)
    assert (started.started_at, started.meter_start_wh) == (T0, 1000.0)
    assert (started.last_seq_no, started.charging_state, started.active) == (0, "Charging", True)

    await transactions.apply_event(
        an_event(
            event_type="Updated",
            seq_no=1,
            timestamp=at(30),
            trigger_reason="ChargingStateChanged",
            charging_state="SuspendedEV",
            meter_values=[energy(30, 2500.0)],
        )
    )
    updated = await transactions.find(STATION, "tx-0001")
    assert (updated.last_seq_no, updated.charging_state, updated.active) == (1, "SuspendedEV", True)
    assert updated.started_at == T0

    await transactions.apply_event(
        an_event(
            event_type="Ended",
            seq_no=2,
            timestamp=at(60),
            trigger_reason="EVCommunicationLost",
            charging_state="Idle",
            stopped_reason="EVDisconnected",
            meter_values=[energy(60, 4000.0)],
        )
    )
    ended = await transactions.get((await transactions.find(STATION, "tx-0001")).id)
    assert not ended.active
    assert (ended.stopped_at, ended.stop_reason) == (at(60), "EVDisconnected")
    assert (ended.meter_start_wh, ended.meter_stop_wh, ended.energy_wh) == (1000.0, 4000.0, 3000.0)
    assert (ended.last_seq_no, ended.charging_state) == (2, "Idle")
    assert [v.value for v in ended.meter_values] == [1000.0, 2500.0, 4000.0]


async def test_ended_without_reason_means_local(transactions: TransactionService) -> None:
    await transactions.apply_event(an_event())
    await transactions.apply_event(an_event(event_type="Ended", seq_no=1, timestamp=at(5)))

    assert (await transactions.find(STATION, "tx-0001")).stop_reason == "Local"


async def test_repeated_events_are_idempotent(transactions: TransactionService) -> None:
    started = an_event(meter_values=[energy(0, 1000.0)])
    updated = an_event(event_type="Updated", seq_no=1, timestamp=at(30), meter_values=[energy(30, 2500.0)])
    ended = an_event(
        event_type="Ended", seq_no=2, timestamp=at(60), charging_state="Idle", meter_values=[energy(60, 4000.0)]
    )

    snapshots: list[Transaction] = []
    for event in (started, updated, ended):
        await transactions.apply_event(event)
        tx_id = (await transactions.find(STATION, "tx-0001")).id
        once = await transactions.get(tx_id)
        await transactions.apply_event(event)
        await asyncio.gather(transactions.apply_event(event), transactions.apply_event(event))
        assert await transactions.get(tx_id) == once
        snapshots.append(once)

    assert [len(s.meter_values) for s in snapshots] == [1, 2, 3]
    assert len(await transactions.list(TransactionFilter(station_id=STATION))) == 1
    # A late retry of an earlier event does not undo the end.
    await transactions.apply_event(updated)
    assert await transactions.get(snapshots[-1].id) == snapshots[-1]


async def test_ended_before_started(transactions: TransactionService) -> None:
    await transactions.apply_event(
        an_event(
            event_type="Ended",
            seq_no=2,
            timestamp=at(60),
            charging_state="Idle",
            stopped_reason="Local",
            meter_values=[energy(60, 5000.0)],
        )
    )
    early = await transactions.find(STATION, "tx-0001")
    assert not early.active
    assert early.meter_stop_wh == 5000.0

    await transactions.apply_event(an_event(seq_no=0, timestamp=T0, meter_values=[energy(0, 1000.0)]))

    tx = await transactions.get(early.id)
    assert (tx.started_at, tx.stopped_at) == (T0, at(60))
    assert (tx.meter_start_wh, tx.meter_stop_wh, tx.energy_wh) == (1000.0, 5000.0, 4000.0)
    assert (tx.last_seq_no, tx.charging_state) == (2, "Idle")  # the older Started does not win
    assert len(await transactions.list(TransactionFilter(station_id=STATION))) == 1


async def test_updated_before_started_takes_the_true_start(transactions: TransactionService) -> None:
    await transactions.apply_event(
        an_event(event_type="Updated", seq_no=1, timestamp=at(10), meter_values=[energy(10, 1500.0)])
    )
    await transactions.apply_event(an_event(seq_no=0, timestamp=T0, meter_values=[energy(0, 1000.0)]))

    tx = await transactions.find(STATION, "tx-0001")
    assert (tx.started_at, tx.meter_start_wh, tx.active) == (T0, 1000.0, True)


async def test_energy_from_register_in_kwh(transactions: TransactionService) -> None:
    await transactions.apply_event(an_event(meter_values=[energy(0, 1.5, unit="kWh")]))
    await transactions.apply_event(
        an_event(event_type="Ended", seq_no=1, timestamp=at(60), meter_values=[energy(60, 4.0, unit="kWh")])
    )

    tx = await transactions.find(STATION, "tx-0001")
    assert (tx.meter_start_wh, tx.meter_stop_wh, tx.energy_wh) == (1500.0, 4000.0, 2500.0)


async def test_energy_from_register_without_unit_is_wh(transactions: TransactionService) -> None:
    await transactions.apply_event(an_event(meter_values=[energy(0, 1000.0, unit=None)]))
    await transactions.apply_event(
        an_event(event_type="Ended", seq_no=1, timestamp=at(60), meter_values=[energy(60, 1800.0, unit=None)])
    )

    assert (await transactions.find(STATION, "tx-0001")).energy_wh == 800.0


async def test_per_phase_register_values_are_ignored_for_energy(transactions: TransactionService) -> None:
    await transactions.apply_event(
        an_event(meter_values=[energy(0, 10.0, phase="L1"), energy(0, 1000.0), energy(0, 20.0, phase="L2")])
    )
    await transactions.apply_event(
        an_event(
            event_type="Ended",
            seq_no=1,
            timestamp=at(60),
            meter_values=[energy(60, 999_999.0, phase="L1"), energy(60, 4000.0), energy(60, 0.5, phase="L3")],
        )
    )

    tx = await transactions.get((await transactions.find(STATION, "tx-0001")).id)
    assert (tx.meter_start_wh, tx.meter_stop_wh, tx.energy_wh) == (1000.0, 4000.0, 3000.0)
    assert len(tx.meter_values) == 6  # per-phase values are still stored


async def test_energy_of_an_end_without_register_comes_from_earlier_readings(
    transactions: TransactionService,
) -> None:
    await transactions.apply_event(an_event(meter_values=[energy(0, 1000.0)]))
    await transactions.apply_event(
        an_event(event_type="Updated", seq_no=1, timestamp=at(30), meter_values=[energy(30, 3000.0)])
    )
    await transactions.apply_event(an_event(event_type="Ended", seq_no=2, timestamp=at(60)))

    tx = await transactions.find(STATION, "tx-0001")
    assert tx.meter_stop_wh is None
    assert tx.energy_wh == 2000.0


async def test_charging_state_follows_the_highest_seq_no(transactions: TransactionService) -> None:
    await transactions.apply_event(an_event(seq_no=0, charging_state="EVConnected"))
    await transactions.apply_event(
        an_event(event_type="Updated", seq_no=3, timestamp=at(30), charging_state="SuspendedEV")
    )
    await transactions.apply_event(
        an_event(event_type="Updated", seq_no=1, timestamp=at(10), charging_state="Charging")
    )
    await transactions.apply_event(an_event(event_type="Updated", seq_no=2, timestamp=at(20), charging_state="Idle"))

    tx = await transactions.find(STATION, "tx-0001")
    assert (tx.last_seq_no, tx.charging_state) == (3, "SuspendedEV")

    await transactions.apply_event(an_event(event_type="Updated", seq_no=4, timestamp=at(40), charging_state=None))
    tx = await transactions.find(STATION, "tx-0001")
    # no state reported: the last one stands, and so does the seqNo it came with
    assert (tx.last_seq_no, tx.charging_state) == (3, "SuspendedEV")


async def test_event_returns_the_token_verdict(
    transactions: TransactionService, authorization: AuthorizationService
) -> None:
    await authorization.create(a_token(group_id="FLEET"))
    await authorization.create(a_token(id_token="BLOCKED", status=AuthorizationStatus.BLOCKED))

    assert await transactions.apply_event(an_event()) == TokenVerdict(AuthorizationStatus.ACCEPTED, None, "FLEET")
    assert await transactions.apply_event(an_event(station_tx_id="tx-2", id_token="BLOCKED")) == TokenVerdict(
        AuthorizationStatus.BLOCKED
    )
    assert await transactions.apply_event(an_event(station_tx_id="tx-3", id_token="NOBODY")) == TokenVerdict(
        AuthorizationStatus.INVALID
    )
    assert await transactions.apply_event(an_event(station_tx_id="tx-4", id_token=None)) is None

    assert (await transactions.find(STATION, "tx-2")).auth_status == "Blocked"
    assert (await transactions.find(STATION, "tx-3")).auth_status == "Invalid"
    assert (await transactions.find(STATION, "tx-4")).auth_status is None


async def test_token_presented_after_start_is_recorded(
    transactions: TransactionService, authorization: AuthorizationService
) -> None:
    await authorization.create(a_token())
    await transactions.apply_event(an_event(id_token=None, trigger_reason="CablePluggedIn"))

    await transactions.apply_event(an_event(event_type="Updated", seq_no=1, timestamp=at(1)))

    tx = await transactions.find(STATION, "tx-0001")
    assert (tx.id_token, tx.auth_status) == (TAG, "Accepted")


async def test_same_transaction_id_at_two_stations_is_two_transactions(transactions: TransactionService) -> None:
    await transactions.apply_event(an_event(station_id=STATION))
    await transactions.apply_event(an_event(station_id=OTHER_STATION))
    await transactions.apply_event(an_event(station_id=OTHER_STATION, event_type="Ended", seq_no=1, timestamp=at(5)))

    ours = await transactions.find(STATION, "tx-0001")
    theirs = await transactions.find(OTHER_STATION, "tx-0001")
    assert ours.id != theirs.id
    assert ours.active
    assert not theirs.active


# -- lookups --------------------------------------------------------------------------------------


async def test_find_by_api_id_and_by_station_id(transactions: TransactionService) -> None:
    await transactions.apply_event(an_event(station_tx_id="abc-123"))
    tx = await transactions.find(STATION, "abc-123")

    assert (await transactions.find(STATION, str(tx.id))).id == tx.id
    v16 = (await transactions.start(a_start())).transaction
    assert (await transactions.find(STATION, v16.station_tx_id)).id == v16.id


async def test_find_prefers_the_stations_own_id_over_an_api_id(transactions: TransactionService) -> None:
    theirs = (await transactions.start(a_start(station_id=OTHER_STATION))).transaction
    await transactions.apply_event(an_event(station_tx_id="first"))
    first = await transactions.find(STATION, "first")
    # A 2.0.1 station whose own id for a later transaction spells the API id of its first one.
    await transactions.apply_event(an_event(station_tx_id=str(first.id), timestamp=at(2)))

    found = await transactions.find(STATION, str(first.id))
    assert found.id != first.id
    assert found.station_tx_id == str(first.id)
    with pytest.raises(NotFound):
        await transactions.find(STATION, str(theirs.id))  # another station's API id


async def test_find_of_unknown_reference_is_not_found(transactions: TransactionService) -> None:
    await transactions.start(a_start())

    for reference in [*IMPOSSIBLE_IDS, "", "0"]:
        with pytest.raises(NotFound):
            await transactions.find(STATION, reference)


async def test_get_of_unknown_id_is_not_found(transactions: TransactionService) -> None:
    with pytest.raises(NotFound):
        await transactions.get(424242)


async def test_get_without_meter_values(transactions: TransactionService) -> None:
    tx = (await transactions.start(a_start())).transaction
    await transactions.record_meter_values(a_meter_report(station_tx_id=tx.station_tx_id))

    assert (await transactions.get(tx.id, with_meter_values=False)).meter_values == []
    assert len((await transactions.get(tx.id)).meter_values) == 1


async def test_list_filters(transactions: TransactionService) -> None:
    a = (await transactions.start(a_start(timestamp=at(0)))).transaction
    b = (await transactions.start(a_start(timestamp=at(10), id_token="OTHER-TAG"))).transaction
    c = (await transactions.start(a_start(timestamp=at(20), station_id=OTHER_STATION))).transaction
    d = (await transactions.start(a_start(timestamp=at(30)))).transaction
    await transactions.stop(a_stop(b.station_tx_id))

    async def ids(**query: object) -> list[int]:
        return [tx.id for tx in await transactions.list(TransactionFilter(**query))]  # type: ignore[arg-type]

    assert await ids() == [d.id, c.id, b.id, a.id]  # newest first
    assert await ids(station_id=STATION) == [d.id, b.id, a.id]
    assert await ids(station_id=OTHER_STATION) == [c.id]
    assert await ids(active=True) == [d.id, c.id, a.id]
    assert await ids(active=False) == [b.id]
    assert await ids(id_token="OTHER-TAG") == [b.id]
    assert await ids(started_from=at(10), started_to=at(30)) == [c.id, b.id]  # from inclusive, to exclusive
    assert await ids(limit=2) == [d.id, c.id]
    assert await ids(limit=2, offset=2) == [b.id, a.id]
    assert await ids(station_id="NOBODY") == []
