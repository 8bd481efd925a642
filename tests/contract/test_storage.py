"""The storage contract, run against every backend through the Storage / UnitOfWork ports only."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import asdict, fields, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.support.databases import BACKENDS, empty_database
from tests.support.wiring import open_storage
from voltline.areas.access.ports import API_KEYS, ApiKey
from voltline.areas.authorization.model import AuthorizationStatus, IdToken, TokenType
from voltline.areas.authorization.ports import ID_TOKENS
from voltline.areas.stations.model import ConnectorStatus, Registration, Station, StationEvent
from voltline.areas.stations.ports import STATION_EVENTS, STATIONS, BootRecord
from voltline.areas.transactions.model import MUTABLE_FIELDS, ReviewKind, SampledValue, Transaction
from voltline.areas.transactions.ports import (
    REVIEW_ITEMS,
    TRANSACTIONS,
    MeterRows,
    NewTransaction,
    TransactionFilter,
)
from voltline.kernel.storage import Operation, Storage, UnitOfWork
from voltline.storage.sql import SqlStorage
from voltline.storage.sql.engine import make_engine
from voltline.storage.sql.migrate import current_revision, head_revision, is_empty, upgrade

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


# -- builders -------------------------------------------------------------------------------------


def a_station(**overrides: Any) -> Station:
    return replace(Station(id="CP-1", description="Yard charger"), **overrides)


def a_new_transaction(**overrides: Any) -> NewTransaction:
    base = NewTransaction(
        station_id="CP-1",
        evse_id=1,
        connector_id=1,
        id_token="TAG-1",
        started_at=T0,
        meter_start_wh=1000.0,
    )
    return replace(base, **overrides)


def a_sample(**overrides: Any) -> SampledValue:
    return replace(SampledValue(timestamp=T0, value=1000.0, unit="Wh"), **overrides)


def an_event(**overrides: Any) -> StationEvent:
    base = StationEvent(
        station_id="CP-1",
        event_id=1,
        timestamp=T0,
        trigger="Delta",
        component="Connector",
        variable="AvailabilityState",
        actual_value="Faulted",
        event_notification_type="HardWiredNotification",
        raw={"eventId": 1},
    )
    return replace(base, **overrides)


# Operations built in loops (a lambda there would capture the loop variable late).


def creating(new: NewTransaction) -> Operation[Transaction]:
    async def op(uow: UnitOfWork) -> Transaction:
        return (await uow[TRANSACTIONS].create_many([new]))[0]

    return op


def updating(tx: Transaction) -> Operation[None]:
    return lambda uow: uow[TRANSACTIONS].update_many([tx])


def creating_station(station_id: str, registration: Registration) -> Operation[Station]:
    async def op(uow: UnitOfWork) -> Station:
        return (await uow[STATIONS].create_missing([(station_id, registration)]))[station_id]

    return op


def adding_samples(station_id: str, evse_id: int, tx_id: int | None, samples: list[SampledValue]) -> Operation[None]:
    return lambda uow: uow[TRANSACTIONS].add_meter_rows([MeterRows(station_id, evse_id, tx_id, samples)])


def adding_token(id_token: str) -> Operation[IdToken]:
    return lambda uow: uow[ID_TOKENS].add(IdToken(id_token))


def getting_token(id_token: str) -> Operation[IdToken | None]:
    return lambda uow: uow[ID_TOKENS].get(id_token)


def adding_key(name: str, key_hash: str) -> Operation[ApiKey]:
    return lambda uow: uow[API_KEYS].add(name, "admin", key_hash)


async def add_station(storage: Storage, station_id: str = "CP-1") -> None:
    await storage.write(lambda uow: uow[STATIONS].save(a_station(id=station_id)))


# -- stations -------------------------------------------------------------------------------------


async def test_station_save_get_list(storage: SqlStorage) -> None:
    saved = await storage.write(
        lambda uow: uow[STATIONS].save(
            a_station(registration=Registration.PENDING, security_profile=2, password_hash="h1")
        )
    )
    assert saved.id == "CP-1"
    assert saved.registration is Registration.PENDING
    assert saved.security_profile == 2
    assert saved.password_hash == "h1"
    assert saved.description == "Yard charger"
    assert saved.online is False
    assert saved.created_at is not None and saved.created_at.tzinfo is not None

    await add_station(storage, "CP-0")
    got = await storage.read(lambda uow: uow[STATIONS].get("CP-1"))
    assert got == saved
    assert await storage.read(lambda uow: uow[STATIONS].get("nope")) is None
    listed = await storage.read(lambda uow: uow[STATIONS].list())
    assert [s.id for s in listed] == ["CP-0", "CP-1"]


async def test_stations_list_in_stable_pages_by_id(storage: SqlStorage) -> None:
    for station_id in ("CP-3", "CP-1", "CP-4", "CP-0", "CP-2"):
        await add_station(storage, station_id)

    async def ids(limit: int | None = None, offset: int = 0) -> list[str]:
        return [s.id for s in await storage.read(lambda uow: uow[STATIONS].list(limit, offset))]

    assert await ids() == ["CP-0", "CP-1", "CP-2", "CP-3", "CP-4"]
    assert await ids(2) == ["CP-0", "CP-1"]
    assert await ids(2, 2) == ["CP-2", "CP-3"]
    assert await ids(2, 4) == ["CP-4"]
    assert await ids(2, 5) == []
    assert await ids(None, 3) == ["CP-3", "CP-4"]


async def test_station_save_updates_only_operator_fields(storage: SqlStorage) -> None:
    await add_station(storage)
    boot = BootRecord("ACME", "X1", "SN1", "1.0", "PowerUp", "1.6", T0)
    await storage.write(lambda uow: uow[STATIONS].record_boots([("CP-1", boot)]))
    updated = await storage.write(
        lambda uow: uow[STATIONS].save(
            a_station(
                registration=Registration.REJECTED,
                security_profile=1,
                password_hash="h2",
                description="moved",
                vendor="IGNORED",
                online=True,
            )
        )
    )
    assert updated.registration is Registration.REJECTED
    assert (updated.security_profile, updated.password_hash, updated.description) == (1, "h2", "moved")
    # Station-reported fields are not the operator's to overwrite.
    assert updated.vendor == "ACME"
    assert updated.online is False


async def test_create_missing_keeps_an_existing_station(storage: SqlStorage) -> None:
    created = await storage.write(creating_station("CP-9", Registration.PENDING))
    assert created.id == "CP-9" and created.registration is Registration.PENDING
    await storage.write(lambda uow: uow[STATIONS].save(a_station(id="CP-9", registration=Registration.ACCEPTED)))
    again = await storage.write(creating_station("CP-9", Registration.REJECTED))
    assert again.registration is Registration.ACCEPTED
    assert again.created_at == created.created_at


async def test_record_boot(storage: SqlStorage) -> None:
    await add_station(storage)
    at = datetime(2025, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    boot = BootRecord("ACME", "X1", "SN1", "1.2.3", "PowerUp", "2.0.1", at)
    await storage.write(lambda uow: uow[STATIONS].record_boots([("CP-1", boot)]))
    station = await storage.read(lambda uow: uow[STATIONS].get("CP-1"))
    assert station is not None
    assert (station.vendor, station.model, station.serial_number, station.firmware_version) == (
        "ACME",
        "X1",
        "SN1",
        "1.2.3",
    )
    assert (station.boot_reason, station.ocpp_version) == ("PowerUp", "2.0.1")
    assert station.last_boot_at == at
    assert station.last_boot_at is not None and station.last_boot_at.tzinfo == UTC


async def test_online_touch_and_mark_all_offline(storage: SqlStorage) -> None:
    for sid in ("A", "B", "C"):
        await add_station(storage, sid)
    await storage.write(lambda uow: uow[STATIONS].set_online_many([("A", True, T0, "1.6")]))
    await storage.write(lambda uow: uow[STATIONS].set_online_many([("B", True, T0, None)]))
    a = await storage.read(lambda uow: uow[STATIONS].get("A"))
    assert a is not None and a.online and a.last_seen == T0 and a.ocpp_version == "1.6"

    later = T0 + timedelta(minutes=5)
    await storage.write(lambda uow: uow[STATIONS].touch({"A": later, "B": later + timedelta(seconds=1)}))
    await storage.write(lambda uow: uow[STATIONS].touch({}))
    stations = {s.id: s for s in await storage.read(lambda uow: uow[STATIONS].list())}
    assert stations["A"].last_seen == later
    assert stations["B"].last_seen == later + timedelta(seconds=1)
    assert stations["C"].last_seen is None

    await storage.write(lambda uow: uow[STATIONS].mark_all_offline())
    stations = {s.id: s for s in await storage.read(lambda uow: uow[STATIONS].list())}
    assert not any(s.online for s in stations.values())
    assert stations["A"].last_seen == later


async def test_connector_status_upsert_and_delete_cascade(storage: SqlStorage) -> None:
    await add_station(storage)
    await add_station(storage, "CP-2")
    status = ConnectorStatus("CP-1", 1, 1, "Available", timestamp=T0)
    await storage.write(lambda uow: uow[STATIONS].set_statuses([status]))
    await storage.write(lambda uow: uow[STATIONS].set_statuses([ConnectorStatus("CP-1", 0, 0, "Available")]))
    await storage.write(lambda uow: uow[STATIONS].set_statuses([ConnectorStatus("CP-2", 1, 1, "Charging")]))
    faulted = ConnectorStatus(
        "CP-1", 1, 1, "Faulted", "GroundFailure", "info", "ACME", "E42", T0 + timedelta(seconds=1)
    )
    await storage.write(lambda uow: uow[STATIONS].set_statuses([faulted]))

    statuses = await storage.read(lambda uow: uow[STATIONS].statuses("CP-1"))
    assert [(s.evse_id, s.connector_id, s.status) for s in statuses] == [
        (0, 0, "Available"),
        (1, 1, "Faulted"),
    ]
    assert statuses[1] == faulted

    assert await storage.write(lambda uow: uow[STATIONS].delete("CP-1")) is True
    assert await storage.write(lambda uow: uow[STATIONS].delete("CP-1")) is False
    assert await storage.read(lambda uow: uow[STATIONS].statuses("CP-1")) == []
    assert len(await storage.read(lambda uow: uow[STATIONS].statuses("CP-2"))) == 1


# -- id tokens ------------------------------------------------------------------------------------


async def test_id_token_crud(storage: SqlStorage) -> None:
    token = IdToken("TAG-1", TokenType.ISO14443, AuthorizationStatus.ACCEPTED, T0 + timedelta(days=30), "G1")
    added = await storage.write(lambda uow: uow[ID_TOKENS].add(token))
    assert added.id_token == "TAG-1" and added.expiry == token.expiry and added.group_id == "G1"
    assert added.created_at is not None and added.updated_at is not None
    await storage.write(lambda uow: uow[ID_TOKENS].add(IdToken("TAG-0", TokenType.CENTRAL)))

    assert await storage.read(lambda uow: uow[ID_TOKENS].get("TAG-1")) == added
    assert await storage.read(lambda uow: uow[ID_TOKENS].get("nope")) is None
    assert [t.id_token for t in await storage.read(lambda uow: uow[ID_TOKENS].list())] == ["TAG-0", "TAG-1"]
    assert [t.id_token for t in await storage.read(lambda uow: uow[ID_TOKENS].list(1, 1))] == ["TAG-1"]

    changed = replace(added, status=AuthorizationStatus.BLOCKED, expiry=None, type=TokenType.KEY_CODE)
    updated = await storage.write(lambda uow: uow[ID_TOKENS].update(changed))
    assert (updated.status, updated.expiry, updated.type) == (
        AuthorizationStatus.BLOCKED,
        None,
        TokenType.KEY_CODE,
    )
    assert await storage.read(lambda uow: uow[ID_TOKENS].get("TAG-1")) == updated

    assert await storage.write(lambda uow: uow[ID_TOKENS].delete("TAG-1")) is True
    assert await storage.write(lambda uow: uow[ID_TOKENS].delete("TAG-1")) is False
    with pytest.raises(LookupError):
        await storage.write(lambda uow: uow[ID_TOKENS].update(changed))


async def test_duplicate_id_token_fails(storage: SqlStorage) -> None:
    await storage.write(lambda uow: uow[ID_TOKENS].add(IdToken("TAG-1")))
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        await storage.write(lambda uow: uow[ID_TOKENS].add(IdToken("TAG-1")))


# -- transactions ---------------------------------------------------------------------------------


async def test_create_allocates_ocpp16_ids_from_the_row_id(storage: SqlStorage) -> None:
    first = await storage.write(creating(a_new_transaction()))
    second = await storage.write(creating(a_new_transaction(started_at=T0 + timedelta(minutes=1))))
    assert first.id > 0 and first.station_tx_id == str(first.id)
    assert second.id > first.id and second.station_tx_id == str(second.id)
    assert first.active and first.meter_start_wh == 1000.0 and first.started_at == T0
    assert await storage.read(lambda uow: uow[TRANSACTIONS].get(first.id)) == first
    assert await storage.read(lambda uow: uow[TRANSACTIONS].by_station_tx_id("CP-1", str(second.id))) == second
    assert await storage.read(lambda uow: uow[TRANSACTIONS].by_station_tx_id("CP-2", str(second.id))) is None
    assert await storage.read(lambda uow: uow[TRANSACTIONS].get(10_000)) is None


async def test_transaction_ids_are_never_reused(database_url: str) -> None:
    storage = await open_storage(database_url)
    try:
        ids = [(await storage.write(creating(a_new_transaction(evse_id=i)))).id for i in range(3)]
    finally:
        await storage.close()
    # An operator purge of the newest row (there is no port for it: raw SQL outside the storage).
    engine = make_engine(database_url, null_pool=True)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM transactions WHERE id = :id"), {"id": ids[-1]})
    finally:
        await engine.dispose()

    reopened = await open_storage(database_url)
    try:
        fresh = await reopened.write(creating(a_new_transaction(evse_id=9)))
    finally:
        await reopened.close()
    assert fresh.id > max(ids)
    assert fresh.station_tx_id == str(fresh.id)


async def test_station_tx_id_is_unique_per_station(storage: SqlStorage) -> None:
    created = await storage.write(creating(a_new_transaction(station_tx_id="abc-1", last_seq_no=0)))
    assert created.station_tx_id == "abc-1" and created.last_seq_no == 0
    other = await storage.write(creating(a_new_transaction(station_id="CP-2", station_tx_id="abc-1")))
    assert other.id != created.id
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        await storage.write(creating(a_new_transaction(station_tx_id="abc-1")))
    found = await storage.read(lambda uow: uow[TRANSACTIONS].by_station_tx_id("CP-1", "abc-1"))
    assert found == created


async def test_find_start_matches_a_retried_start(storage: SqlStorage) -> None:
    tx = await storage.write(creating(a_new_transaction(evse_id=2, connector_id=1)))
    anonymous = await storage.write(creating(a_new_transaction(id_token=None, meter_start_wh=None, evse_id=3)))

    async def find(station: str, connector: int, token: str | None, meter: float | None, at: datetime) -> Any:
        key = (station, connector, token, meter, at)
        return (await storage.read(lambda uow: uow[TRANSACTIONS].find_starts([key]))).get(key)

    # The 1.6 connectorId is the EVSE id.
    assert await find("CP-1", 2, "TAG-1", 1000.0, T0) == tx
    assert await find("CP-1", 2, "TAG-1", 1000.0, T0.astimezone(timezone(timedelta(hours=-5)))) == tx
    assert await find("CP-1", 3, None, None, T0) == anonymous
    assert await find("CP-1", 2, "TAG-2", 1000.0, T0) is None
    assert await find("CP-1", 2, "TAG-1", 1001.0, T0) is None
    assert await find("CP-1", 2, "TAG-1", 1000.0, T0 + timedelta(seconds=1)) is None
    assert await find("CP-1", 1, "TAG-1", 1000.0, T0) is None
    assert await find("CP-2", 2, "TAG-1", 1000.0, T0) is None
    assert await find("CP-1", 3, "TAG-1", None, T0) is None


async def test_update_transaction(storage: SqlStorage) -> None:
    tx = await storage.write(creating(a_new_transaction(remote_start_id=7)))
    tx.stopped_at = T0 + timedelta(hours=1)
    tx.meter_stop_wh = 5000.0
    tx.stop_reason = "EVDisconnected"
    tx.energy_wh = 4000.0
    tx.last_seq_no = 3
    tx.charging_state = "Idle"
    tx.auth_status = "Accepted"
    await storage.write(updating(tx))
    stored = await storage.read(lambda uow: uow[TRANSACTIONS].get(tx.id))
    assert stored == tx
    assert stored is not None and not stored.active and stored.remote_start_id == 7
    # A transaction that does not exist is not created by an update.
    await storage.write(updating(replace(tx, id=tx.id + 1000)))
    assert await storage.read(lambda uow: uow[TRANSACTIONS].get(tx.id + 1000)) is None


async def test_every_field_of_a_transaction_is_stored(storage: SqlStorage) -> None:
    """Storage maps rows by the record's fields (model.TRANSACTION_FIELDS): each one must round-trip."""
    new = a_new_transaction(
        station_tx_id="tx-9", remote_start_id=11, auth_status="Accepted", last_seq_no=0, charging_state="EVConnected"
    )
    tx = await storage.write(creating(new))
    assert {name: getattr(tx, name) for name in (f.name for f in fields(NewTransaction))} == asdict(new)
    changed = replace(
        tx,
        evse_id=2,
        connector_id=2,
        id_token="TAG-2",
        started_at=T0 - timedelta(seconds=5),
        meter_start_wh=900.0,
        stopped_at=T0 + timedelta(hours=2),
        meter_stop_wh=7000.0,
        stop_reason="Remote",
        energy_wh=6100.0,
        last_seq_no=9,
        remote_start_id=12,
        charging_state="Idle",
        auth_status="Blocked",
    )
    assert all(getattr(changed, name) != getattr(tx, name) for name in MUTABLE_FIELDS)
    await storage.write(updating(changed))
    assert await storage.read(lambda uow: uow[TRANSACTIONS].get(tx.id)) == changed


async def test_transaction_list_filters(storage: SqlStorage) -> None:
    specs = [
        ("CP-1", "TAG-1", 0, False),
        ("CP-1", "TAG-2", 1, True),
        ("CP-2", "TAG-1", 2, False),
        ("CP-2", "TAG-2", 3, True),
        ("CP-1", "TAG-1", 4, False),
    ]
    made = []
    for station, token, hours, stopped in specs:
        tx = await storage.write(
            creating(a_new_transaction(station_id=station, id_token=token, started_at=T0 + timedelta(hours=hours)))
        )
        if stopped:
            tx.stopped_at = tx.started_at + timedelta(minutes=30)
            await storage.write(updating(tx))
        made.append(tx)

    async def ids(**kw: Any) -> list[int]:
        txs = await storage.read(lambda uow: uow[TRANSACTIONS].list(TransactionFilter(**kw)))
        return [t.id for t in txs]

    by_hour = [t.id for t in made]
    assert await ids() == by_hour[::-1]  # newest first
    assert await ids(station_id="CP-1") == [by_hour[4], by_hour[1], by_hour[0]]
    assert await ids(active=True) == [by_hour[4], by_hour[2], by_hour[0]]
    assert await ids(active=False) == [by_hour[3], by_hour[1]]
    assert await ids(id_token="TAG-2") == [by_hour[3], by_hour[1]]
    assert await ids(started_from=T0 + timedelta(hours=1), started_to=T0 + timedelta(hours=3)) == [
        by_hour[2],
        by_hour[1],
    ]
    assert await ids(limit=2) == [by_hour[4], by_hour[3]]
    assert await ids(limit=2, offset=2) == [by_hour[2], by_hour[1]]
    assert await ids(station_id="CP-2", active=True, id_token="TAG-1") == [by_hour[2]]
    listed = await storage.read(lambda uow: uow[TRANSACTIONS].list(TransactionFilter(station_id="CP-2")))
    assert listed[0] == made[3]


# -- meter values ---------------------------------------------------------------------------------


async def test_meter_values_round_trip_and_idempotency(storage: SqlStorage) -> None:
    tx = await storage.write(creating(a_new_transaction()))
    samples = [
        a_sample(context="Transaction.Begin", location="Outlet"),
        a_sample(
            timestamp=T0 + timedelta(minutes=1),
            value=230.5,
            measurand="Voltage",
            unit="V",
            phase="L1-N",
            location="Inlet",
            context="Sample.Periodic",
            signed_data="c2lnbmVk",
        ),
        a_sample(timestamp=T0 + timedelta(minutes=1), value=231.0, measurand="Voltage", unit="V", phase="L2-N"),
        a_sample(timestamp=T0 + timedelta(minutes=2), value=1.75, unit="kWh"),
        a_sample(timestamp=T0 + timedelta(minutes=2), value=11.0, measurand="Power.Active.Import", unit=None),
    ]

    async def count() -> int:
        return len(await storage.read(lambda uow: uow[TRANSACTIONS].meter_values(tx.id)))

    await storage.write(adding_samples("CP-1", 1, tx.id, samples))
    assert await count() == len(samples)
    await storage.write(adding_samples("CP-1", 1, tx.id, samples))  # a retried message adds nothing
    assert await count() == len(samples)
    await storage.write(adding_samples("CP-1", 1, tx.id, [samples[0], samples[0]]))
    assert await count() == len(samples)
    await storage.write(adding_samples("CP-1", 1, tx.id, []))
    await storage.write(lambda uow: uow[TRANSACTIONS].add_meter_rows([]))

    stored = await storage.read(lambda uow: uow[TRANSACTIONS].meter_values(tx.id))
    key = lambda v: (v.timestamp, v.measurand, v.phase or "")  # noqa: E731
    assert sorted(stored, key=key) == sorted(samples, key=key)
    assert all(v.timestamp.tzinfo == UTC for v in stored)

    # On another EVSE (another transaction there), the same samples are new rows.
    other = await storage.write(creating(a_new_transaction(evse_id=2)))
    await storage.write(adding_samples("CP-1", 2, other.id, samples))
    assert len(await storage.read(lambda uow: uow[TRANSACTIONS].meter_values(other.id))) == len(samples)
    assert await count() == len(samples)


async def test_energy_register_bounds_in_wh(storage: SqlStorage) -> None:
    tx = await storage.write(creating(a_new_transaction()))
    other = await storage.write(creating(a_new_transaction(evse_id=2)))
    assert await storage.read(lambda uow: uow[TRANSACTIONS].energy_register_bounds(tx.id)) is None
    samples = [
        a_sample(value=1200.0, unit="Wh"),
        a_sample(timestamp=T0 + timedelta(minutes=1), value=2.5, unit="kWh"),
        a_sample(timestamp=T0 + timedelta(minutes=2), value=1900.0, unit=None),
        a_sample(timestamp=T0 + timedelta(minutes=3), value=99.0, measurand="Power.Active.Import", unit="kW"),
    ]
    await storage.write(adding_samples("CP-1", 1, tx.id, samples))
    await storage.write(adding_samples("CP-1", 2, other.id, [a_sample(value=9.0, unit="kWh")]))
    assert await storage.read(lambda uow: uow[TRANSACTIONS].energy_register_bounds(tx.id)) == (1200.0, 2500.0)
    assert await storage.read(lambda uow: uow[TRANSACTIONS].energy_register_bounds(other.id)) == (
        9000.0,
        9000.0,
    )


# -- reviews, events, api keys --------------------------------------------------------------------


async def test_reviews(storage: SqlStorage) -> None:
    await storage.write(lambda uow: uow[REVIEW_ITEMS].add("CP-1", ReviewKind.UNKNOWN_TRANSACTION, {"transactionId": 7}))
    await storage.write(lambda uow: uow[REVIEW_ITEMS].add("CP-2", ReviewKind.FOREIGN_TRANSACTION, {"n": [1, "x"]}))
    everything = await storage.read(lambda uow: uow[REVIEW_ITEMS].page(None, None, 10, 0))
    assert [(r.station_id, r.kind) for r in everything] == [  # newest first
        ("CP-2", ReviewKind.FOREIGN_TRANSACTION),
        ("CP-1", ReviewKind.UNKNOWN_TRANSACTION),
    ]
    mine = await storage.read(lambda uow: uow[REVIEW_ITEMS].page("CP-2", None, 10, 0))
    assert len(mine) == 1 and mine[0].detail == {"n": [1, "x"]}
    assert mine[0].created_at.tzinfo == UTC and mine[0].id > 0


async def test_review_pages_are_newest_first_and_filtered(storage: SqlStorage) -> None:
    for n in range(5):
        kind = ReviewKind.UNKNOWN_TRANSACTION if n % 2 else ReviewKind.FOREIGN_TRANSACTION
        await storage.write(lambda uow, n=n, kind=kind: uow[REVIEW_ITEMS].add(f"CP-{n % 2}", kind, {"n": n}))
    page = await storage.read(lambda uow: uow[REVIEW_ITEMS].page(None, None, 2, 1))
    assert [r.detail["n"] for r in page] == [3, 2]
    unknown = await storage.read(lambda uow: uow[REVIEW_ITEMS].page("CP-1", ReviewKind.UNKNOWN_TRANSACTION, 10, 0))
    assert [r.detail["n"] for r in unknown] == [3, 1]
    assert await storage.read(lambda uow: uow[REVIEW_ITEMS].page("CP-0", ReviewKind.UNKNOWN_TRANSACTION, 10, 0)) == []


async def test_events_are_stored_once(storage: SqlStorage) -> None:
    events = [
        an_event(cleared=True, tech_code="E1", tech_info="hot"),
        an_event(event_id=2, timestamp=T0 + timedelta(seconds=5), raw={"eventId": 2, "x": {"y": 1}}),
    ]
    await storage.write(lambda uow: uow[STATION_EVENTS].add(events))
    await storage.write(lambda uow: uow[STATION_EVENTS].add(events))
    await storage.write(lambda uow: uow[STATION_EVENTS].add([]))
    await storage.write(lambda uow: uow[STATION_EVENTS].add([an_event(station_id="CP-2")]))
    stored = await storage.read(lambda uow: uow[STATION_EVENTS].list("CP-1"))
    assert stored == events[::-1]  # newest first
    assert await storage.read(lambda uow: uow[STATION_EVENTS].list("CP-1", limit=1)) == [events[1]]


async def test_api_keys(storage: SqlStorage) -> None:
    assert await storage.read(lambda uow: uow[API_KEYS].count()) == 0
    key = await storage.write(lambda uow: uow[API_KEYS].add("ci", "admin", "hash-1"))
    assert (key.name, key.role) == ("ci", "admin") and key.created_at.tzinfo == UTC
    assert await storage.read(lambda uow: uow[API_KEYS].find("hash-1")) == key
    assert await storage.read(lambda uow: uow[API_KEYS].find("hash-2")) is None
    await storage.write(lambda uow: uow[API_KEYS].add("ops", "operator", "hash-2"))
    assert await storage.read(lambda uow: uow[API_KEYS].count()) == 2
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        await storage.write(lambda uow: uow[API_KEYS].add("again", "admin", "hash-1"))


# -- group commit ---------------------------------------------------------------------------------


async def test_many_concurrent_writes_all_commit(database_url: str) -> None:
    storage = await open_storage(database_url, max_batch=64)
    try:
        results = await asyncio.gather(*(storage.write(adding_token(f"TAG-{i:03d}")) for i in range(200)))
        assert [t.id_token for t in results] == [f"TAG-{i:03d}" for i in range(200)]
    finally:
        await storage.close()
    reopened = await open_storage(database_url)
    try:
        tokens = await reopened.read(lambda uow: uow[ID_TOKENS].list(limit=1000))
    finally:
        await reopened.close()
    assert len(tokens) == 200


async def test_a_failing_operation_fails_alone(storage: SqlStorage) -> None:
    await storage.write(lambda uow: uow[ID_TOKENS].add(IdToken("TAKEN")))

    async def boom(uow: UnitOfWork) -> None:
        await uow[ID_TOKENS].add(IdToken("ROLLED-BACK"))
        raise RuntimeError("domain says no")

    writes: list[Awaitable[Any]] = []
    for i in range(20):
        writes.append(storage.write(adding_token(f"OK-{i}")))
        if i == 5:
            writes.append(storage.write(lambda uow: uow[ID_TOKENS].add(IdToken("TAKEN"))))
        if i == 10:
            writes.append(storage.write(boom))
    outcomes = await asyncio.gather(*writes, return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failures) == 2
    assert any(isinstance(f, RuntimeError) and "domain says no" in str(f) for f in failures)
    tokens = {t.id_token for t in await storage.read(lambda uow: uow[ID_TOKENS].list(limit=100))}
    assert tokens == {"TAKEN"} | {f"OK-{i}" for i in range(20)}


async def test_write_returns_only_after_commit(database_url: str) -> None:
    writer = await open_storage(database_url)
    observer = await open_storage(database_url)
    try:
        for i in range(20):
            await writer.write(adding_token(f"TAG-{i}"))
            seen = await observer.read(getting_token(f"TAG-{i}"))
            assert seen is not None, f"write {i} returned before its data was visible elsewhere"
    finally:
        await writer.close()
        await observer.close()


async def test_close_finishes_queued_writes(database_url: str) -> None:
    storage = await open_storage(database_url)
    pending = [asyncio.ensure_future(storage.write(adding_key(f"k{i}", f"h{i}"))) for i in range(30)]
    await asyncio.sleep(0)
    await storage.close()
    assert all(p.done() and p.exception() is None for p in pending)
    reopened = await open_storage(database_url)
    try:
        assert await reopened.read(lambda uow: uow[API_KEYS].count()) == 30
    finally:
        await reopened.close()


# -- migrations -----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_upgrade_an_empty_database(backend: str, tmp_path: Path) -> None:
    async with empty_database(backend, tmp_path) as url:
        assert await asyncio.to_thread(is_empty, url)
        assert await asyncio.to_thread(current_revision, url) is None
        await asyncio.to_thread(upgrade, url)
        assert not await asyncio.to_thread(is_empty, url)
        assert await asyncio.to_thread(current_revision, url) == head_revision()
        await asyncio.to_thread(upgrade, url)  # already at head: nothing to do
        storage = await open_storage(url)
        try:
            await storage.write(creating_station("CP-1", Registration.ACCEPTED))
            assert [s.id for s in await storage.read(lambda uow: uow[STATIONS].list())] == ["CP-1"]
        finally:
            await storage.close()


async def test_read_does_not_persist_writes(storage: SqlStorage) -> None:
    async def sneaky(uow: UnitOfWork) -> None:
        await uow[API_KEYS].add("sneaky", "admin", "h")

    if storage.dialect_name == "postgresql":
        with pytest.raises(Exception, match="read-only"):
            await storage.read(sneaky)
    else:
        await storage.read(sneaky)  # SQLite: rolled back when the read ends
    assert await storage.read(lambda uow: uow[API_KEYS].count()) == 0
