"""Fresh, migrated databases for tests: SQLite files and isolated PostgreSQL schemas.

SQLite: one template file is migrated per test session (process) and copied for every test.

PostgreSQL: each database is a new schema ``vl_<random>`` in the database named by
``VOLTLINE_TEST_POSTGRES_URL`` (default ``postgresql+asyncpg://127.0.0.1:5432/test``), dropped again
afterwards. The URL handed out carries ``?options=-csearch_path%3Dvl_<random>``, which Voltline's engine
factory turns into asyncpg ``server_settings``: the app, Alembic and psql all see that schema alone, so
parallel test runs on one machine never collide. When PostgreSQL is unreachable the test is skipped,
except under ``CI=true``, where it fails.

Use the `database_url` fixture (import it into a conftest.py), or `fresh_database` / `empty_database`.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from voltline.storage.sql.engine import make_engine
from voltline.storage.sql.migrate import upgrade

BACKENDS = ("sqlite", "postgresql")
POSTGRES_URL_ENV = "VOLTLINE_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://127.0.0.1:5432/test"

_template_lock = threading.Lock()
_template: Path | None = None
_postgres_checked = False
_postgres_problem: str | None = None


def postgres_base_url() -> str:
    return os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip the test because a real server is missing; under CI=true that is a failure instead."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: required services must be present)", pytrace=False)
    pytest.skip(reason)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def with_search_path(url: str, schema: str) -> str:
    """`url` with every connection's search_path set to `schema` (libpq ``options`` parameter)."""
    parsed = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


async def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None if it can (checked once per process)."""
    global _postgres_checked, _postgres_problem
    if not _postgres_checked:
        base = postgres_base_url()
        engine = make_engine(base, null_pool=True, connect_args={"timeout": 5})
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means "not usable here"
            _postgres_problem = f"PostgreSQL at {base} is unreachable ({type(exc).__name__}: {exc})"
        finally:
            await engine.dispose()
        _postgres_checked = True
    return _postgres_problem


def _migrated_sqlite_template() -> Path:
    global _template
    with _template_lock:
        if _template is None:
            directory = Path(tempfile.mkdtemp(prefix="voltline-sqlite-template-"))
            atexit.register(shutil.rmtree, directory, True)
            path = directory / "template.db"
            upgrade(sqlite_url(path))
            _template = path
        return _template


async def _postgres_execute(statement: str) -> None:
    engine = make_engine(postgres_base_url(), null_pool=True)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@asynccontextmanager
async def _postgres_schema() -> AsyncIterator[str]:
    problem = await postgres_problem()
    if problem is not None:
        skip_or_fail(problem)
    schema = f"vl_{secrets.token_hex(6)}"
    await _postgres_execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_search_path(postgres_base_url(), schema)
    finally:
        await _postgres_execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@asynccontextmanager
async def fresh_database(backend: str, directory: Path) -> AsyncIterator[str]:
    """A URL of a new database migrated to head; SQLite files are created in `directory`."""
    if backend == "sqlite":
        template = await asyncio.to_thread(_migrated_sqlite_template)
        path = directory / f"voltline-{secrets.token_hex(4)}.db"
        shutil.copyfile(template, path)
        yield sqlite_url(path)
    elif backend == "postgresql":
        async with _postgres_schema() as url:
            await asyncio.to_thread(upgrade, url)
            yield url
    else:
        raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")


@asynccontextmanager
async def empty_database(backend: str, directory: Path) -> AsyncIterator[str]:
    """A URL of a database with no tables at all (for migration tests)."""
    if backend == "sqlite":
        yield sqlite_url(directory / f"voltline-empty-{secrets.token_hex(4)}.db")
    elif backend == "postgresql":
        async with _postgres_schema() as url:
            yield url
    else:
        raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh migrated database per test, once per backend. Import into a conftest.py to use."""
    async with fresh_database(request.param, tmp_path) as url:
        yield url
