"""The audit log's bounds: anonymous clients write at most so many entries a minute (the rest summarised),
authenticated entries are never dropped, old entries are purged in bounded batches; on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import httpx
import pytest

from tests.support.api_builders import station_body
from tests.support.api_fixtures import ADMIN_TOKEN, ScriptedLink
from tests.support.waiting import eventually
from tests.support.wiring import api_app, wired_services
from voltline.areas.access.api_access import ApiAccessService
from voltline.areas.audit.model import AuditQuery, NewAuditEntry
from voltline.areas.audit.ports import AUDIT_LOG
from voltline.areas.audit.service import (
    OTHER_ADDRESSES,
    SUPPRESSED_ACTION,
    AnonymousBudget,
    AuditConfig,
    AuditService,
    client_key,
)
from voltline.areas.audit.settings import AuditSettings
from voltline.areas.audit.sql import SqlAuditRepository
from voltline.composition import build_services, load_settings
from voltline.kernel.area import settings_of
from voltline.kernel.background import Timers
from voltline.kernel.commands import StationLink
from voltline.kernel.services import ServiceRegistry
from voltline.kernel.storage import Storage, UnitOfWork
from voltline.storage.sql import SqlStorage

NOON = datetime(2030, 5, 17, 12, 0, 5, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = NOON) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def anonymous_delete(audit: AuditService, address: str | None, station: str = "CP-1") -> bool:
    return await audit.record_anonymous(
        address, action="DELETE /api/v1/stations/{station_id}", result="401", target=station
    )


# -- anonymous budget, per address and minute -------------------------------------------------------------


async def test_anonymous_entries_beyond_the_budget_are_summarised_once_the_minute_is_over(
    storage: SqlStorage,
) -> None:
    clock = Clock()
    audit = AuditService(storage, AuditConfig(anonymous_per_minute=3), clock)

    written = [await anonymous_delete(audit, "203.0.113.7") for _ in range(50)]
    written += [await anonymous_delete(audit, "198.51.100.2") for _ in range(2)]
    assert written == [True] * 3 + [False] * 47 + [True] * 2
    assert len(await audit.search(AuditQuery(actor="anonymous"))) == 5
    assert await audit.write_suppressed() == 0  # the minute is not over: nothing to say yet

    clock.now += timedelta(minutes=1)
    assert await anonymous_delete(audit, "203.0.113.7")  # a new minute, a new budget
    assert await audit.write_suppressed() == 1
    [summary] = await audit.search(AuditQuery(action=SUPPRESSED_ACTION))
    assert (summary.actor, summary.target, summary.result) == ("anonymous", "203.0.113.7", "suppressed")
    assert summary.detail == {
        "address": "203.0.113.7",
        "count": 47,
        "minute": "2030-05-17T12:00:00+00:00",
        "limit": 3,
    }
    assert summary.summary is not None and "47 anonymous requests from 203.0.113.7" in summary.summary
    assert len(await audit.search(AuditQuery(actor="anonymous", limit=1000))) == 7  # 5 + 1 + the summary
    assert await audit.write_suppressed() == 0  # once per address and minute


async def test_authenticated_entries_are_never_dropped(storage: SqlStorage) -> None:
    audit = AuditService(storage, AuditConfig(anonymous_per_minute=1), Clock())
    for _ in range(3):
        await anonymous_delete(audit, "203.0.113.7")
    for n in range(20):
        await audit.record(
            actor="user:alice", action="DELETE /api/v1/stations/{station_id}", result="204", target=f"CP-{n}"
        )
    assert len(await audit.search(AuditQuery(actor="user:alice", limit=1000))) == 20
    assert len(await audit.search(AuditQuery(actor="anonymous"))) == 1


async def test_close_writes_what_the_current_minute_suppressed(storage: SqlStorage) -> None:
    audit = AuditService(storage, AuditConfig(anonymous_per_minute=2), Clock())
    for _ in range(5):
        await anonymous_delete(audit, None)  # no client address: one budget for those
    await audit.close()
    [summary] = await audit.search(AuditQuery(action="suppressed"))
    assert summary.target == "unknown" and summary.detail is not None and summary.detail["count"] == 3


def test_the_budget_tracks_a_bounded_number_of_addresses_and_the_rest_share_one() -> None:
    budget = AnonymousBudget(per_minute=2, max_addresses=3)
    admitted = [budget.admit(f"10.0.0.{n}", 100) for n in range(1000)]
    assert budget.tracked == 4  # three addresses and the shared budget of all others
    assert admitted.count(True) == 3 + 2
    assert not budget.admit("10.0.0.999", 100)
    [shared] = [s for s in budget.take_suppressed(101) if s.address == OTHER_ADDRESSES]
    assert shared.count == 997 + 1 - 2
    assert budget.tracked == 0  # a new minute starts empty


def test_an_ipv6_client_is_counted_by_its_64_network() -> None:
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::7") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:203.0.113.7") == client_key("203.0.113.7") == "203.0.113.7"
    assert client_key(None) == client_key("") == "unknown"


@pytest.fixture
async def limited(api_storage: SqlStorage) -> AsyncIterator[tuple[ServiceRegistry, Clock]]:
    services = wired_services(api_storage, ScriptedLink(), audit_anonymous_per_minute=5)
    await services[ApiAccessService].ensure_admin_token(ADMIN_TOKEN)
    clock = Clock(datetime.now(UTC).replace(second=1))
    services[AuditService].clock = clock
    yield services, clock


async def test_through_the_api_an_anonymous_flood_writes_a_bounded_number_of_entries(
    limited: tuple[ServiceRegistry, Clock],
) -> None:
    services, clock = limited
    assert "audit-suppressed" in services[Timers].names  # the summaries are written on a timer
    app = httpx.ASGITransport(app=api_app(services))
    async with (
        httpx.AsyncClient(transport=app, base_url="http://voltline.test") as anonymous,
        httpx.AsyncClient(
            transport=app, base_url="http://voltline.test", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ) as admin,
    ):
        for _ in range(60):
            assert (await anonymous.delete("/api/v1/stations/CP-1")).status_code == 401
        for n in range(12):
            assert (await admin.put(f"/api/v1/stations/CP-{n}", json=station_body())).status_code == 201
        clock.now += timedelta(minutes=1)
        assert await services[AuditService].write_suppressed() == 1

        entries = (await admin.get("/api/v1/audit", params={"limit": 1000})).json()
    by_actor = [e["actor"] for e in entries]
    assert by_actor.count("key:admin (VOLTLINE_ADMIN_TOKEN)") == 12
    assert [e["action"] for e in entries if e["actor"] == "anonymous"] == [SUPPRESSED_ACTION] + [
        "DELETE /api/v1/stations/{station_id}"
    ] * 5
    assert entries[0]["target"] == "127.0.0.1" and entries[0]["detail"]["count"] == 55


# -- retention --------------------------------------------------------------------------------------------


async def add_entries(storage: Storage, at: datetime, count: int) -> None:
    entries = [
        NewAuditEntry(at=at, actor="user:alice", action="PUT x", result="200", target=f"T-{n}") for n in range(count)
    ]

    async def op(uow: UnitOfWork) -> None:
        await uow[AUDIT_LOG].add(entries)

    await storage.write(op)


@pytest.fixture
def deletes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows each purge DELETE removed."""
    counts: list[int] = []
    purge_older = SqlAuditRepository.purge_older

    async def counted(self: SqlAuditRepository, before: datetime, batch: int) -> int:
        deleted = await purge_older(self, before, batch)
        counts.append(deleted)
        return deleted

    monkeypatch.setattr(SqlAuditRepository, "purge_older", counted)
    return counts


async def test_entries_older_than_the_retention_are_purged_in_bounded_batches(
    storage: SqlStorage, deletes: list[int]
) -> None:
    now = datetime.now(UTC)
    await add_entries(storage, now - timedelta(days=40), 250)
    await add_entries(storage, now - timedelta(days=29), 3)
    audit = AuditService(storage, AuditConfig(retention_days=30, purge_batch=100))

    assert await audit.purge() == 250
    assert deletes == [100, 100, 50]
    remaining = await audit.search(AuditQuery(limit=1000))
    assert len(remaining) == 3 and all(e.at > now - timedelta(days=30) for e in remaining)


async def test_zero_retention_keeps_entries_forever(storage: SqlStorage, deletes: list[int]) -> None:
    await add_entries(storage, datetime.now(UTC) - timedelta(days=5000), 3)
    audit = AuditService(storage, AuditConfig(retention_days=0))
    assert await audit.purge() == 0
    audit.start()
    await audit.close()
    assert deletes == []
    assert len(await audit.search(AuditQuery())) == 3


async def nothing_left(audit: AuditService) -> bool:
    return await audit.search(AuditQuery()) == []


async def test_the_purge_runs_at_start_up_and_again_periodically(storage: SqlStorage) -> None:
    now = datetime.now(UTC)
    await add_entries(storage, now - timedelta(days=400), 5)
    audit = AuditService(storage, AuditConfig(retention_days=365, purge_interval=0.05))
    audit.start()
    try:
        await eventually(lambda: nothing_left(audit))
        await add_entries(storage, now - timedelta(days=366), 2)  # too old already: the next round takes them
        await eventually(lambda: nothing_left(audit))
    finally:
        await audit.close()


# -- settings ---------------------------------------------------------------------------------------------


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("VOLTLINE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield


def test_the_settings_reach_the_service_with_their_documented_defaults(
    clean_environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    defaults = settings_of(load_settings(), AuditSettings)
    assert (defaults.audit_anonymous_per_minute, defaults.audit_retention_days) == (30, 365)
    monkeypatch.setenv("VOLTLINE_AUDIT_ANONYMOUS_PER_MINUTE", "7")
    monkeypatch.setenv("VOLTLINE_AUDIT_RETENTION_DAYS", "0")
    services = build_services(cast(Storage, object()), cast(StationLink, object()), load_settings())
    config = services[AuditService].config
    assert (config.anonymous_per_minute, config.retention_days) == (7, 0)
