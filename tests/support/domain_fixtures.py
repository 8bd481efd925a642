"""Domain services over the real SQL storage, once per backend (SQLite and PostgreSQL).

SQLite gets a fresh migrated file per test (a copy of `tests.support.databases`' template, cheap).
PostgreSQL gets one migrated schema per test process, emptied before each test: a fresh schema costs a
full Alembic run (~0.3 s), which for this many tests would blow the suite's time budget. Skipping or
failing when PostgreSQL is absent follows `tests.support.databases` (skip; fail under CI=true).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.support.databases import (
    BACKENDS,
    fresh_database,
    postgres_base_url,
    postgres_problem,
    skip_or_fail,
    with_search_path,
)
from tests.support.wiring import open_storage
from voltline.areas.authorization.service import AuthorizationService
from voltline.areas.stations.service import StationService
from voltline.areas.transactions.service import TransactionService
from voltline.storage.sql import SqlStorage
from voltline.storage.sql.base import Base
from voltline.storage.sql.engine import make_engine
from voltline.storage.sql.migrate import upgrade

HEARTBEAT_INTERVAL = 300

_EMPTY_ALL_TABLES = "TRUNCATE TABLE {} RESTART IDENTITY CASCADE".format(
    ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
)

_shared_schema: str | None = None


async def _postgres_execute(url: str, statement: str) -> None:
    engine = make_engine(url, null_pool=True)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _empty_postgres_url() -> str:
    """The URL of this process's migrated PostgreSQL schema, with every table emptied."""
    global _shared_schema
    problem = await postgres_problem()
    if problem is not None:
        skip_or_fail(problem)
    base = postgres_base_url()
    if _shared_schema is None:
        schema = f"vl_domain_{secrets.token_hex(6)}"
        await _postgres_execute(base, f'CREATE SCHEMA "{schema}"')
        _shared_schema = schema
        await asyncio.to_thread(upgrade, with_search_path(base, schema))
    url = with_search_path(base, _shared_schema)
    await _postgres_execute(url, _EMPTY_ALL_TABLES)
    return url


@pytest.fixture(scope="session", autouse=True)
def _drop_shared_postgres_schema() -> Iterator[None]:
    yield
    if _shared_schema is not None:
        asyncio.run(_postgres_execute(postgres_base_url(), f'DROP SCHEMA IF EXISTS "{_shared_schema}" CASCADE'))


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated database holding no rows, once per backend."""
    if request.param == "postgresql":
        yield await _empty_postgres_url()
    else:
        async with fresh_database(request.param, tmp_path) as url:
            yield url


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[SqlStorage]:
    opened = await open_storage(database_url)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def transactions(storage: SqlStorage) -> TransactionService:
    return TransactionService(storage)


@pytest.fixture
def authorization(storage: SqlStorage) -> AuthorizationService:
    return AuthorizationService(storage)


@pytest.fixture
def stations(storage: SqlStorage) -> StationService:
    return StationService(storage, heartbeat_interval=HEARTBEAT_INTERVAL)
