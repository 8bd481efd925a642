"""`StationRepository.upsert_many` on every backend: bulk insert, operator-field update, skip."""

from __future__ import annotations

from datetime import UTC, datetime

from voltline.areas.stations.model import Registration, Station
from voltline.areas.stations.ports import STATIONS, BootRecord
from voltline.kernel.storage import Storage, UnitOfWork
from voltline.storage.sql import SqlStorage

BOOT = BootRecord("Acme", "X1", "SN-1", "1.0", "PowerUp", "ocpp1.6", datetime(2025, 3, 1, tzinfo=UTC))


async def upsert(storage: Storage, stations: list[Station], *, update_existing: bool = True) -> int:
    async def op(uow: UnitOfWork) -> int:
        return await uow[STATIONS].upsert_many(stations, update_existing=update_existing)

    return await storage.write(op)


async def stored(storage: Storage) -> dict[str, Station]:
    async def op(uow: UnitOfWork) -> list[Station]:
        return await uow[STATIONS].list()

    return {station.id: station for station in await storage.read(op)}


async def test_inserts_many_and_counts_them_created(storage: SqlStorage) -> None:
    batch = [Station(id=f"CP{i:04d}", security_profile=1, password_hash=f"h{i}") for i in range(1500)]

    assert await upsert(storage, batch) == 1500

    saved = await stored(storage)
    assert len(saved) == 1500
    assert saved["CP0042"].password_hash == "h42"
    assert saved["CP0042"].security_profile == 1
    assert saved["CP0042"].online is False
    assert saved["CP0042"].created_at is not None


async def test_updates_operator_fields_only_and_keeps_a_password_not_given(storage: SqlStorage) -> None:
    await upsert(storage, [Station(id="A", password_hash="old-a"), Station(id="B", password_hash="old-b")])

    async def boot(uow: UnitOfWork) -> None:
        await uow[STATIONS].record_boots([("A", BOOT)])

    await storage.write(boot)

    created = await upsert(
        storage,
        [
            Station(id="A", registration=Registration.PENDING, security_profile=2, description="new"),
            Station(id="B", password_hash="new-b"),
            Station(id="C"),
        ],
    )

    assert created == 1
    saved = await stored(storage)
    assert saved["A"].registration is Registration.PENDING
    assert (saved["A"].security_profile, saved["A"].description) == (2, "new")
    assert saved["A"].password_hash == "old-a"  # not given: kept
    assert (saved["A"].vendor, saved["A"].serial_number) == ("Acme", "SN-1")  # the station's own data stays
    assert saved["B"].password_hash == "new-b"
    assert set(saved) == {"A", "B", "C"}


async def test_without_update_existing_leaves_registered_stations_alone(storage: SqlStorage) -> None:
    await upsert(storage, [Station(id="A", description="kept", password_hash="old")])

    created = await upsert(
        storage, [Station(id="A", description="ignored", password_hash="new"), Station(id="B")], update_existing=False
    )

    assert created == 1
    saved = await stored(storage)
    assert (saved["A"].description, saved["A"].password_hash) == ("kept", "old")
    assert "B" in saved


async def test_nothing_to_write(storage: SqlStorage) -> None:
    assert await upsert(storage, []) == 0
