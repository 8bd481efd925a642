"""The smart charging repositories on SQLite and PostgreSQL: profiles stored whole, delivery states written in
one batch, templates found by name."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from tests.areas.smart_charging.test_stack import STATION_MAX, TX_DEFAULT, profile
from tests.support.builders import a_registration
from voltline.areas.smart_charging.model import DeliveryState, ProfileSource, StoredProfile
from voltline.areas.smart_charging.ports import CHARGING_PROFILES, PROFILE_TEMPLATES
from voltline.areas.stations.service import StationService
from voltline.kernel.storage import UnitOfWork
from voltline.storage.sql.storage import SqlStorage

SET_AT = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def stored(station_id: str, profile_id: int, **changes: object) -> StoredProfile:
    content = profile(TX_DEFAULT if profile_id % 2 else STATION_MAX, [(0, 16.0), (3600, 10.5)], profile_id=profile_id)
    return replace(StoredProfile(station_id, content, ProfileSource.OPERATOR, "user:ops", SET_AT), **changes)


async def test_a_batch_of_delivery_states_is_written_at_once(storage: SqlStorage, stations: StationService) -> None:
    for station_id in ("CP-A", "CP-B"):
        await stations.register(station_id, a_registration())
    records = [stored("CP-A", 1), stored("CP-A", 2), stored("CP-B", 1)]

    async def save(uow: UnitOfWork) -> None:
        for record in records:
            await uow[CHARGING_PROFILES].save(record)

    await storage.write(save)
    records[0].state = DeliveryState.ACCEPTED
    records[2].state, records[2].status_reason = DeliveryState.REJECTED, "Rejected: OutOfStorage"

    async def set_states(uow: UnitOfWork) -> None:
        await uow[CHARGING_PROFILES].set_state([records[0], records[2]])

    await storage.write(set_states)

    async def read(uow: UnitOfWork) -> tuple[list[StoredProfile], list[StoredProfile], list[str]]:
        repository = uow[CHARGING_PROFILES]
        return (
            await repository.list("CP-A"),
            await repository.list("CP-B", active_only=True),
            await repository.stations_with_pending(),
        )

    station_a, active_b, pending = await storage.read(read)
    station_a.sort(key=lambda r: r.profile.profile_id)
    assert [(r.profile.profile_id, r.state, r.status_reason) for r in station_a] == [
        (1, DeliveryState.ACCEPTED, None),
        (2, DeliveryState.PENDING, None),
    ]
    assert station_a[0].profile == records[0].profile  # periods, limits and start come back as stored
    assert active_b == []  # rejected is not active
    assert pending == ["CP-A"]


async def test_a_state_decided_for_an_earlier_version_leaves_the_newer_one_alone(
    storage: SqlStorage, stations: StationService
) -> None:
    """A batched answer can be written after its profile id was stored again (a load controller's next
    limit): it must not mark the newer, still unanswered content accepted."""
    await stations.register("CP-A", a_registration())
    first = stored("CP-A", 1)
    second = stored("CP-A", 1, set_at=datetime(2026, 12, 6, 8, 0, 1, 250, tzinfo=UTC))

    async def save(record: StoredProfile) -> None:
        async def op(uow: UnitOfWork) -> None:
            await uow[CHARGING_PROFILES].save(record)

        await storage.write(op)

    async def set_state(record: StoredProfile) -> None:
        async def op(uow: UnitOfWork) -> None:
            await uow[CHARGING_PROFILES].set_state([record])

        await storage.write(op)

    async def read(uow: UnitOfWork) -> StoredProfile | None:
        return await uow[CHARGING_PROFILES].get("CP-A", 1)

    await save(first)
    await save(second)
    first.state = DeliveryState.ACCEPTED
    await set_state(first)
    row = await storage.read(read)
    assert row is not None and (row.state, row.set_at) == (DeliveryState.PENDING, second.set_at)

    second.state = DeliveryState.ACCEPTED  # its own answer (the same microsecond-precise version) applies
    await set_state(second)
    row = await storage.read(read)
    assert row is not None and row.state is DeliveryState.ACCEPTED


async def test_profiles_of_many_stations_are_stored_with_one_call(
    storage: SqlStorage, stations: StationService
) -> None:
    for station_id in ("CP-A", "CP-B"):
        await stations.register(station_id, a_registration())
    older = stored("CP-A", 1)

    async def save_first(uow: UnitOfWork) -> None:
        await uow[CHARGING_PROFILES].save(older)

    await storage.write(save_first)
    newer = stored("CP-A", 1, set_at=datetime(2026, 12, 6, 9, 0, tzinfo=UTC), state=DeliveryState.ACCEPTED)
    other = stored("CP-B", 2)

    async def save_many(uow: UnitOfWork) -> None:
        await uow[CHARGING_PROFILES].save_many([newer, other])

    await storage.write(save_many)

    async def read(uow: UnitOfWork) -> list[StoredProfile]:
        return [*await uow[CHARGING_PROFILES].list("CP-A"), *await uow[CHARGING_PROFILES].list("CP-B")]

    rows = await storage.read(read)
    assert [(r.station_id, r.profile.profile_id, r.set_at, r.state) for r in rows] == [
        ("CP-A", 1, newer.set_at, DeliveryState.ACCEPTED),  # replaced, not added
        ("CP-B", 2, SET_AT, DeliveryState.PENDING),
    ]


async def test_a_template_is_found_by_its_name(storage: SqlStorage) -> None:
    async def add(uow: UnitOfWork) -> int:
        created = await uow[PROFILE_TEMPLATES].add("night cap", stored("CP-A", 2).profile, "user:ops")
        return created.template_id

    template_id = await storage.write(add)

    async def find(uow: UnitOfWork) -> tuple[int | None, object]:
        found = await uow[PROFILE_TEMPLATES].by_name("night cap")
        return (found.template_id if found else None), await uow[PROFILE_TEMPLATES].by_name("day cap")

    assert await storage.read(find) == (template_id, None)
