"""The migrations build exactly the schema the table modules declare, on both backends.

Several areas add tables and migrations; this catches a table, column, index or constraint that one of
them declared but forgot to migrate (or the reverse) before it reaches an operator's database.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from tests.contract.test_storage import BACKENDS, empty_database
from voltline.storage.sql.engine import make_engine
from voltline.storage.sql.migrate import upgrade
from voltline.storage.sql.schema import metadata


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


@pytest.mark.parametrize("backend", BACKENDS)
async def test_migrations_match_the_declared_tables(backend: str, tmp_path: Path) -> None:
    async with empty_database(backend, tmp_path) as url:
        await asyncio.to_thread(upgrade, url)
        engine = make_engine(url)
        try:
            async with engine.connect() as connection:
                differences = await connection.run_sync(_differences)
        finally:
            await engine.dispose()
    assert differences == []
