"""`StationRepository.search` and `statuses_of` on every backend (SQLite and PostgreSQL): the filters, the
total beside the page, LIKE wildcards taken literally, presence's ids as one parameter however many."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from voltline.areas.stations.model import ConnectorStatus, Registration, Station
from voltline.areas.stations.ports import STATIONS, BootRecord, StationQuery
from voltline.kernel.storage import UnitOfWork
from voltline.storage.sql import SqlStorage

AT = datetime(2025, 3, 1, tzinfo=UTC)


def boot(vendor: str, model: str, version: str) -> BootRecord:
    return BootRecord(vendor, model, "SN", "1.0", "PowerUp", version, AT)


async def seed(storage: SqlStorage) -> None:
    async def op(uow: UnitOfWork) -> None:
        repository = uow[STATIONS]
        await repository.upsert_many(
            [
                Station(id="CP-1", description="Car park, level 2"),
                Station(id="CP-2", description="Depot"),
                Station(id="CP-3", registration=Registration.PENDING, description="depot b"),
                Station(id="CP-4", registration=Registration.REJECTED, description="100% ready_now \\ here"),
                Station(id="CP_5"),
            ]
        )
        await repository.record_boots(
            [
                ("CP-1", boot("Acme", "Volt 22", "ocpp1.6")),
                ("CP-2", boot("Acme", "Volt 50", "ocpp2.0.1")),
                ("CP-3", boot("Zap", "Mini", "ocpp1.6")),
                ("CP_5", boot("ZAP", "MINI", "ocpp2.0.1")),
            ]
        )
        await repository.set_statuses(
            [
                ConnectorStatus("CP-1", 2, 1, "Available"),
                ConnectorStatus("CP-1", 1, 1, "Charging"),
                ConnectorStatus("CP-2", 1, 1, "Faulted", "GroundFailure"),
                ConnectorStatus("CP-2", 2, 1, "Faulted", "GroundFailure"),  # counted once
                ConnectorStatus("CP-3", 0, 0, "Faulted"),
                ConnectorStatus("CP_5", 1, 1, "Occupied"),
            ]
        )

    await storage.write(op)


async def search(storage: SqlStorage, **filters: Any) -> tuple[int, list[str]]:
    query = StationQuery(**filters)

    async def op(uow: UnitOfWork) -> tuple[int, list[Station]]:
        return await uow[STATIONS].search(query)

    total, stations = await storage.read(op)
    return total, [station.id for station in stations]


async def test_each_filter_and_their_combination(storage: SqlStorage) -> None:
    await seed(storage)
    every = ["CP-1", "CP-2", "CP-3", "CP-4", "CP_5"]
    assert await search(storage) == (5, every)
    assert await search(storage, registration=Registration.ACCEPTED) == (3, ["CP-1", "CP-2", "CP_5"])
    assert await search(storage, ocpp_version="ocpp2.0.1") == (2, ["CP-2", "CP_5"])
    assert await search(storage, vendor="ACME") == (2, ["CP-1", "CP-2"])
    assert await search(storage, model="mini") == (2, ["CP-3", "CP_5"])
    assert await search(storage, status="Faulted") == (2, ["CP-2", "CP-3"])
    assert await search(storage, status="Reserved") == (0, [])
    assert await search(storage, text="DEPOT") == (2, ["CP-2", "CP-3"])
    assert await search(storage, text="cp-") == (4, ["CP-1", "CP-2", "CP-3", "CP-4"])
    assert await search(storage, status="Faulted", vendor="acme", text="dep") == (1, ["CP-2"])
    assert await search(storage, registration=Registration.ACCEPTED, ocpp_version="ocpp1.6") == (1, ["CP-1"])


async def test_the_total_counts_every_match_beside_the_page(storage: SqlStorage) -> None:
    await seed(storage)
    assert await search(storage, limit=2, offset=1) == (5, ["CP-2", "CP-3"])
    assert await search(storage, status="Faulted", limit=1, offset=1) == (2, ["CP-3"])
    assert await search(storage, offset=5) == (5, [])


async def test_like_wildcards_and_the_escape_character_are_plain_text(storage: SqlStorage) -> None:
    await seed(storage)
    assert await search(storage, text="_") == (2, ["CP-4", "CP_5"])
    assert await search(storage, text="P_1") == (0, [])
    assert await search(storage, text="%") == (1, ["CP-4"])
    assert await search(storage, text="0% r") == (1, ["CP-4"])
    assert await search(storage, text="\\") == (1, ["CP-4"])
    assert await search(storage, text="\\ h") == (1, ["CP-4"])
    assert await search(storage, text="\\%") == (0, [])


async def test_online_is_the_given_snapshot_of_ids_even_a_very_large_one(storage: SqlStorage) -> None:
    await seed(storage)
    assert await search(storage, online=True, connected=frozenset({"CP-1", "CP_5", "elsewhere"})) == (
        2,
        ["CP-1", "CP_5"],
    )
    assert await search(storage, online=False, connected=frozenset({"CP-1", "CP_5"})) == (3, ["CP-2", "CP-3", "CP-4"])
    assert await search(storage, online=True, connected=frozenset()) == (0, [])
    assert await search(storage, online=False, connected=frozenset()) == (5, ["CP-1", "CP-2", "CP-3", "CP-4", "CP_5"])
    # Past the drivers' limit of bound parameters (32767) if each id were its own placeholder.
    many = frozenset({f"X-{i}" for i in range(40_000)} | {"CP-3"})
    assert await search(storage, online=True, connected=many) == (1, ["CP-3"])
    assert await search(storage, online=False, connected=many, status="Faulted") == (1, ["CP-2"])


async def test_statuses_of_a_page_in_one_call(storage: SqlStorage) -> None:
    await seed(storage)

    async def op(uow: UnitOfWork) -> dict[str, list[ConnectorStatus]]:
        return await uow[STATIONS].statuses_of(["CP-1", "CP-2", "CP-4", "unknown"])

    found = await storage.read(op)
    assert set(found) == {"CP-1", "CP-2"}  # stations without statuses are absent
    assert [(s.evse_id, s.status) for s in found["CP-1"]] == [(1, "Charging"), (2, "Available")]
    assert [(s.evse_id, s.error_code) for s in found["CP-2"]] == [(1, "GroundFailure"), (2, "GroundFailure")]

    async def none(uow: UnitOfWork) -> dict[str, list[ConnectorStatus]]:
        return await uow[STATIONS].statuses_of([])

    assert await storage.read(none) == {}
